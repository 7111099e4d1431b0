import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { StagedPackage } from '@vetbox/contracts';
import { STEPS_RUNNER } from '@vetbox/contracts';
import { phaseCommand, stepLine } from '../commands.js';
import { againCommand, installRunsPackageCode, pypiMetadataEntries, reinstallRemoves } from './commands.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'vetbox-again-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function tgz(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve) => pack.on('end', resolve));
  for (const [name, content] of Object.entries(files)) pack.entry({ name: `package/${name}` }, content);
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

/** An npm package staged as main stages it: its tarball in dist/, nothing unpacked. */
async function npmStaged(name: string, manifest: Record<string, unknown>, extra: Record<string, string> = {}): Promise<StagedPackage> {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, 'dist'), { recursive: true });
  const archiveFile = `dist/${name}-1.0.0.tgz`;
  writeFileSync(path.join(dir, archiveFile), await tgz({ 'package.json': JSON.stringify({ name, version: '1.0.0', ...manifest }), 'index.js': '', ...extra }));
  return { ecosystem: 'npm', name, version: '1.0.0', source: 'upload', sha256: '', size: 0, dir, archiveFile, importNames: [name], entryPoints: [], declaredHosts: [] };
}
const pypi = (archiveFile: string): StagedPackage => ({ ecosystem: 'pypi', name: 'p', version: '1.0', source: 'upload', sha256: '', size: 0, dir: root, archiveFile, importNames: ['p'], entryPoints: [], declaredHosts: [] });

describe('the idle phase installs again only where installing runs package code', () => {
  it('npm: as fetch read the tarball (a lifecycle script or a native build); unknown counts as yes', () => {
    const npm = (installScript?: boolean): StagedPackage => ({ ...pypi('dist/n-1.0.0.tgz'), ecosystem: 'npm', ...(installScript === undefined ? {} : { installScript }) });
    expect(installRunsPackageCode(npm(false))).toBe(false);
    expect(installRunsPackageCode(npm(true))).toBe(true);
    expect(installRunsPackageCode(npm())).toBe(true);
  });

  it('PyPI: an sdist builds (runs setup.py), a wheel does not', () => {
    expect(installRunsPackageCode(pypi('dist/p-1.0.tar.gz'))).toBe(true);
    expect(installRunsPackageCode(pypi('dist/p-1.0-py3-none-any.whl'))).toBe(false);
  });

  it("the command: the install phase's own install again (pip after its metadata is taken out) then import, run by the bash steps runner; import alone otherwise", async () => {
    const runner = ['/bin/bash', '-c', STEPS_RUNNER, 'bash'];
    const script = (cmd: string[]) => cmd.slice(4)[0]!.split('\n');
    const sdist = pypi('dist/p-1.0.tar.gz');
    const again = againCommand(sdist, true);
    expect(again.slice(0, 4)).toEqual(runner);
    // Exactly the install phase's pip: no --force-reinstall a developer never types.
    expect(script(again).slice(0, 2)).toEqual(['{ exec 0<&3 3<&-', stepLine(phaseCommand('install', sdist))]);
    expect(script(again)[2]).toBe(`python3 <<< 'exec(compile(open("/usr/local/libexec/import-py.py").read(), "<stdin>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__, "argv": ["","p","p"]})'`);
    expect(again.join(' ')).not.toContain('force-reinstall');
    const npm = await npmStaged('hooked2', { scripts: { install: 'node-gyp rebuild' } });
    // Exactly the install phase's `npm install`: no `rebuild`, no extra flags the scripts would see.
    expect(againCommand(npm, true)).toEqual([...runner, `{ exec 0<&3 3<&-\n'npm' 'install'\n${stepLine(phaseCommand('import', npm))}\nexit\n}`]);
    expect(reinstallRemoves(npm, '/home/u/app')).toEqual(['/home/u/app/node_modules/hooked2']);
    expect(reinstallRemoves(sdist, '/home/u/app')).toEqual([]);
    const plain = await npmStaged('plain2', {});
    expect(againCommand(plain, false)).toEqual([...runner, `{ exec 0<&3 3<&-\n${stepLine(phaseCommand('import', plain))}\nexit\n}`]);
    expect(stepLine(phaseCommand('import', plain))).toMatch(/^'node' '-e' 'import\('\\''plain2'\\''\)/);
  });

  it("PyPI: what pip checks to find the distribution installed is its metadata, any name escaping", () => {
    const site = ['Foo_Bar-1.0.dist-info', 'foo_bar', 'foo_bar-2.0-py3.11.egg-info', 'foo_barbaz-1.0.dist-info', 'other-1.0.dist-info', 'foo_bar.pth'];
    expect(pypiMetadataEntries('foo-bar', site)).toEqual(['Foo_Bar-1.0.dist-info', 'foo_bar-2.0-py3.11.egg-info']);
    expect(pypiMetadataEntries('Foo.Bar', site)).toEqual(['Foo_Bar-1.0.dist-info', 'foo_bar-2.0-py3.11.egg-info']);
  });
});
