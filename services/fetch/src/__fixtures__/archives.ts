// Archive builders for tests: every fixture archive is built at test time, so the hostile ones
// (bombs, traversal, links) never sit in the repository.
import { createWriteStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import yazl from 'yazl';

export interface TarEntry {
  name: string;
  content?: string | Buffer;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'fifo';
  linkname?: string;
  mode?: number;
}

export async function writeTarGz(path: string, entries: TarEntry[]): Promise<void> {
  const pack = tarStream.pack();
  const done = pipeline(pack, createGzip(), createWriteStream(path));
  for (const e of entries) {
    const type = e.type ?? 'file';
    const body = type === 'file' ? Buffer.from(e.content ?? '') : undefined;
    const header = { name: e.name, type, linkname: e.linkname, mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644), size: body?.length ?? 0 };
    await new Promise<void>((resolve, reject) => {
      const written = (err?: Error | null) => (err ? reject(err) : resolve());
      // Links, directories and devices have no body.
      if (body) pack.entry(header, body, written);
      else pack.entry(header, written);
    });
  }
  pack.finalize();
  await done;
}

export interface ZipEntry {
  name: string;
  content?: string | Buffer;
  /** Unix mode including the file type bits (e.g. 0o120777 for a symlink). */
  mode?: number;
}

export async function writeZip(path: string, entries: ZipEntry[]): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const e of entries) {
    if (e.name.endsWith('/')) zip.addEmptyDirectory(e.name);
    else zip.addBuffer(Buffer.from(e.content ?? ''), e.name, e.mode === undefined ? {} : { mode: e.mode });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(path));
}

export function npmPackage(pkg: Record<string, unknown>, files: Record<string, string> = { 'index.js': 'module.exports = 1;\n' }): TarEntry[] {
  return [
    { name: 'package/package.json', content: JSON.stringify(pkg, null, 2) },
    ...Object.entries(files).map(([name, content]) => ({ name: `package/${name}`, content })),
  ];
}

export function pkgInfo(name: string, version: string, requires: string[] = []): string {
  const deps = requires.map((r) => `Requires-Dist: ${r}\n`).join('');
  return `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\nSummary: test fixture\n${deps}\nLong description.\nName: not-this\n`;
}

export function sdistFiles(name: string, version: string, files: Record<string, string> = {}): Array<{ name: string; content: string }> {
  const root = `${name}-${version}`;
  const all: Record<string, string> = {
    'PKG-INFO': pkgInfo(name, version),
    'setup.py': `from setuptools import setup\nsetup(name=${JSON.stringify(name)}, version=${JSON.stringify(version)})\n`,
    ...files,
  };
  return Object.entries(all).map(([f, content]) => ({ name: `${root}/${f}`, content }));
}

export function wheelFiles(name: string, version: string, modules: Record<string, string> = {}, opts: { topLevel?: string[]; requires?: string[] } = {}): ZipEntry[] {
  const stem = `${name.replace(/[-_.]+/g, '_')}-${version}`;
  const entries: ZipEntry[] = [
    ...Object.entries(modules).map(([f, content]) => ({ name: f, content })),
    { name: `${stem}.dist-info/METADATA`, content: pkgInfo(name, version, opts.requires) },
    { name: `${stem}.dist-info/WHEEL`, content: 'Wheel-Version: 1.0\nGenerator: vetbox-test\nRoot-Is-Purelib: true\nTag: py2-none-any\nTag: py3-none-any\n' },
  ];
  if (opts.topLevel) entries.push({ name: `${stem}.dist-info/top_level.txt`, content: opts.topLevel.join('\n') + '\n' });
  entries.push({ name: `${stem}.dist-info/RECORD`, content: entries.map((e) => `${e.name},,`).join('\n') + '\n' });
  return entries;
}

/**
 * A tar.gz whose single file claims `unpackedBytes` of zeros, built as concatenated gzip
 * members of one pre-compressed MiB (gunzip reads multi-member streams): ~1 KiB per MiB,
 * written in milliseconds whatever the size.
 */
export async function writeGzipBomb(path: string, unpackedBytes: number): Promise<number> {
  const MiB = 1024 * 1024;
  const tarHeader = ustarHeader('package/zeros.bin', unpackedBytes);
  const zeroMember = gzipSync(Buffer.alloc(MiB), { level: 9 });
  const parts: Buffer[] = [gzipSync(tarHeader)];
  for (let i = 0; i < Math.ceil((unpackedBytes + 1024) / MiB); i++) parts.push(zeroMember);
  const bomb = Buffer.concat(parts);
  await writeFile(path, bomb);
  return bomb.length;
}

/** A bare ustar header for a regular file (tar-stream's packer insists on receiving the body). */
function ustarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (value: string, offset: number) => h.write(value, offset, 'latin1');
  const octal = (n: number, width: number) => n.toString(8).padStart(width - 1, '0') + '\0';
  put(name, 0);
  put(octal(0o644, 8), 100);
  put(octal(0, 8), 108);
  put(octal(0, 8), 116);
  put(octal(size, 12), 124);
  put(octal(0, 12), 136);
  put('        ', 148);
  put('0', 156);
  put('ustar\0', 257);
  put('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

/** Replaces a same-length placeholder everywhere in a built archive (zip writers refuse `..` names). */
export async function patchBytes(path: string, placeholder: string, replacement: string): Promise<void> {
  if (placeholder.length !== replacement.length) throw new Error('placeholder and replacement must have the same length');
  const buf = await readFile(path);
  const from = Buffer.from(placeholder, 'latin1');
  const to = Buffer.from(replacement, 'latin1');
  for (let i = buf.indexOf(from); i !== -1; i = buf.indexOf(from, i + to.length)) to.copy(buf, i);
  await writeFile(path, buf);
}
