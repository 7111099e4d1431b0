import { describe, expect, it } from 'vitest';
import { classifyContext, classifyFile, isPackageManagerArgv } from './classify.js';

describe('isPackageManagerArgv', () => {
  it('recognises package managers and nothing they run for the package', () => {
    const yes = [
      ['npm', 'rebuild'],
      ['node', '/usr/bin/npm', 'rebuild'],
      ['node', '/usr/lib/node_modules/npm/bin/npm-cli.js', 'install'],
      ['/usr/bin/npx', 'x'],
      ['python3', '-m', 'pip', 'install', 'x'],
      ['/usr/bin/python3', '/usr/bin/pip', 'install', 'x'],
      ['pip3', 'install', 'x'],
      ['node', '/usr/local/lib/node_modules/pnpm/bin/pnpm.cjs', 'install'],
    ];
    const no = [
      ['sh', '-c', 'node install.js'],
      ['node', 'install.js'],
      ['node', '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js', 'rebuild'],
      ['/usr/bin/python3', '-c', "exec(compile('''# This is <pip-setuptools-caller>..."],
      ['python3', '/usr/lib/python3/dist-packages/pip/_vendor/pyproject_hooks/_in_process/_in_process.py', 'build_wheel'],
      ['curl', '-s', 'http://192.0.2.10/x'],
      [],
    ];
    for (const argv of yes) expect(isPackageManagerArgv(argv), argv.join(' ')).toBe(true);
    for (const argv of no) expect(isPackageManagerArgv(argv), argv.join(' ')).toBe(false);
  });
});

describe('classifyFile', () => {
  const ctx = classifyContext({ image: 'i', hostname: 'h', user: 'u', home: '/home/u', workdir: '/home/u/app', packageDirs: ['/home/u/app/node_modules/p'], network: 'none' });

  it("folds node's reads of the interception CA and of the project's manifest, not other manifests or writes", () => {
    expect(classifyFile(ctx, false, 5, '/usr/local/share/ca-certificates/corp-proxy-ca.crt', 'read', 'ok')).toBe('tls-trust-store');
    expect(classifyFile(ctx, false, 5, '/home/u/app/package.json', 'read', 'ok')).toBe('module-resolution');
    expect(classifyFile(ctx, false, 5, '/home/u/app/package.json', 'write', 'ok')).toBeNull();
    expect(classifyFile(ctx, false, 5, '/home/u/other/package.json', 'read', 'ok')).toBeNull();
    expect(classifyFile(ctx, false, 5, '/home/u/.config/gh/hosts.yml', 'read', 'ok')).toBeNull();
  });

  it('folds runtime noise for reads and probes, never for writes or execs', () => {
    expect(classifyFile(ctx, false, 5, '/lib/x86_64-linux-gnu/libc.so.6', 'read', 'ok')).toBe('shared-libraries');
    expect(classifyFile(ctx, false, 5, '/usr/lib/python3.11/os.py', 'read', 'ok')).toBe('python-stdlib');
    expect(classifyFile(ctx, false, 5, '/usr/lib/python3/dist-packages/pip/__init__.py', 'read', 'ok')).toBe('python-stdlib');
    expect(classifyFile(ctx, false, 5, '/usr/local/lib/python3.11/site-packages/evil/__init__.py', 'read', 'ok')).toBeNull();
    expect(classifyFile(ctx, false, 5, '/proc/self/maps', 'read', 'ok')).toBe('runtime-introspection');
    expect(classifyFile(ctx, false, 5, '/proc/5/status', 'read', 'ok')).toBe('runtime-introspection');
    expect(classifyFile(ctx, false, 5, '/proc/1/cgroup', 'read', 'ok')).toBeNull(); // a sandbox probe: evidence
    expect(classifyFile(ctx, false, 5, '/home/u/app/node_modules/p/index.js', 'read', 'ok')).toBe('package-own-files');
    expect(classifyFile(ctx, false, 5, '/home/u/app/node_modules/p/index.js', 'write', 'ok')).toBeNull();
    expect(classifyFile(ctx, false, 5, '/usr/lib/x86_64-linux-gnu/libevil.so', 'write', 'ok')).toBeNull();
    expect(classifyFile(ctx, false, 5, '/usr/bin/curl', 'exec', 'ok')).toBeNull();
    expect(classifyFile(ctx, false, 5, '/usr/local/bin/curl', 'exec', 'ENOENT')).toBe('exec-path-search');
    expect(classifyFile(ctx, false, 5, '/.dockerenv', 'stat', 'ENOENT')).toBeNull();
    expect(classifyFile(ctx, false, 5, '/home/u/.ssh/id_rsa', 'read', 'ok')).toBeNull();
  });

  it('attributes by process: ~/.npmrc is housekeeping for npm, evidence for a script', () => {
    expect(classifyFile(ctx, true, 5, '/home/u/.npmrc', 'read', 'ok')).toBe('package-manager-config');
    expect(classifyFile(ctx, true, 5, '/home/u/.npm/_cacache/index-v5/00/11', 'read', 'ok')).toBe('package-manager-cache');
    expect(classifyFile(ctx, true, 5, '/home/u/app/node_modules/.package-lock.json', 'write', 'ok')).toBe('package-manager');
    expect(classifyFile(ctx, false, 6, '/home/u/.npmrc', 'read', 'ok')).toBeNull();
  });
});

describe('classifyFile: bystander packages', () => {
  const ctx = classifyContext({
    image: 'i', hostname: 'h', user: 'u', home: '/home/u', workdir: '/home/u/app', network: 'none',
    packageDirs: ['/home/u/app/node_modules/p'],
    bystanderDirs: ['/usr/local/lib/node-project', '/usr/lib/node_modules', '/home/u/app/node_modules'],
  });

  it('loading the project\'s other dependencies is housekeeping; writing into them is evidence', () => {
    expect(classifyFile(ctx, false, 5, '/usr/local/lib/node-project/node_modules/axios/index.js', 'read', 'ok')).toBe('other-packages');
    expect(classifyFile(ctx, false, 5, '/home/u/app/node_modules/lodash/package.json', 'read', 'ok')).toBe('other-packages');
    expect(classifyFile(ctx, false, 5, '/home/u/app/node_modules/p/index.js', 'read', 'ok')).toBe('package-own-files');
    expect(classifyFile(ctx, false, 5, '/home/u/app/node_modules/express/index.js', 'write', 'ok')).toBeNull();
    expect(classifyFile(ctx, false, 5, '/home/u/.npmrc', 'read', 'ok')).toBeNull();
  });
});
