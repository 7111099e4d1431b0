import { describe, expect, it } from 'vitest';
import { ALL_VERSIONS, malRecord } from './__fixtures__/records.js';
import { listsVersion } from './match.js';
import { IntelOsvRecord, listedPackages } from './record.js';

const npm = (versions: string[], ranges: unknown[] = []) => ({ ecosystem: 'npm' as const, versions, ranges: ranges as never });
const pypi = (versions: string[], ranges: unknown[] = []) => ({ ecosystem: 'pypi' as const, versions, ranges: ranges as never });

describe('listsVersion', () => {
  it('matches exact versions only when no range is given', () => {
    expect(listsVersion(npm(['1.0.0', '1.0.1']), '1.0.1')).toBe(true);
    expect(listsVersion(npm(['1.0.0']), '1.0.2')).toBe(false);
  });

  it('reads introduced "0" as every version', () => {
    expect(listsVersion(npm([], ALL_VERSIONS), '0.0.1')).toBe(true);
    expect(listsVersion(npm([], ALL_VERSIONS), '9.9.9-beta.1')).toBe(true);
  });

  it('closes a range at fixed (exclusive) and after last_affected (inclusive), in version order not list order', () => {
    const ranges = [{ type: 'SEMVER', events: [{ fixed: '1.4.0' }, { introduced: '1.2.0' }] }];
    expect(listsVersion(npm([], ranges), '1.1.9')).toBe(false);
    expect(listsVersion(npm([], ranges), '1.2.0')).toBe(true);
    expect(listsVersion(npm([], ranges), '1.3.5')).toBe(true);
    expect(listsVersion(npm([], ranges), '1.4.0')).toBe(false);
    const last = [{ type: 'ECOSYSTEM', events: [{ introduced: '2.0.0' }, { last_affected: '2.0.3' }] }];
    expect(listsVersion(npm([], last), '2.0.3')).toBe(true);
    expect(listsVersion(npm([], last), '2.0.4')).toBe(false);
  });

  it('orders PyPI versions by PEP 440 (1.0 == 1.0.0, rc before final)', () => {
    const ranges = [{ type: 'ECOSYSTEM', events: [{ introduced: '1.0rc1' }, { fixed: '1.1' }] }];
    expect(listsVersion(pypi([], ranges), '1.0.0')).toBe(true);
    expect(listsVersion(pypi([], ranges), '1.0rc1')).toBe(true);
    expect(listsVersion(pypi([], ranges), '1.0b2')).toBe(false);
    expect(listsVersion(pypi([], ranges), '1.1')).toBe(false);
  });

  it('does not match a version its ecosystem cannot order, except by exact name', () => {
    const ranges = [{ type: 'SEMVER', events: [{ introduced: '0' }] }];
    expect(listsVersion(npm([], ranges), 'not-a-version')).toBe(false);
    expect(listsVersion(npm(['not-a-version'], ranges), 'not-a-version')).toBe(true);
  });
});

describe('listedPackages', () => {
  it('keeps npm and PyPI entries (PyPI names PEP 503 normalized) and drops other ecosystems and GIT ranges', () => {
    const record = IntelOsvRecord.parse(
      malRecord('MAL-2026-1', 'PyPI', 'Evil_Pkg.Name', { versions: ['0.1'] }, {
        affected: [
          { package: { ecosystem: 'PyPI', name: 'Evil_Pkg.Name' }, versions: ['0.1'] },
          { package: { ecosystem: 'Go', name: 'example.invalid/x' }, versions: ['v1.0.0'] },
          { package: { ecosystem: 'npm', name: 'evil-js' }, ranges: [{ type: 'GIT', repo: 'https://example.invalid/r', events: [{ introduced: 'abc' }] }] },
        ],
      }),
    );
    expect(listedPackages(record)).toEqual([{ ecosystem: 'pypi', name: 'evil-pkg-name', versions: ['0.1'], ranges: [] }]);
  });
});
