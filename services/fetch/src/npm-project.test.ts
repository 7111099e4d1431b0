import { describe, expect, it } from 'vitest';
import { linkInstalledProject, resolveKey, tarballSpecs, type LockEntry } from './npm-project.js';

const at = '../../../../usr/local/lib/node-project';
const installed = { fromRoot: at, dir: '/usr/local/lib/node-project' };
const reg = (name: string, version: string, extra: LockEntry = {}): LockEntry => ({
  version,
  resolved: `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${version}.tgz`,
  integrity: `sha512-${name}${version}`,
  ...extra,
});

// The installed app: express (→ debug@2 nested, ms hoisted), chalk with a bin; ms is transitive.
const app = {
  packages: {
    '': { name: 'app', version: '1.0.0', dependencies: { express: '5.0.0', chalk: '5.0.0' } },
    'node_modules/express': reg('express', '5.0.0', { dependencies: { debug: '^2', ms: '^2' } }),
    'node_modules/express/node_modules/debug': reg('debug', '2.6.9', { dependencies: { ms: '^2' } }),
    'node_modules/ms': reg('ms', '2.1.3'),
    'node_modules/chalk': reg('chalk', '5.0.0', { bin: { chalk: './cli.js' } }),
  } as Record<string, LockEntry>,
};

/** npm's resolution of the app plus `evil`, which needs ms (deduped against the app's) and debug@4. */
function resolvedWithEvil(): { packages: Record<string, LockEntry> } {
  const packages = structuredClone(app.packages);
  packages['']!.dependencies = { ...packages['']!.dependencies, evil: '1.0.0' };
  packages['node_modules/evil'] = reg('evil', '1.0.0', { dependencies: { ms: '^2.1.0', debug: '^4' } });
  packages['node_modules/debug'] = reg('debug', '4.3.4', { dependencies: { ms: '^2.1.1' } });
  return { packages };
}

describe('linkInstalledProject', () => {
  it('links what the project resolves at its top level, keeps new packages, describes the installed tree', () => {
    const r = linkInstalledProject(resolvedWithEvil(), app, installed);
    const p = r.lock.packages!;
    // Declared by the app, and ms because evil (a new package) resolves it at the top level.
    expect(Object.keys(r.links).sort()).toEqual(['node_modules/chalk', 'node_modules/express', 'node_modules/ms']);
    expect(r.links['node_modules/express']).toBe('/usr/local/lib/node-project/node_modules/express');
    expect(p['node_modules/express']).toEqual({ resolved: `${at}/node_modules/express`, link: true });
    // The installed tree as npm must see it, nested entries included.
    expect(p[`${at}/node_modules/express/node_modules/debug`]?.version).toBe('2.6.9');
    expect(p['node_modules/express/node_modules/debug']).toBeUndefined();
    expect(r.installKeys.sort()).toEqual(['node_modules/debug', 'node_modules/evil']);
    expect(p['node_modules/evil']?.version).toBe('1.0.0');
    expect(r.bins).toEqual({ 'node_modules/.bin/chalk': '../chalk/cli.js' });
  });

  it('a transitive app package nothing new needs is neither linked nor kept (npm would prune it)', () => {
    const packages = structuredClone(app.packages);
    packages['node_modules/left-pad'] = reg('left-pad', '1.3.0');
    packages['']!.dependencies = { ...packages['']!.dependencies, 'left-pad': '1.3.0' };
    const r = linkInstalledProject({ packages }, app, installed);
    expect(Object.keys(r.links).sort()).toEqual(['node_modules/chalk', 'node_modules/express']);
    expect(r.lock.packages!['node_modules/ms']).toBeUndefined();
    expect(r.lock.packages![`${at}/node_modules/ms`]).toBeDefined();
  });

  it('an app package npm changed or added something inside is installed for real, with its subtree', () => {
    const changed = resolvedWithEvil();
    changed.packages['node_modules/express/node_modules/qs'] = reg('qs', '6.0.0');
    changed.packages['node_modules/chalk'] = reg('chalk', '5.1.0');
    const r = linkInstalledProject(changed, app, installed);
    expect(r.links['node_modules/express']).toBeUndefined();
    expect(r.links['node_modules/chalk']).toBeUndefined();
    expect(r.installKeys.sort()).toEqual([
      'node_modules/chalk',
      'node_modules/debug',
      'node_modules/evil',
      'node_modules/express',
      'node_modules/express/node_modules/debug',
      'node_modules/express/node_modules/qs',
    ]);
    expect(r.lock.packages!['node_modules/express']?.version).toBe('5.0.0');
  });
});

describe('resolveKey', () => {
  it('walks up like node: nearest node_modules first', () => {
    const { packages } = resolvedWithEvil();
    expect(resolveKey(packages, 'node_modules/express', 'debug')).toBe('node_modules/express/node_modules/debug');
    expect(resolveKey(packages, 'node_modules/evil', 'debug')).toBe('node_modules/debug');
    expect(resolveKey(packages, 'node_modules/express/node_modules/debug', 'ms')).toBe('node_modules/ms');
    expect(resolveKey(packages, '', 'nope')).toBeUndefined();
  });
});

describe('tarballSpecs', () => {
  it('registry tarballs only: no links, no file: uploads, no optional packages for another platform', () => {
    const packages: Record<string, LockEntry> = {
      'node_modules/a': reg('a', '1.0.0'),
      'node_modules/@s/b': reg('@s/b', '2.0.0'),
      'node_modules/up': { version: '1.0.0', resolved: 'file:dist/up-1.0.0.tgz' },
      'node_modules/l': { resolved: 'x', link: true },
      'node_modules/@esbuild/darwin-arm64': reg('@esbuild/darwin-arm64', '0.25.0', { optional: true, os: ['darwin'], cpu: ['arm64'] }),
      'node_modules/@esbuild/linux-x64': reg('@esbuild/linux-x64', '0.25.0', { optional: true, os: ['linux'], cpu: ['x64'] }),
      'node_modules/x/node_modules/a': { version: '0.1.0' }, // npm >= 11 may leave `resolved` out
    };
    expect(tarballSpecs(packages, Object.keys(packages))).toEqual(['@esbuild/linux-x64@0.25.0', '@s/b@2.0.0', 'a@0.1.0', 'a@1.0.0']);
  });
});
