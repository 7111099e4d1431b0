// fetch, npm side: the real registry (NPM_REGISTRY_URL) for a tiny package, a loopback fake
// registry for tampering and failures, and staging that must never run a package's scripts.
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StagedPackage, VetboxError } from '@vetbox/contracts';
import { fetchNpm, inspectUpload, previousVersion, stage, versionExists, type FetchedArtifact } from '@vetbox/fetch';
import { APP_PROJECT_DIR, APP_PROJECT_FROM_WORKDIR, appProject } from '@vetbox/sandbox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmPackage, writeTarGz } from '../../services/fetch/src/__fixtures__/archives.js';
import { startFakeNpmRegistry, type FakeNpmRegistry } from '../fixtures/fetch/fake-registries.js';

let work: string;
let fake: FakeNpmRegistry;
const cleanup: string[] = [];

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'vetbox-fetch-npm-it-'));
  fake = await startFakeNpmRegistry();
});
afterAll(async () => {
  await fake?.close();
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

/**
 * A package whose every lifecycle script would leave a marker file on the host if it ran.
 * The marker path is absolute and outside the staging directory.
 */
async function scriptedTarball(name: string, version: string, marker: string, dependencies: Record<string, string> = {}): Promise<string> {
  const touch = (what: string) => `node -e "require('fs').appendFileSync(${JSON.stringify(marker).replace(/"/g, "'")}, '${what}\\n')"`;
  const file = path.join(work, `${name}-${version}.tgz`);
  await writeTarGz(
    file,
    npmPackage(
      {
        name,
        version,
        main: 'index.js',
        dependencies,
        scripts: { preinstall: touch('preinstall'), install: touch('install'), postinstall: touch('postinstall'), prepare: touch('prepare') },
      },
      { 'index.js': `require('fs').appendFileSync(${JSON.stringify(marker)}, 'imported\\n');\n` },
    ),
  );
  return file;
}

describe('fetchNpm against the real registry', () => {
  let artifact: FetchedArtifact;

  it('downloads is-number@7.0.0 with its integrity checked and inspects it', async () => {
    artifact = await fetchNpm('is-number', '7.0.0');
    cleanup.push(artifact.dir!);
    expect(artifact).toMatchObject({
      ecosystem: 'npm',
      source: 'registry',
      kind: 'npm-tarball',
      name: 'is-number',
      version: '7.0.0',
      fileName: 'is-number-7.0.0.tgz',
      importNames: ['is-number'],
      entryPoints: ['index.js'],
    });
    expect(artifact.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(artifact.path)).toBe(true);
  });

  it('stages it into the app project: lockfile resolved, tarballs cached, nothing unpacked on the host', async () => {
    const staged = await stage(artifact, work, { npmProject: appProject() });
    expect(StagedPackage.parse(staged)).toEqual(staged);
    expect(staged).toMatchObject({ ecosystem: 'npm', name: 'is-number', version: '7.0.0', archiveFile: 'dist/is-number-7.0.0.tgz', importNames: ['is-number'] });
    const project = JSON.parse(await readFile(path.join(staged.dir, 'package.json'), 'utf8'));
    expect(project.dependencies).toMatchObject({ 'is-number': '7.0.0', express: expect.any(String), lodash: expect.any(String) });
    expect(locked(staged.dir, 'is-number')).toBe('7.0.0');
    // The app's own packages are links to the image's installed copies, and the lockfile says so.
    const lock = JSON.parse(readFileSync(path.join(staged.dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { link?: boolean; version?: string }> };
    expect(lock.packages['node_modules/lodash']).toMatchObject({ link: true });
    expect(lock.packages[`${APP_PROJECT_FROM_WORKDIR}/node_modules/lodash`]?.version).toBe(appProject().manifest.dependencies.lodash);
    expect(readlinkSync(path.join(staged.dir, 'node_modules/lodash'))).toBe(`${APP_PROJECT_DIR}/node_modules/lodash`);
    expect(cachedKeys(staged.dir)).toContain('is-number-7.0.0.tgz');
    // Nothing unpacked on the host: node_modules holds only links (and scope directories).
    const entries = readdirSync(path.join(staged.dir, 'node_modules'), { recursive: true, withFileTypes: true });
    expect(entries.filter((e) => !e.isSymbolicLink() && !e.isDirectory())).toEqual([]);
    expect(existsSync(path.join(staged.dir, 'node_modules/is-number'))).toBe(false);
    expect(existsSync(path.join(staged.dir, '.npm-cache', '_logs'))).toBe(false); // npm's logs name host paths
    expect(existsSync(path.join(staged.dir, staged.archiveFile))).toBe(true);
  });

  it('resolves a dist-tag to an exact version', async () => {
    const a = await fetchNpm('is-number', 'latest');
    cleanup.push(a.dir!);
    expect(a.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('unknown package → PACKAGE_NOT_FOUND', async () => {
    const err = await rejection(fetchNpm('vetbox-no-such-package-4b1f9e2c7d', '1.0.0'));
    expect(err.code).toBe('PACKAGE_NOT_FOUND');
    expect(err.transient).toBe(false);
  });

  it('unknown version → PACKAGE_NOT_FOUND', async () => {
    const err = await rejection(fetchNpm('is-number', '99.99.99'));
    expect(err.code).toBe('PACKAGE_NOT_FOUND');
    expect(err.message).toMatch(/no version "99.99.99"/);
  });

  it('bad names and versions are INVALID_INPUT before any request', async () => {
    for (const [name, version] of [
      ['../../etc/passwd', '1.0.0'],
      ['x'.repeat(10_000), '1.0.0'],
      ['bad\u0000name', '1.0.0'],
      ['is-number', '^7.0.0'],
      ['is-number', '1.0.0; rm -rf /'],
    ]) {
      expect((await rejection(fetchNpm(name, version, { registryUrl: fake.url }))).code).toBe('INVALID_INPUT');
    }
  });

  it('versionExists answers for the API without downloading anything', async () => {
    expect(await versionExists('npm', 'is-number', '7.0.0')).toBe(true);
    expect(await versionExists('npm', 'is-number', '99.99.99')).toBe(false);
    expect(await versionExists('npm', 'vetbox-no-such-package-4b1f9e2c7d', '1.0.0')).toBe(false);
    expect((await rejection(versionExists('npm', '../../etc/passwd', '1.0.0'))).code).toBe('INVALID_INPUT');
  });

  it('previousVersion follows version order on the registry', async () => {
    expect(await previousVersion('npm', 'is-number', '7.0.0')).toBe('6.0.0');
    expect(await previousVersion('npm', 'is-number', '2.1.0')).toBe('2.0.2');
    expect(await previousVersion('npm', 'is-number', '0.1.0')).toBeNull();
    expect((await rejection(previousVersion('npm', 'is-number', '99.0.0'))).code).toBe('PACKAGE_NOT_FOUND');
  });
});

/** The version package-lock.json places at node_modules/<name>. */
function locked(dir: string, name: string): string | undefined {
  const lock = JSON.parse(readFileSync(path.join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  return lock.packages[`node_modules/${name}`]?.version;
}

/** Every key of the staged npm cache's index (tarball URLs among them). */
function cachedKeys(dir: string): string {
  const index = path.join(dir, '.npm-cache', '_cacache', 'index-v5');
  if (!existsSync(index)) return '';
  return (readdirSync(index, { recursive: true }) as string[])
    .map((f) => path.join(index, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
}

/** The lockfile's hasInstallScript for a staged package: npm runs its install scripts only when set. */
function installFlag(dir: string, name: string): boolean | undefined {
  const lock = JSON.parse(readFileSync(path.join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
  return lock.packages[`node_modules/${name}`]?.hasInstallScript;
}

describe('staging never runs package code on the host', () => {
  it('an uploaded tarball with install scripts is installed (with its registry dependency) and no script runs', async () => {
    const marker = path.join(work, 'upload-marker.txt');
    const upload = await scriptedTarball('vetbox-scripted-upload', '1.0.0', marker, { 'is-number': '7.0.0' });
    const artifact = await inspectUpload(upload, 'vetbox-scripted-upload.tgz');
    expect(artifact).toMatchObject({ source: 'upload', ecosystem: 'npm', name: 'vetbox-scripted-upload', version: '1.0.0' });
    const staged = await stage(artifact, work);
    const project = JSON.parse(await readFile(path.join(staged.dir, 'package.json'), 'utf8'));
    expect(project.dependencies).toEqual({ 'vetbox-scripted-upload': 'file:dist/vetbox-scripted-upload-1.0.0.tgz' });
    expect(locked(staged.dir, 'vetbox-scripted-upload')).toBe('1.0.0');
    expect(locked(staged.dir, 'is-number')).toBe('7.0.0');
    expect(cachedKeys(staged.dir)).toContain('is-number-7.0.0.tgz');
    expect(existsSync(marker)).toBe(false);
  });

  // npm >= 11.19 also withholds scripts of registry packages that are not in `allow-scripts`,
  // so on this machine the upload case above is the one that fails without --ignore-scripts;
  // this one guards older npm versions (CI, developer machines).
  it('a registry package with install scripts (served on loopback) is staged without running them', async () => {
    const marker = path.join(work, 'registry-marker.txt');
    const tarball = await readFile(await scriptedTarball('vetbox-scripted-reg', '2.0.0', marker));
    fake.add({ name: 'vetbox-scripted-reg', version: '2.0.0', tarball });
    const artifact = await fetchNpm('vetbox-scripted-reg', '2.0.0', { registryUrl: fake.url });
    cleanup.push(artifact.dir!);
    const staged = await stage(artifact, work, { registryUrl: fake.url });
    expect(locked(staged.dir, 'vetbox-scripted-reg')).toBe('2.0.0');
    expect(installFlag(staged.dir, 'vetbox-scripted-reg')).toBe(true);
    expect(staged).toMatchObject({ installScript: true, archiveQuirks: [] });
    expect(cachedKeys(staged.dir)).toContain('vetbox-scripted-reg-2.0.0.tgz');
    expect(existsSync(marker)).toBe(false);
  });

  it('registry metadata that hides the install scripts its tarball runs, or adds a dependency it does not name (manifest confusion): installed as npm would with the scripts run, each mismatch named', async () => {
    const marker = path.join(work, 'confused-marker.txt');
    const tarball = await readFile(await scriptedTarball('vetbox-confused-reg', '1.0.0', marker));
    const hiddenDep = await readFile(await scriptedTarball('vetbox-hidden-dep', '1.0.0', marker));
    fake.add({ name: 'vetbox-hidden-dep', version: '1.0.0', tarball: hiddenDep });
    fake.add({ name: 'vetbox-confused-reg', version: '1.0.0', tarball, hideInstallScripts: true, dependencies: { 'vetbox-hidden-dep': '1.0.0' } });
    const artifact = await fetchNpm('vetbox-confused-reg', '1.0.0', { registryUrl: fake.url });
    cleanup.push(artifact.dir!);
    const staged = await stage(artifact, work, { registryUrl: fake.url });
    // npm resolved from the metadata and would skip the postinstall; the staged lockfile runs it.
    expect(installFlag(staged.dir, 'vetbox-confused-reg')).toBe(true);
    expect(locked(staged.dir, 'vetbox-hidden-dep')).toBe('1.0.0');
    expect(staged.archiveQuirks?.map((q) => [q.kind, q.path])).toEqual([
      ['manifest-confusion', 'package.json#scripts'],
      ['manifest-confusion', 'package.json#dependencies'],
    ]);
    expect(staged.archiveQuirks?.[0]?.detail).toMatch(/declares no install script.*postinstall: "node -e/);
    expect(staged.archiveQuirks?.[1]?.detail).toMatch(/lists dependencies its tarball's package.json does not: vetbox-hidden-dep \(npm installs them/);
    expect(existsSync(marker)).toBe(false);
  });

  it('conflicting peer dependencies are staged the npm 6 way (--legacy-peer-deps) instead of failing', async () => {
    // The upload wants x@1 and w next to it, w wants x@2 next to it: no tree has both (ERESOLVE).
    const pkg = async (name: string, version: string, peerDependencies: Record<string, string> = {}) => {
      const file = path.join(work, `peer-${name}-${version}.tgz`);
      await writeTarGz(file, npmPackage({ name, version, peerDependencies }));
      fake.add({ name, version, tarball: await readFile(file), peerDependencies });
    };
    await pkg('vetbox-peer-x', '1.0.0');
    await pkg('vetbox-peer-x', '2.0.0');
    await pkg('vetbox-peer-w', '1.0.0', { 'vetbox-peer-x': '2.0.0' });
    const file = path.join(work, 'vetbox-peer-conflict-1.0.0.tgz');
    await writeTarGz(file, npmPackage({ name: 'vetbox-peer-conflict', version: '1.0.0', peerDependencies: { 'vetbox-peer-x': '1.0.0', 'vetbox-peer-w': '1.0.0' } }));
    const staged = await stage(await inspectUpload(file), work, { registryUrl: fake.url });
    expect(locked(staged.dir, 'vetbox-peer-conflict')).toBe('1.0.0');
  });

  it('a dependency that does not exist fails staging with PACKAGE_NOT_FOUND and leaves nothing behind', async () => {
    const root = path.join(work, 'failing-stage');
    await mkdir(root);
    const upload = await scriptedTarball('vetbox-broken-dep', '1.0.0', path.join(work, 'never.txt'), { 'vetbox-no-such-package-4b1f9e2c7d': '1.0.0' });
    const err = await rejection(stage(await inspectUpload(upload), root, { registryUrl: fake.url }));
    expect(err.code).toBe('PACKAGE_NOT_FOUND');
    expect(await readdir(root)).toEqual([]);
  });
});

describe('staging refuses dependencies from outside the registry', () => {
  it.each([
    ['a git URL', () => 'git+https://github.example/owner/repo.git'],
    ['a tarball URL (the host would contact it)', () => `${fake.url}/remote/leak.tgz`],
    ['a host directory', () => 'file:/etc'],
    ['a host tarball', () => `file:${path.join(work, 'some-host-file.tgz')}`],
  ])('%s → INVALID_INPUT, nothing fetched', async (_what, spec) => {
    const root = await mkdtemp(path.join(work, 'refuse-'));
    const upload = await scriptedTarball(`vetbox-dep-${Math.random().toString(36).slice(2, 8)}`, '1.0.0', path.join(work, 'never.txt'), { sneaky: spec() });
    const before = fake.requests.length;
    const err = await rejection(stage(await inspectUpload(upload), root, { registryUrl: fake.url }));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.message).toMatch(/EALLOW/);
    expect(fake.requests.slice(before).filter((r) => r.startsWith('/remote'))).toEqual([]);
    expect(await readdir(root)).toEqual([]);
  });
});

describe('fetchNpm against a loopback registry', () => {
  const tarballFor = async (name: string, version: string) => {
    const file = path.join(work, `plain-${name}-${version}.tgz`);
    await writeTarGz(file, npmPackage({ name, version }));
    return readFile(file);
  };

  it('accepts a tarball that matches the sha1 shasum when no integrity is given', async () => {
    fake.add({ name: 'vetbox-sha1-only', version: '1.0.0', tarball: await tarballFor('vetbox-sha1-only', '1.0.0'), shasumOnly: true });
    const a = await fetchNpm('vetbox-sha1-only', '1.0.0', { registryUrl: fake.url });
    cleanup.push(a.dir!);
    expect(a.name).toBe('vetbox-sha1-only');
  });

  it('tampered tarball → INTEGRITY_MISMATCH, and the download is removed', async () => {
    const genuine = await tarballFor('vetbox-tampered', '1.0.0');
    const other = await tarballFor('vetbox-tampered', '1.0.1');
    const { createHash } = await import('node:crypto');
    // The registry vouches for one tarball and serves another.
    fake.add({ name: 'vetbox-tampered', version: '1.0.0', tarball: other, integrity: `sha512-${createHash('sha512').update(genuine).digest('base64')}` });
    const dest = path.join(work, 'tampered-dest');
    await mkdir(dest);
    const err = await rejection(fetchNpm('vetbox-tampered', '1.0.0', { registryUrl: fake.url, destDir: dest }));
    expect(err.code).toBe('INTEGRITY_MISMATCH');
    expect(err.message).toMatch(/sha512 does not match/);
    expect(await readdir(dest)).toEqual([]);
  });

  it('a temporary download directory is removed on failure', async () => {
    const tmp = path.join(work, 'tmpdir');
    await mkdir(tmp);
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      fake.add({ name: 'vetbox-tampered-2', version: '1.0.0', tarball: await tarballFor('vetbox-tampered-2', '1.0.0'), integrity: 'sha512-AAAA' });
      expect((await rejection(fetchNpm('vetbox-tampered-2', '1.0.0', { registryUrl: fake.url }))).code).toBe('INTEGRITY_MISMATCH');
    } finally {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
    }
    expect(await readdir(tmp)).toEqual([]);
  });

  it('a tarball that is a hostile archive is refused even from a registry', async () => {
    const file = path.join(work, 'evil-reg.tgz');
    await writeTarGz(file, [...npmPackage({ name: 'vetbox-evil-reg', version: '1.0.0' }), { name: 'package/x', type: 'symlink', linkname: '/etc/shadow' }]);
    fake.add({ name: 'vetbox-evil-reg', version: '1.0.0', tarball: await readFile(file) });
    const err = await rejection(fetchNpm('vetbox-evil-reg', '1.0.0', { registryUrl: fake.url }));
    expect(err.code).toBe('BAD_ARCHIVE');
    expect(err.message).toMatch(/symbolic link/);
  });

  it('a tarball over the download cap → ARCHIVE_TOO_LARGE', async () => {
    fake.add({ name: 'vetbox-big', version: '1.0.0', tarball: await tarballFor('vetbox-big', '1.0.0') });
    const err = await rejection(fetchNpm('vetbox-big', '1.0.0', { registryUrl: fake.url, maxDownloadBytes: 64 }));
    expect(err.code).toBe('ARCHIVE_TOO_LARGE');
    // Without a Content-Length the cap is enforced while streaming.
    fake.add({ name: 'vetbox-big-chunked', version: '1.0.0', tarball: await tarballFor('vetbox-big-chunked', '1.0.0'), chunked: true });
    const dest = path.join(work, 'chunked-dest');
    await mkdir(dest);
    const err2 = await rejection(fetchNpm('vetbox-big-chunked', '1.0.0', { registryUrl: fake.url, maxDownloadBytes: 64, destDir: dest }));
    expect(err2.code).toBe('ARCHIVE_TOO_LARGE');
    expect(err2.message).toMatch(/download exceeds/);
    expect(await readdir(dest)).toEqual([]);
  });

  it('registry 5xx → REGISTRY_UNAVAILABLE (transient)', async () => {
    fake.mode = 'error500';
    try {
      const err = await rejection(fetchNpm('is-number', '7.0.0', { registryUrl: fake.url }));
      expect(err.code).toBe('REGISTRY_UNAVAILABLE');
      expect(err.transient).toBe(true);
    } finally {
      fake.mode = 'ok';
    }
  });

  it('a registry that never answers → REGISTRY_UNAVAILABLE after the time-out', async () => {
    fake.mode = 'hang';
    try {
      const started = Date.now();
      const err = await rejection(fetchNpm('is-number', '7.0.0', { registryUrl: fake.url, metadataTimeoutMs: 300 }));
      expect(err.code).toBe('REGISTRY_UNAVAILABLE');
      expect(err.message).toMatch(/timed out after 300 ms/);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      fake.mode = 'ok';
    }
  });

  it('a refused connection → REGISTRY_UNAVAILABLE', async () => {
    // A port that was just free: nothing listens there.
    const probe = await startFakeNpmRegistry();
    await probe.close();
    const err = await rejection(fetchNpm('is-number', '7.0.0', { registryUrl: probe.url }));
    expect(err.code).toBe('REGISTRY_UNAVAILABLE');
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('cancellation → CANCELLED', async () => {
    fake.mode = 'hang';
    try {
      const ctl = new AbortController();
      setTimeout(() => ctl.abort(), 100);
      expect((await rejection(fetchNpm('is-number', '7.0.0', { registryUrl: fake.url, signal: ctl.signal }))).code).toBe('CANCELLED');
    } finally {
      fake.mode = 'ok';
    }
  });
});
