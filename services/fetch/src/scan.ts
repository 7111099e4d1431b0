import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { isVetboxError, VetboxError } from '@vetbox/contracts';
import tarStream from 'tar-stream';
import yauzl from 'yauzl';
import { badArchive, tooLarge, UnpackBudget, formatBytes, type ArchiveLimits } from './limits.js';
import { normalizeEntryPath } from './paths.js';

export type ArchiveFormat = 'tar.gz' | 'zip';

/** What one validating pass over an archive saw. Nothing is written to disk. */
export interface ArchiveScan {
  format: ArchiveFormat;
  /** Regular files, normalized paths, in archive order. */
  files: string[];
  /** Content of the files the caller asked to capture (metadata), keyed by normalized path. */
  captured: Map<string, Buffer>;
  /** Paths that appear more than once (each once, in archive order): the last copy is the one kept. */
  duplicates: string[];
  /** First `headBytes` bytes of every regular file (magic numbers), when asked for. */
  heads: Map<string, Buffer>;
  entryCount: number;
  unpackedBytes: number;
  size: number;
  sha256: string;
}

/** Decides which files are worth holding in memory; `size` is the declared size when the format gives it. */
export type CapturePredicate = (normalizedPath: string, size?: number) => boolean;

export interface ScanOptions {
  /** Keep this many leading bytes of every regular file in `heads` (0: none). */
  headBytes?: number;
}

/** Sniffs the format from the first bytes; the file name is never trusted for this. */
export async function detectFormat(filePath: string): Promise<ArchiveFormat> {
  const fh = await open(filePath, 'r');
  try {
    const head = Buffer.alloc(262 + 5);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    if (bytesRead === 0) throw badArchive('the file is empty');
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
    if (bytesRead >= 4 && head.readUInt32LE(0) === 0x04034b50) return 'zip';
    if (bytesRead >= 4 && head.readUInt32LE(0) === 0x06054b50) throw badArchive('the zip archive is empty');
    if (bytesRead >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') {
      throw badArchive('uncompressed tar is not accepted: expected a gzip-compressed tarball (.tgz / .tar.gz), a zip or a wheel');
    }
    throw badArchive('not an archive: expected a gzip-compressed tarball (.tgz / .tar.gz), a zip sdist or a wheel (.whl)');
  } finally {
    await fh.close();
  }
}

export async function scanArchive(
  filePath: string,
  limits: ArchiveLimits,
  wanted: CapturePredicate,
  opts: ScanOptions = {},
): Promise<ArchiveScan> {
  const format = await detectFormat(filePath);
  return format === 'tar.gz' ? scanTarGz(filePath, limits, wanted, opts) : scanZip(filePath, limits, wanted, opts);
}

/**
 * Collects one entry's files. A path seen twice is kept as installers read it: npm (node-tar)
 * and pip (tarfile, zipfile) write entries in order, so the last copy wins, and captured
 * metadata is the last copy too. The duplicate is recorded: a reviewer reading the first copy
 * would not see what gets installed.
 */
class EntryCollector {
  readonly files: string[] = [];
  readonly captured = new Map<string, Buffer>();
  readonly duplicates: string[] = [];
  readonly heads = new Map<string, Buffer>();
  private readonly seen = new Set<string>();
  constructor(
    private readonly budget: UnpackBudget,
    private readonly wanted: CapturePredicate,
    private readonly headBytes = 0,
  ) {}

  addFile(path: string, size?: number): boolean {
    if (this.seen.has(path)) {
      if (!this.duplicates.includes(path) && this.duplicates.length < 100) this.duplicates.push(path);
    } else {
      this.seen.add(path);
      this.files.push(path);
    }
    return this.wanted(path, size);
  }

  async consume(path: string, content: AsyncIterable<Buffer>, capture: boolean): Promise<void> {
    if (!capture) {
      // Drained: the bytes were already counted; only the leading bytes (magic number) are kept.
      const head: Buffer[] = [];
      let headLength = 0;
      for await (const chunk of content) {
        if (headLength >= this.headBytes) continue;
        head.push(chunk.subarray(0, this.headBytes - headLength));
        headLength += head.at(-1)!.length;
      }
      if (this.headBytes > 0 && path !== '') this.heads.set(path, Buffer.concat(head));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of content) {
      this.budget.addMetadata(chunk.length);
      chunks.push(chunk);
    }
    const whole = Buffer.concat(chunks);
    this.captured.set(path, whole);
    if (this.headBytes > 0) this.heads.set(path, whole.subarray(0, this.headBytes));
  }
}

function meter(onBytes: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      try {
        onBytes(chunk);
        cb(null, chunk);
      } catch (err) {
        cb(err as Error);
      }
    },
  });
}

/** Turns library errors (zlib, tar-stream, yauzl) into one clear BAD_ARCHIVE reason. */
function explainReadError(err: unknown, format: ArchiveFormat): VetboxError {
  if (isVetboxError(err)) return err;
  const e = err as NodeJS.ErrnoException;
  const msg = String(e?.message ?? err);
  if (e?.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(msg)) return badArchive('truncated gzip stream');
  if (e?.code === 'Z_DATA_ERROR') return badArchive(`corrupt gzip stream (${msg})`);
  if (/Unexpected end of data/.test(msg)) return badArchive('truncated tar stream');
  if (/Invalid tar header|Invalid header|unknown format/i.test(msg)) return badArchive('the gzip content is not a valid tar archive');
  if (/central directory|signature not found|zip64|multi-disk/i.test(msg)) return badArchive(`not a valid zip archive (${msg})`);
  if (/absolute path|invalid relative path/.test(msg)) return badArchive(`zip entry escapes the archive (${msg})`);
  if (/invalid characters in fileName/.test(msg)) return badArchive(`zip entry name rejected (${msg})`);
  if (/too many length or distance symbols|invalid|unsupported|encrypted|expected|too (few|many) bytes/i.test(msg)) {
    return badArchive(`${format} content could not be read (${msg})`);
  }
  return new VetboxError('BAD_ARCHIVE', `bad archive: ${format} content could not be read (${msg})`, { cause: err });
}

async function scanTarGz(filePath: string, limits: ArchiveLimits, wanted: CapturePredicate, opts: ScanOptions): Promise<ArchiveScan> {
  const budget = new UnpackBudget(limits);
  const collector = new EntryCollector(budget, wanted, opts.headBytes);
  const hash = createHash('sha256');
  const extract = tarStream.extract();
  let pumpError: unknown;
  const pumped = pipeline(
    createReadStream(filePath),
    meter((c) => {
      budget.addCompressed(c.length);
      hash.update(c);
    }),
    createGunzip(),
    meter((c) => budget.addUnpacked(c.length)),
    extract,
  ).catch((err: unknown) => {
    pumpError = err;
  });

  try {
    for await (const entry of extract) {
      budget.addEntry();
      const path = checkTarEntry(entry.header);
      const isFile = path !== '' && entry.header.type !== 'directory';
      const capture = isFile && collector.addFile(path, entry.header.size ?? undefined);
      await collector.consume(isFile ? path : '', entry as unknown as AsyncIterable<Buffer>, capture);
    }
  } catch (err) {
    await pumped;
    // Our own verdicts first; otherwise whatever broke the stream explains it best.
    throw isVetboxError(err) ? err : explainReadError(pumpError ?? err, 'tar.gz');
  }
  await pumped;
  if (pumpError) throw explainReadError(pumpError, 'tar.gz');
  return {
    format: 'tar.gz',
    files: collector.files,
    captured: collector.captured,
    duplicates: collector.duplicates,
    heads: collector.heads,
    entryCount: budget.entries,
    unpackedBytes: budget.unpackedBytes,
    size: budget.compressedBytes,
    sha256: hash.digest('hex'),
  };
}

/** Only regular files and directories pass: links of any kind and special files are refused. */
function checkTarEntry(header: tarStream.Header): string {
  const path = normalizeEntryPath(header.name);
  const shown = JSON.stringify(path);
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      if (path === '') throw badArchive('a file entry has an empty name');
      return path;
    case 'directory':
      return path;
    case 'symlink':
      throw badArchive(`entry ${shown} is a symbolic link (to ${JSON.stringify(header.linkname ?? '')}): links are not accepted`);
    case 'link':
      throw badArchive(`entry ${shown} is a hard link (to ${JSON.stringify(header.linkname ?? '')}): links are not accepted`);
    case 'character-device':
    case 'block-device':
    case 'fifo':
      throw badArchive(`entry ${shown} is a device or fifo (${header.type}): special files are not accepted`);
    default:
      throw badArchive(`entry ${shown} has an unsupported type (${String(header.type)})`);
  }
}

// Unix file types carried in the high 16 bits of a zip entry's external attributes.
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

export function checkZipEntry(entry: yauzl.Entry): { path: string; isDir: boolean } {
  const path = normalizeEntryPath(entry.fileName);
  const shown = JSON.stringify(path);
  const isDir = entry.fileName.endsWith('/');
  const madeOnUnix = entry.versionMadeBy >> 8 === 3;
  const type = (entry.externalFileAttributes >>> 16) & S_IFMT;
  if (madeOnUnix && type !== 0 && type !== S_IFREG && type !== S_IFDIR) {
    if (type === S_IFLNK) throw badArchive(`entry ${shown} is a symbolic link: links are not accepted`);
    throw badArchive(`entry ${shown} is a special file (mode ${type.toString(8)}): special files are not accepted`);
  }
  if (entry.isEncrypted()) throw badArchive(`entry ${shown} is encrypted`);
  if (!isDir && path === '') throw badArchive('a file entry has an empty name');
  return { path, isDir };
}

async function sha256File(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(filePath)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function openZip(filePath: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(
      filePath,
      { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: true, strictFileNames: true },
      (err, zip) => (err || !zip ? reject(err) : resolve(zip)),
    );
  });
}

export function openEntryStream(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => (err || !stream ? reject(err) : resolve(stream)));
  });
}

/**
 * Zip: the central directory declares every size up front, so entry count, total declared
 * size and entries overlapping in the file (the "non-recursive zip bomb") are refused before
 * anything is inflated; then every entry is inflated with the same streaming caps as a tarball.
 */
async function scanZip(filePath: string, limits: ArchiveLimits, wanted: CapturePredicate, opts: ScanOptions): Promise<ArchiveScan> {
  const budget = new UnpackBudget(limits);
  const collector = new EntryCollector(budget, wanted, opts.headBytes);
  const sha256 = await sha256File(filePath);
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(filePath);
  } catch (err) {
    throw explainReadError(err, 'zip');
  }
  const fileSize = zip.fileSize;
  if (fileSize > limits.maxCompressedBytes) {
    zip.close();
    throw tooLarge(`archive exceeds ${formatBytes(limits.maxCompressedBytes)}`);
  }
  if (zip.entryCount > limits.maxEntries) {
    zip.close();
    throw tooLarge(`more than ${limits.maxEntries} entries (${zip.entryCount})`, { maxEntries: limits.maxEntries });
  }
  let declaredCompressed = 0;
  let declaredUnpacked = 0;
  try {
    for await (const entry of iterateZip(zip)) {
      budget.addEntry();
      const { path, isDir } = checkZipEntry(entry);
      declaredCompressed += entry.compressedSize;
      declaredUnpacked += entry.uncompressedSize;
      if (declaredCompressed > fileSize) throw tooLarge('zip entries overlap each other (zip bomb)');
      if (declaredUnpacked > limits.maxUnpackedBytes) {
        throw tooLarge(`declared unpacked content exceeds ${formatBytes(limits.maxUnpackedBytes)}`);
      }
      budget.addCompressed(entry.compressedSize);
      if (isDir) continue;
      const capture = collector.addFile(path, entry.uncompressedSize);
      const content = await openEntryStream(zip, entry);
      const metered = content.pipe(meter((c) => budget.addUnpacked(c.length)));
      content.on('error', (e) => metered.destroy(e));
      // A cap hit in the meter must also release yauzl's read stream (it holds the fd open).
      metered.on('error', () => content.destroy());
      await collector.consume(path, metered, capture);
    }
  } catch (err) {
    throw explainReadError(err, 'zip');
  } finally {
    zip.close();
  }
  return {
    format: 'zip',
    files: collector.files,
    captured: collector.captured,
    duplicates: collector.duplicates,
    heads: collector.heads,
    entryCount: budget.entries,
    unpackedBytes: budget.unpackedBytes,
    size: fileSize,
    sha256,
  };
}

/** yauzl's lazy event API as an async iterator: the next entry is read only when asked for. */
export async function* iterateZip(zip: yauzl.ZipFile): AsyncGenerator<yauzl.Entry> {
  for (;;) {
    const next = await new Promise<yauzl.Entry | null>((resolve, reject) => {
      const cleanup = () => {
        zip.off('entry', onEntry);
        zip.off('end', onEnd);
        zip.off('error', onError);
      };
      const onEntry = (e: yauzl.Entry) => (cleanup(), resolve(e));
      const onEnd = () => (cleanup(), resolve(null));
      const onError = (err: Error) => (cleanup(), reject(err));
      zip.on('entry', onEntry);
      zip.on('end', onEnd);
      zip.on('error', onError);
      zip.readEntry();
    });
    if (!next) return;
    yield next;
  }
}
