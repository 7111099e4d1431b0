import { mkdtemp, mkdir, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { packArchive } from './archive.js';

type Entry = { type: string; mode?: number; body: string; linkname?: string | null; uid?: number; gid?: number };

async function entries(pack: ReturnType<typeof packArchive>): Promise<Map<string, Entry>> {
  const extract = tar.extract();
  const out = new Map<string, Entry>();
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      out.set(entry.header.name, { type: entry.header.type ?? 'file', mode: entry.header.mode, body: Buffer.concat(chunks).toString(), linkname: entry.header.linkname, uid: entry.header.uid, gid: entry.header.gid });
    }
  })();
  pack.pipe(extract);
  await done;
  return out;
}

describe('packArchive', () => {
  it('packs in-memory files with modes and host dirs as they are (symlinks stay links)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vetbox-archive-'));
    await mkdir(path.join(dir, 'node_modules', 'a'), { recursive: true });
    await writeFile(path.join(dir, 'node_modules', 'a', 'index.js'), 'x');
    await symlink('/etc/passwd', path.join(dir, 'link'));
    const got = await entries(packArchive([{ path: 'home/.ssh/id_rsa', content: 'KEY', mode: 0o600 }], { work: dir }));
    expect(got.get('home/.ssh')?.mode).toBe(0o700);
    expect(got.get('home/.ssh/id_rsa')).toMatchObject({ body: 'KEY', mode: 0o600 });
    expect(got.get('work/node_modules/a/index.js')?.body).toBe('x');
    expect(got.get('work/link')).toMatchObject({ type: 'symlink', linkname: '/etc/passwd' });
  });

  it('gives every entry the owner asked for, and leaves out excluded host paths with what is below them', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vetbox-archive-'));
    await mkdir(path.join(dir, '.npm-cache', '_cacache', 'index'), { recursive: true });
    await writeFile(path.join(dir, '.npm-cache', '_cacache', 'index', 'e'), 'entry');
    await writeFile(path.join(dir, 'package.json'), '{}');
    await writeFile(path.join(dir, 'big.tgz'), Buffer.alloc(600 * 1024, 7));
    await symlink('/usr/local/lib/node-project/node_modules/a', path.join(dir, 'a'));
    const got = await entries(packArchive([{ path: 'extra.txt', content: 'x' }], { 'projects/app': dir, '.npm/_cacache': path.join(dir, '.npm-cache', '_cacache') }, { owner: 1000, exclude: [path.join(dir, '.npm-cache')] }));
    expect([...got.keys()].sort()).toEqual(['.npm/_cacache', '.npm/_cacache/index', '.npm/_cacache/index/e', 'extra.txt', 'projects/app', 'projects/app/a', 'projects/app/big.tgz', 'projects/app/package.json']);
    for (const [name, e] of got) expect([name, e.uid, e.gid]).toEqual([name, 1000, 1000]);
    expect(got.get('projects/app/big.tgz')?.body.length).toBe(600 * 1024);
    expect(got.get('.npm/_cacache/index/e')?.body).toBe('entry');
    expect((await entries(packArchive([{ path: 'f', content: '' }], {}))).get('f')?.uid).toBe(0);
  });

  it('refuses names that climb out of the archive', () => {
    expect(() => packArchive([{ path: '../../etc/cron.d/x', content: '' }], {})).toThrow(/escapes/);
    expect(() => packArchive([{ path: 'home/../../x', content: '' }], {})).toThrow(/escapes/);
  });
});
