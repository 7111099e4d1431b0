import { mkdtemp, mkdir, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { packArchive } from './archive.js';

async function entries(pack: ReturnType<typeof packArchive>): Promise<Map<string, { type: string; mode?: number; body: string; linkname?: string | null }>> {
  const extract = tar.extract();
  const out = new Map<string, { type: string; mode?: number; body: string; linkname?: string | null }>();
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      out.set(entry.header.name, { type: entry.header.type ?? 'file', mode: entry.header.mode, body: Buffer.concat(chunks).toString(), linkname: entry.header.linkname });
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

  it('refuses names that climb out of the archive', () => {
    expect(() => packArchive([{ path: '../../etc/cron.d/x', content: '' }], {})).toThrow(/escapes/);
    expect(() => packArchive([{ path: 'home/../../x', content: '' }], {})).toThrow(/escapes/);
  });
});
