import { describe, expect, it } from 'vitest';
import { applicable, eggInfoRequires, markerApplies, parseRequirement, setuptoolsRequires } from './requirements.js';

describe('PEP 508 requirements', () => {
  it('parses names, extras, specifiers and markers; URL requirements are not staged', () => {
    expect(parseRequirement('requests[socks] (>=2.0,<3) ; python_version >= "3.8"')).toEqual({ name: 'requests', extras: ['socks'], specifier: '>=2.0,<3', marker: 'python_version >= "3.8"' });
    expect(parseRequirement('six')).toEqual({ name: 'six', extras: [], specifier: '' });
    expect(parseRequirement('pkg @ https://198.51.100.7/pkg.whl')).toBeUndefined();
    expect(parseRequirement('# comment')).toBeUndefined();
  });

  it('evaluates markers for the sandbox: CPython 3.11 on x86_64 Linux', () => {
    expect(markerApplies('python_version >= "3.8"')).toBe(true);
    expect(markerApplies('python_version < "3.10"')).toBe(false);
    expect(markerApplies('sys_platform == "win32"')).toBe(false);
    expect(markerApplies('platform_system != "Windows" and (python_version > "3.9" or os_name == "nt")')).toBe(true);
    expect(markerApplies('"linux" in sys_platform')).toBe(true);
    expect(markerApplies('extra == "dev"')).toBe(false);
    expect(markerApplies('extra == "Dev"', { extra: 'dev' })).toBe(true);
  });

  it('keeps what applies, with the extras a dependent asked for', () => {
    const reqs = ['a', 'b; sys_platform == "darwin"', 'c; extra == "socks"', 'd; python_version<"3"'].map((l) => parseRequirement(l)!);
    expect(applicable(reqs).map((r) => r.name)).toEqual(['a']);
    expect(applicable(reqs, ['socks']).map((r) => r.name)).toEqual(['a', 'c']);
  });

  it('reads egg-info requires.txt sections and setup.py / setup.cfg install_requires', () => {
    const egg = eggInfoRequires('requests>=2\n\n[:sys_platform == "win32"]\npywin32\n\n[test]\npytest\n');
    expect(applicable(egg).map((r) => r.name)).toEqual(['requests']);
    expect(setuptoolsRequires(undefined, "setup(name='x', install_requires=['requests>=2.0', \"pyyaml\"])").map((r) => r.name)).toEqual(['requests', 'pyyaml']);
    expect(setuptoolsRequires('[options]\ninstall_requires =\n    click>=7\n    rich\n').map((r) => r.name)).toEqual(['click', 'rich']);
  });
});
