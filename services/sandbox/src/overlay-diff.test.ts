import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { overlayChanges } from './overlay-diff.js';

const root = await mkdtemp(path.join(os.tmpdir(), 'overlay-diff-'));
afterAll(() => rm(root, { recursive: true, force: true }));

async function put(dir: string, rel: string, content = 'x', mtime = new Date('2026-01-01T00:00:00Z')): Promise<void> {
  const p = path.join(dir, rel);
  await mkdir(path.dirname(p), { recursive: true });
  await writeFile(p, content);
  await utimes(p, mtime, mtime);
}

describe('overlayChanges (docker diff from the layers)', () => {
  it('reports what the engine would: added, changed by size or mode, deleted by whiteout, and every directory above', async () => {
    const lower = path.join(root, 'lower');
    const upper = path.join(root, 'upper');
    await put(lower, 'etc/passwd', 'root');
    await put(lower, 'etc/hostname', 'h');
    await put(lower, 'usr/share/doc/bash/README', 'b');
    await put(lower, 'usr/bin/xargs', 'x');
    // Copied up unchanged (same size, mode, mtime): not a change, and its directory neither.
    await put(upper, 'etc/hostname', 'h');
    await put(upper, 'etc/passwd', 'root\nevil');
    await put(upper, 'opt/new/deep/f', 'y');
    await put(lower, 'var/lib/mode', 'm');
    await put(upper, 'var/lib/mode', 'm');
    await chmod(path.join(upper, 'var/lib/mode'), 0o600);
    await mkdir(path.join(upper, 'usr/share/doc'), { recursive: true });
    let whiteout = true;
    try {
      execFileSync('mknod', [path.join(upper, 'usr/share/doc/bash'), 'c', '0', '0']);
    } catch {
      whiteout = false; // not root: mknod refused
    }
    const changes = await overlayChanges(upper, [path.join(root, 'missing-init'), lower]);
    const got = new Set(changes!.map((c) => `${c.kind} ${c.path}`));
    const want = ['changed /etc', 'changed /etc/passwd', 'added /opt', 'added /opt/new', 'added /opt/new/deep', 'added /opt/new/deep/f', 'changed /var', 'changed /var/lib', 'changed /var/lib/mode', ...(whiteout ? ['changed /usr', 'changed /usr/share', 'changed /usr/share/doc', 'deleted /usr/share/doc/bash'] : [])];
    expect([...got].sort()).toEqual(want.sort());
    expect(got.has('changed /etc/hostname')).toBe(false);
  });

  it('is undefined when the upper layer cannot be read here (the engine is asked instead)', async () => {
    expect(await overlayChanges(path.join(root, 'nope'), [])).toBeUndefined();
  });
});

describe('overlayChanges on a hostile upper layer', () => {
  it('lists a link the package made, never what it points at (a host directory stays unread)', async () => {
    const lower = path.join(root, 'l2');
    const upper = path.join(root, 'u2');
    const host = path.join(root, 'host-secrets');
    await put(lower, 'etc/os-release', 'debian');
    await put(host, 'shadow', 'root:x');
    await put(upper, 'home/dev/file', 'y');
    await symlink(host, path.join(upper, 'home/dev/escape'));
    await symlink('/', path.join(upper, 'root-link'));
    const changes = await overlayChanges(upper, [lower]);
    const paths = changes!.map((c) => c.path).sort();
    expect(paths).toEqual(['/home', '/home/dev', '/home/dev/escape', '/home/dev/file', '/root-link']);
  });

  it('a directory the package turns into a link after it was listed is not followed into the host', async () => {
    const upper = path.join(root, 'u3');
    await put(upper, 'a/b/c', 'z');
    // Between listing / and reading /a, the still-running sandbox swaps /a for a link to a host directory.
    const swap = async (rel: string) => {
      if (rel !== '/a') return;
      await rm(path.join(upper, 'a'), { recursive: true });
      await symlink(path.join(root, 'host-secrets'), path.join(upper, 'a'));
    };
    const changes = await overlayChanges(upper, [], swap);
    expect(changes!.map((c) => c.path)).toEqual(['/a']);
  });
});
