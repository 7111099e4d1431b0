import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StagedPackage } from '@vetbox/contracts';
import { againCommand, installRunsPackageCode } from './commands.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'vetbox-again-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function npmTree(name: string, packages: Record<string, { scripts?: Record<string, string>; gyp?: boolean }>): StagedPackage {
  const dir = path.join(root, name);
  for (const [pkg, { scripts, gyp }] of Object.entries(packages)) {
    const at = path.join(dir, 'node_modules', pkg);
    mkdirSync(at, { recursive: true });
    writeFileSync(path.join(at, 'package.json'), JSON.stringify({ name: pkg, version: '1.0.0', ...(scripts ? { scripts } : {}) }));
    if (gyp) writeFileSync(path.join(at, 'binding.gyp'), '{}');
  }
  return { ecosystem: 'npm', name, version: '1.0.0', source: 'upload', sha256: '', size: 0, dir, archiveFile: `${name}-1.0.0.tgz`, importNames: [name], entryPoints: [], declaredHosts: [] };
}
const pypi = (archiveFile: string): StagedPackage => ({ ecosystem: 'pypi', name: 'p', version: '1.0', source: 'upload', sha256: '', size: 0, dir: root, archiveFile, importNames: ['p'], entryPoints: [], declaredHosts: [] });

describe('the idle phase installs again only where installing runs package code', () => {
  it('npm: a lifecycle script or a native build anywhere in the staged tree', () => {
    expect(installRunsPackageCode(npmTree('plain', { plain: { scripts: { test: 'x' } } }))).toBe(false);
    expect(installRunsPackageCode(npmTree('hooked', { hooked: {}, '@scope/dep': { scripts: { postinstall: 'node x.js' } } }))).toBe(true);
    expect(installRunsPackageCode(npmTree('native', { native: { gyp: true } }))).toBe(true);
  });

  it('PyPI: an sdist builds (runs setup.py), a wheel does not', () => {
    expect(installRunsPackageCode(pypi('dist/p-1.0.tar.gz'))).toBe(true);
    expect(installRunsPackageCode(pypi('dist/p-1.0-py3-none-any.whl'))).toBe(false);
  });

  it('the command: install again (pip with --force-reinstall) then import; import alone otherwise', () => {
    const sdist = againCommand(pypi('dist/p-1.0.tar.gz'))[2]!;
    expect(sdist).toMatch(/^'python3' '-m' 'pip' 'install' '--force-reinstall' '--no-deps' .*; 'python3' '\/usr\/local\/libexec\/import-py\.py' 'p' 'p'$/);
    expect(againCommand(npmTree('plain2', { plain2: {} }))[2]).toBe("'node' '/usr/local/libexec/import-npm.cjs' 'plain2'");
  });
});
