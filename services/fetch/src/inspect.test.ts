import { mkdtemp, rm, writeFile, readFile, truncate, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { VetboxError } from '@vetbox/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmPackage, patchBytes, sdistFiles, wheelFiles, writeGzipBomb, writeTarGz, writeZip, type TarEntry } from './__fixtures__/archives.js';
import { inspectUpload } from './inspect.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vetbox-inspect-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
const file = (ext: string) => path.join(dir, `a${++n}${ext}`);

async function tgz(entries: TarEntry[]): Promise<string> {
  const p = file('.tgz');
  await writeTarGz(p, entries);
  return p;
}

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

describe('inspectUpload: good archives', () => {
  it('identifies an npm tarball from package/package.json', async () => {
    const p = await tgz(
      npmPackage(
        { name: '@scope/demo', version: '1.2.3', main: 'lib/index.js', bin: { demo: 'bin/cli.js' }, exports: { '.': { import: './lib/index.mjs', require: './lib/index.js' } } },
        { 'lib/index.js': '', 'lib/index.mjs': '', 'bin/cli.js': '' },
      ),
    );
    const a = await inspectUpload(p, 'demo.tgz');
    expect(a).toMatchObject({
      ecosystem: 'npm',
      kind: 'npm-tarball',
      format: 'tar.gz',
      name: '@scope/demo',
      version: '1.2.3',
      fileName: 'scope-demo-1.2.3.tgz',
      importNames: ['@scope/demo'],
      entryCount: 4,
    });
    expect(a.entryPoints.sort()).toEqual(['./lib/index.js', './lib/index.mjs', 'bin/cli.js', 'lib/index.js']);
    expect(a.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(a.size).toBe((await stat(p)).size);
  });

  it("names the hosts package.json declares as the package's home (repository, homepage, bugs, binary.host)", async () => {
    const pkg = {
      name: 'addon-demo',
      version: '1.0.0',
      repository: { type: 'git', url: 'git+https://github.com/demo/addon-demo.git' },
      homepage: 'https://addon-demo.example/docs',
      bugs: 'https://tracker.addon-demo.example/issues',
      binary: { host: 'https://demo-binaries.s3.example', remote_path: '{version}' },
    };
    expect((await inspectUpload(await tgz(npmPackage(pkg)))).declaredHosts).toEqual([
      'github.com',
      'addon-demo.example',
      'tracker.addon-demo.example',
      'demo-binaries.s3.example',
    ]);
    expect((await inspectUpload(await tgz(npmPackage({ name: 'bare', version: '1.0.0' })))).declaredHosts).toEqual([]);
  });

  it('defaults the npm entry point to index.js', async () => {
    const a = await inspectUpload(await tgz(npmPackage({ name: 'plain', version: '0.0.1' })));
    expect(a.entryPoints).toEqual(['index.js']);
  });

  it('identifies an sdist tar.gz from PKG-INFO and guesses its modules', async () => {
    const p = await tgz(sdistFiles('Demo.Pkg', '2.0.1rc1', { 'demo_pkg/__init__.py': '', 'helper.py': '', 'tests/__init__.py': '' }));
    const a = await inspectUpload(p, 'upload.tar.gz');
    expect(a).toMatchObject({
      ecosystem: 'pypi',
      kind: 'sdist',
      format: 'tar.gz',
      name: 'Demo.Pkg',
      version: '2.0.1rc1',
      fileName: 'demo_pkg-2.0.1rc1.tar.gz',
      importNames: ['demo_pkg', 'helper'],
    });
  });

  it('reads name and version from pyproject.toml when PKG-INFO is missing (src layout)', async () => {
    const p = await tgz([
      { name: 'whatever-9/pyproject.toml', content: '[project]\nname = "tomlpkg"\nversion = "0.3"\n' },
      { name: 'whatever-9/src/tomlpkg/__init__.py', content: '' },
    ]);
    expect(await inspectUpload(p)).toMatchObject({ ecosystem: 'pypi', name: 'tomlpkg', version: '0.3', importNames: ['tomlpkg'] });
  });

  it('identifies an sdist zip', async () => {
    const p = file('.zip');
    await writeZip(p, sdistFiles('zipped', '1.0', { 'zipped.py': '' }));
    expect(await inspectUpload(p)).toMatchObject({ ecosystem: 'pypi', kind: 'sdist', format: 'zip', name: 'zipped', version: '1.0', fileName: 'zipped-1.0.zip', importNames: ['zipped'] });
  });

  it('identifies a wheel from .dist-info/METADATA, with tags and import names', async () => {
    const p = file('.bin'); // the file name says nothing: content decides
    await writeZip(p, wheelFiles('wheely-thing', '3.1', { 'wheely/__init__.py': '', 'wheely/core.py': '', 'solo.py': '' }));
    expect(await inspectUpload(p)).toMatchObject({
      ecosystem: 'pypi',
      kind: 'wheel',
      format: 'zip',
      name: 'wheely-thing',
      version: '3.1',
      fileName: 'wheely_thing-3.1-py2.py3-none-any.whl',
      importNames: ['solo', 'wheely'],
    });
  });

  it('prefers top_level.txt for a wheel', async () => {
    const p = file('.whl');
    await writeZip(p, wheelFiles('tl', '1.0', { 'a/__init__.py': '', 'b/__init__.py': '' }, { topLevel: ['a'] }));
    expect((await inspectUpload(p)).importNames).toEqual(['a']);
  });
});

describe('inspectUpload: hostile and malformed archives', () => {
  it('rejects a file that is not an archive', async () => {
    const p = file('.tgz');
    await writeFile(p, 'just some text, not an archive\n');
    const err = await rejection(inspectUpload(p, 'evil.tgz'));
    expect(err.code).toBe('BAD_ARCHIVE');
    expect(err.message).toMatch(/not an archive/);
    expect(err.message).toContain('evil.tgz');
  });

  it('rejects an empty file', async () => {
    const p = file('.tgz');
    await writeFile(p, '');
    expect((await rejection(inspectUpload(p))).message).toMatch(/empty/);
  });

  it('rejects gzip content that is not a tar', async () => {
    const p = file('.tgz');
    await writeFile(p, gzipSync(Buffer.alloc(4096, 'x')));
    const err = await rejection(inspectUpload(p));
    expect(err.code).toBe('BAD_ARCHIVE');
    expect(err.message).toMatch(/not a valid tar/);
  });

  it('rejects a truncated gzip', async () => {
    const p = await tgz(npmPackage({ name: 'trunc', version: '1.0.0' }, { 'big.js': 'x'.repeat(20_000) + Math.random() }));
    const { size } = await stat(p);
    await truncate(p, Math.floor(size / 2));
    const err = await rejection(inspectUpload(p));
    expect(err.code).toBe('BAD_ARCHIVE');
    expect(err.message).toMatch(/truncated/);
  });

  it('rejects a ../ entry', async () => {
    const err = await rejection(inspectUpload(await tgz([...npmPackage({ name: 'x', version: '1.0.0' }), { name: 'package/../../evil.sh', content: 'x' }])));
    expect(err.code).toBe('BAD_ARCHIVE');
    expect(err.message).toMatch(/path traversal/);
  });

  it('rejects an absolute path', async () => {
    const err = await rejection(inspectUpload(await tgz([{ name: '/etc/cron.d/evil', content: 'x' }, ...npmPackage({ name: 'x', version: '1.0.0' })])));
    expect(err.message).toMatch(/absolute path/);
  });

  it('rejects a symlink pointing out of the tree', async () => {
    const err = await rejection(
      inspectUpload(await tgz([...npmPackage({ name: 'x', version: '1.0.0' }), { name: 'package/key', type: 'symlink', linkname: '/root/.ssh/id_rsa' }])),
    );
    expect(err.code).toBe('BAD_ARCHIVE');
    expect(err.message).toMatch(/symbolic link.*id_rsa/);
  });

  it('rejects a hard link', async () => {
    const err = await rejection(
      inspectUpload(await tgz([...npmPackage({ name: 'x', version: '1.0.0' }), { name: 'package/passwd', type: 'link', linkname: 'package/index.js' }])),
    );
    expect(err.message).toMatch(/hard link/);
  });

  it('rejects a device file', async () => {
    const err = await rejection(inspectUpload(await tgz([...npmPackage({ name: 'x', version: '1.0.0' }), { name: 'package/dev', type: 'character-device' }])));
    expect(err.message).toMatch(/device/);
  });

  it('rejects a symlink inside a zip', async () => {
    const p = file('.whl');
    await writeZip(p, [...wheelFiles('lnk', '1.0'), { name: 'evil', content: '/etc/passwd', mode: 0o120777 }]);
    expect((await rejection(inspectUpload(p))).message).toMatch(/symbolic link/);
  });

  it('rejects a ../ entry inside a zip', async () => {
    const p = file('.zip');
    await writeZip(p, [...sdistFiles('z', '1.0'), { name: 'z-1.0/PP/PP/evil.py', content: 'x' }]);
    await patchBytes(p, 'PP/PP/', '../../');
    const err = await rejection(inspectUpload(p));
    expect(err.code).toBe('BAD_ARCHIVE');
    expect(err.message).toMatch(/\.\./);
  });

  it('stops a gzip bomb (2 GiB of zeros in ~2 MB) while streaming', async () => {
    const p = file('.tgz');
    const compressed = await writeGzipBomb(p, 2 * 1024 * 1024 * 1024);
    expect(compressed).toBeLessThan(4 * 1024 * 1024);
    const started = Date.now();
    const err = await rejection(inspectUpload(p));
    expect(err.code).toBe('ARCHIVE_TOO_LARGE');
    expect(err.message).toMatch(/decompression ratio/);
    expect(Date.now() - started).toBeLessThan(10_000); // generous: it must not inflate 2 GiB
  });

  it('stops a zip bomb entry while inflating', async () => {
    const p = file('.whl');
    await writeZip(p, [...wheelFiles('zb', '1.0'), { name: 'zb/zeros.bin', content: Buffer.alloc(24 * 1024 * 1024) }]);
    const err = await rejection(inspectUpload(p));
    expect(err.code).toBe('ARCHIVE_TOO_LARGE');
    expect(err.message).toMatch(/decompression ratio/);
  });

  it('refuses a zip whose declared sizes are over the cap before inflating anything', async () => {
    const p = file('.whl');
    await writeZip(p, [...wheelFiles('zd', '1.0'), { name: 'zd/blob.bin', content: Buffer.alloc(300_000, 7) }]);
    const err = await rejection(inspectUpload(p, undefined, { limits: { maxUnpackedBytes: 100_000 } }));
    expect(err.code).toBe('ARCHIVE_TOO_LARGE');
    expect(err.message).toMatch(/declared unpacked content/);
  });

  it('caps the total unpacked size even at a modest ratio', async () => {
    const random = Buffer.from(Array.from({ length: 300_000 }, () => Math.floor(Math.random() * 256)));
    const p = await tgz(npmPackage({ name: 'big', version: '1.0.0' }, { 'blob.bin': random.toString('latin1') }));
    const err = await rejection(inspectUpload(p, undefined, { limits: { maxUnpackedBytes: 100_000 } }));
    expect(err.code).toBe('ARCHIVE_TOO_LARGE');
    expect(err.message).toMatch(/unpacked content exceeds/);
  });

  it('caps the compressed size', async () => {
    const p = await tgz(npmPackage({ name: 'big', version: '1.0.0' }));
    const err = await rejection(inspectUpload(p, undefined, { limits: { maxCompressedBytes: 10 } }));
    expect(err.code).toBe('ARCHIVE_TOO_LARGE');
  });

  it('rejects too many entries (tar and zip)', async () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ name: `package/f${i}.js`, content: '' }));
    const t = await tgz([...npmPackage({ name: 'many', version: '1.0.0' }), ...many]);
    const e1 = await rejection(inspectUpload(t, undefined, { limits: { maxEntries: 20 } }));
    expect(e1.code).toBe('ARCHIVE_TOO_LARGE');
    expect(e1.message).toMatch(/more than 20 entries/);
    const z = file('.whl');
    await writeZip(z, [...wheelFiles('many', '1.0'), ...many.map((m) => ({ name: m.name.replace('package/', 'many/'), content: '' }))]);
    expect((await rejection(inspectUpload(z, undefined, { limits: { maxEntries: 20 } }))).message).toMatch(/more than 20 entries/);
  });

  it('accepts duplicate entries as installers do (last copy wins, metadata included) and names the quirk', async () => {
    const t = await tgz([...npmPackage({ name: 'x', version: '1.0.0' }), { name: 'package/index.js', content: 'other' }, { name: 'package/package.json', content: JSON.stringify({ name: 'x', version: '2.0.0' }) }]);
    const a = await inspectUpload(t);
    expect(a.version).toBe('2.0.0'); // npm unpacks in order: the second package.json is the one installed
    expect(a.quirks.map((q) => [q.kind, q.path])).toEqual([['duplicate-entry', 'package/index.js'], ['duplicate-entry', 'package/package.json']]);
    expect(a.entryCount).toBe(4);
    const z = file('.whl');
    await writeZip(z, [...wheelFiles('dup', '1.0', { 'dup/__init__.py': '' }), { name: 'dup/__init__.py', content: 'x = 1\n' }]);
    expect((await inspectUpload(z)).quirks).toEqual([expect.objectContaining({ kind: 'duplicate-entry', path: 'dup/__init__.py' })]);
    expect((await inspectUpload(await tgz(npmPackage({ name: 'y', version: '1.0.0' })))).quirks).toEqual([]);
  });

  it('rejects an archive without package metadata', async () => {
    const err = await rejection(inspectUpload(await tgz([{ name: 'stuff/readme.txt', content: 'hi' }])));
    expect(err.code).toBe('BAD_ARCHIVE');
    expect(err.message).toMatch(/no package metadata/);
    const z = file('.zip');
    await writeZip(z, [{ name: 'stuff/readme.txt', content: 'hi' }]);
    expect((await rejection(inspectUpload(z))).message).toMatch(/neither a wheel/);
  });

  it('rejects files outside a single top-level directory', async () => {
    const err = await rejection(inspectUpload(await tgz([...npmPackage({ name: 'x', version: '1.0.0' }), { name: 'other/evil.js', content: '' }])));
    expect(err.message).toMatch(/single top-level directory/);
  });

  it('rejects invalid names and versions', async () => {
    const cases: Array<[TarEntry[], RegExp]> = [
      [npmPackage({ name: '../../etc/passwd', version: '1.0.0' }), /not a valid npm package name/],
      [npmPackage({ name: 'ok', version: 'one point oh' }), /not a valid semver/],
      [npmPackage({ version: '1.0.0' }), /has no "name"/],
      [[{ name: 'package/package.json', content: '{not json' }], /not valid JSON/],
      [sdistFiles('bad name!', '1.0'), /not a valid Python project name/],
      [sdistFiles('good', 'banana'), /not a valid PEP 440/],
    ];
    for (const [entries, re] of cases) {
      const err = await rejection(inspectUpload(await tgz(entries)));
      expect(err.code).toBe('BAD_ARCHIVE');
      expect(err.message).toMatch(re);
    }
  });

  it('rejects a wheel without a WHEEL file', async () => {
    const p = file('.whl');
    await writeZip(p, wheelFiles('nowheel', '1.0').filter((e) => !e.name.endsWith('/WHEEL')));
    expect((await rejection(inspectUpload(p))).message).toMatch(/no .*WHEEL/);
  });

  it('rejects a truncated zip', async () => {
    const p = file('.whl');
    await writeZip(p, wheelFiles('cut', '1.0', { 'cut.py': 'x'.repeat(5000) }));
    const buf = await readFile(p);
    await writeFile(p, buf.subarray(0, buf.length - 30));
    const err = await rejection(inspectUpload(p));
    expect(err.code).toBe('BAD_ARCHIVE');
    expect(err.message).toMatch(/zip/);
  });
});
