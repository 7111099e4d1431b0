import { lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { VetboxError } from '@vetbox/contracts';
import { checkZipEntry, iterateZip, openEntryStream, openZip } from '@vetbox/fetch';

/** One OSV file as read from a directory or zip: its JSON, or why it could not be read. */
export type RecordFile = { file: string; json: unknown } | { file: string; error: string };

/** A record is a few KiB; anything this large is not one (and is not held in memory). */
export const MAX_RECORD_BYTES = 1024 * 1024;
/** ossf/malicious-packages holds a few hundred thousand records; far more is not a list. */
export const MAX_FILES = 2_000_000;

/**
 * The `.json` files under a directory (recursively, links not followed) or inside a zip, one at
 * a time so a large list is never held whole. A file that is too large or not JSON is reported,
 * not thrown: the rest of the list still imports.
 */
export async function* readRecordFiles(source: string): AsyncGenerator<RecordFile> {
  const info = await lstat(source).catch((err: NodeJS.ErrnoException) => {
    throw new VetboxError('INVALID_INPUT', `cannot read ${source}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`);
  });
  if (info.isDirectory()) yield* readDirectory(source);
  else if (info.isFile() && (await isZip(source))) yield* readZip(source);
  else throw new VetboxError('INVALID_INPUT', `${source} is neither a directory nor a zip archive of OSV records`);
}

async function isZip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    return bytesRead === 4 && buffer.readUInt32LE(0) === 0x04034b50;
  } finally {
    await handle.close();
  }
}

async function* readDirectory(root: string): AsyncGenerator<RecordFile> {
  let seen = 0;
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) pending.push(full);
      if (!entry.isFile() || !entry.name.endsWith('.json')) continue;
      if (++seen > MAX_FILES) throw new VetboxError('INVALID_INPUT', `more than ${MAX_FILES} .json files under ${root}`);
      const file = path.relative(root, full);
      const size = (await lstat(full)).size;
      if (size > MAX_RECORD_BYTES) {
        yield { file, error: `larger than ${MAX_RECORD_BYTES} bytes` };
        continue;
      }
      const handle = await open(full, 'r');
      try {
        yield parse(file, await handle.readFile());
      } finally {
        await handle.close();
      }
    }
  }
}

async function* readZip(file: string): AsyncGenerator<RecordFile> {
  const zip = await openZip(file).catch((err: Error) => {
    throw new VetboxError('INVALID_INPUT', `${file} is not a readable zip: ${err.message}`);
  });
  try {
    if (zip.entryCount > MAX_FILES) throw new VetboxError('INVALID_INPUT', `${file} has more than ${MAX_FILES} entries`);
    for await (const entry of iterateZip(zip)) {
      const { path: name, isDir } = checkZipEntry(entry);
      if (isDir || !name.endsWith('.json')) continue;
      if (entry.uncompressedSize > MAX_RECORD_BYTES) {
        yield { file: name, error: `larger than ${MAX_RECORD_BYTES} bytes` };
        continue;
      }
      yield parse(name, await readCapped(await openEntryStream(zip, entry), MAX_RECORD_BYTES));
    }
  } catch (err) {
    if (err instanceof VetboxError) throw err;
    throw new VetboxError('INVALID_INPUT', `${file}: ${(err as Error).message}`);
  } finally {
    zip.close();
  }
}

/** The stream's bytes, refusing more than `max` (a zip entry's declared size is checked too, by yauzl). */
async function readCapped(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += (chunk as Buffer).length;
    if (total > max) {
      stream.destroy();
      throw new VetboxError('INVALID_INPUT', `an entry inflates past ${max} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parse(file: string, data: Buffer): RecordFile {
  try {
    return { file, json: JSON.parse(data.toString('utf8')) as unknown };
  } catch (err) {
    return { file, error: `not JSON (${(err as Error).message})` };
  }
}
