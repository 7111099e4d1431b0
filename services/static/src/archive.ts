import { closeSync, fstatSync, openSync, readSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { defaultArchiveLimits, scanArchive } from '@vetbox/fetch';
import { HEAD_BYTES, mayBeExecutable } from './magic.js';

/** Files whose text the pass may parse: source, lifecycle metadata, extensionless scripts. */
const CODE = /\.(js|cjs|mjs|py|pyw|pth|sh)$|(^|\/)(package\.json|setup\.cfg|entry_points\.txt|top_level\.txt|pyproject\.toml)$/;
const NO_EXTENSION = /(^|\/)[^./]+$/;

export interface ReadLimits {
  /** Source bytes held in memory per package. */
  maxSourceBytes: number;
  /** One file larger than this is not parsed (a giant bundle): named in `limits`. */
  maxFileBytes: number;
}

/** The package's archive as the pass sees it: every file's head, and the text of its code files. */
export interface PackageFiles {
  /** Every regular file, archive paths. */
  files: string[];
  heads: Map<string, Buffer>;
  /** Heads not read yet (read last, or by a pool thread while the pass parses): awaited before `heads` is used. */
  headsReady?: () => Promise<void>;
  sources: Map<string, Buffer>;
  /** Files left unread because of a bound, with the reason (a lazy reader adds to it). */
  skipped: string[];
  /**
   * A code file's bytes read on demand (unpacked directories); `sources` holds an archive's. A
   * view into the reader's buffer, good until its next read: decoded or copied at once.
   */
  readSource?: (file: string) => Buffer | undefined;
}

/**
 * Reads the package archive once, on the host, with fetch's validating reader (the same caps
 * as inspection: links, traversal and bombs are refused). Nothing is written to disk.
 */
export async function readPackage(archivePath: string, limits: ReadLimits): Promise<PackageFiles> {
  let held = 0;
  const skipped: string[] = [];
  const wanted = (path: string, size?: number): boolean => {
    if (!CODE.test(path) && !NO_EXTENSION.test(path)) return false;
    const bytes = size ?? limits.maxFileBytes;
    if (bytes > limits.maxFileBytes) {
      if (CODE.test(path)) skipped.push(`${path}: ${bytes} bytes, over the ${limits.maxFileBytes}-byte per-file bound`);
      return false;
    }
    if (held + bytes > limits.maxSourceBytes) {
      if (CODE.test(path)) skipped.push(`${path}: the ${limits.maxSourceBytes}-byte source budget was used up`);
      return false;
    }
    held += bytes;
    return true;
  };
  const scan = await scanArchive(archivePath, defaultArchiveLimits({ maxMetadataBytes: limits.maxSourceBytes + limits.maxFileBytes }), wanted, { headBytes: HEAD_BYTES });
  return { files: scan.files, heads: scan.heads, sources: scan.captured, skipped: skipped.slice(0, 20).concat(skipped.length > 20 ? [`… and ${skipped.length - 20} more`] : []) };
}

/** Files of one unpacked directory at most: a package tree larger than this is cut (and says so). */
const MAX_DIRECTORY_FILES = 50_000;
/** Files whose heads are read between two yields to the event loop. */
const HEADS_PER_TURN = 512;

/**
 * An npm package as the host staged it (unpacked with scripts disabled): the same files as its
 * tarball, already on disk. Links are not followed and nested node_modules (what npm installed,
 * not what the package shipped) are not read. A code file's text is read when the pass asks for
 * it, once: most of a large package is never in the install/import closure. Every file's head
 * (magic bytes) is read when the pass asks for the heads, after the closure: a file read whole
 * gives its head from its text, so no file is opened twice. The reads are synchronous, in turns that yield to the
 * event loop: a tree of thousands of small files is bound by per-call latency, and the thread
 * pool's round trips cost seven times the reads themselves (measured on the bench tree).
 */
export async function readDirectory(dir: string, limits: ReadLimits, readHeads?: HeadReader): Promise<PackageFiles> {
  const files = listFiles(dir);
  // Only heads that can be an executable's are kept: the pass looks at no other (see mayBeExecutable).
  const heads = new Map<string, Buffer>();
  const skipped: string[] = [];
  const base = path.join(dir, '/');
  // Files of the closure, read whole by the pass, whose heads were taken from their text: not opened twice.
  const headFromText = new Set<string>();
  const readHere = async (): Promise<void> => {
    const scratch = Buffer.allocUnsafe(HEAD_BYTES);
    for (let i = 0; i < files.length; i++) {
      if (i > 0 && i % HEADS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
      if (headFromText.has(files[i]!)) continue;
      const length = readHeadInto(base + files[i]!, scratch);
      if (length > 0 && mayBeExecutable(scratch[0])) heads.set(files[i]!, Buffer.from(scratch.subarray(0, length)));
    }
  };
  // Read elsewhere, the heads are ready when the pass needs them (last); if that fails, they are read here.
  const elsewhere = readHeads?.(dir, files).then(
    (list) => list.forEach((head, i) => mayBeExecutable(head[0]) && heads.set(files[i]!, head)),
    () => readHere(),
  );
  // Awaited by the pass at the end; a failure meanwhile must not be reported as unhandled.
  elsewhere?.catch(() => undefined);
  const headsReady = elsewhere ? () => elsewhere : readHere;
  const known = new Set(files);
  if (files.length >= MAX_DIRECTORY_FILES) skipped.push(`more than ${MAX_DIRECTORY_FILES} files: the rest were not looked at`);
  let held = 0;
  const readSource = (file: string): Buffer | undefined => {
    if (!known.has(file) || !(CODE.test(file) || NO_EXTENSION.test(file))) return undefined;
    const content = readBounded(base + file, limits.maxFileBytes, limits.maxSourceBytes - held);
    if (typeof content === 'number') {
      if (CODE.test(file) && skipped.length < 20) skipped.push(`${file}: ${content} bytes, over the per-file or total source bound`);
      return undefined;
    }
    held += content?.length ?? 0;
    if (content) {
      headFromText.add(file);
      // A copy: the bytes read are overwritten by the next read.
      if (content.length > 0 && mayBeExecutable(content[0])) heads.set(file, Buffer.from(content.subarray(0, HEAD_BYTES)));
    }
    return content;
  };
  return { files, heads, sources: new Map(), skipped, readSource, headsReady };
}

/** Reads the heads of a directory's files (package-relative), in order, somewhere else (a pool thread). */
export type HeadReader = (dir: string, files: readonly string[]) => Promise<Buffer[]>;

/** Regular files under `dir`, package-relative, sorted per directory; links and node_modules skipped. */
function listFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (rel: string): void => {
    const entries = readdirSync(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const file = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== '.git') walk(file);
      } else if (e.isFile() && files.length < MAX_DIRECTORY_FILES) files.push(file);
    }
  };
  walk('');
  return files;
}

export function readHead(file: string): Buffer {
  const head = Buffer.alloc(HEAD_BYTES);
  return head.subarray(0, readHeadInto(file, head));
}

/** A file's first `HEAD_BYTES` into `into`; how many there were. Throws when the file is gone. */
function readHeadInto(file: string, into: Buffer): number {
  const fd = openSync(file, 'r');
  try {
    return readSync(fd, into, 0, HEAD_BYTES, 0);
  } finally {
    closeSync(fd);
  }
}

/**
 * The buffer every directory read goes into, grown to the largest file read so far (at most the
 * per-file bound) and kept: a fresh buffer per file costs its page faults, about 3 ms per MB on
 * these machines, more than the read itself (typescript.js, 9 MB: 28 ms into a new buffer, 1.2 ms
 * into this one).
 */
let readBuffer = Buffer.allocUnsafe(1 << 20);

/** A file's bytes (a view into `readBuffer`, good until the next read); its size instead when over a bound; undefined when it is gone. */
function readBounded(file: string, maxFile: number, room: number): Buffer | number | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const { size } = fstatSync(fd);
    if (size > maxFile || size > room) return size;
    if (readBuffer.length < size) readBuffer = Buffer.allocUnsafe(Math.min(Math.max(size, readBuffer.length * 2), maxFile));
    const bytes = readBuffer.subarray(0, size);
    let got = 0;
    for (let n = 1; got < size && n > 0; got += n) n = readSync(fd, bytes, got, size - got, got);
    return got < size ? bytes.subarray(0, got) : bytes;
  } finally {
    closeSync(fd);
  }
}

/** The package root inside the archive: npm's `package/`, an sdist's `name-version/`, a wheel's top. */
export function packageRoot(files: readonly string[], ecosystem: 'npm' | 'pypi'): string {
  const markers = ecosystem === 'npm' ? /(^|\/)package\.json$/ : /(^|\/)(setup\.py|PKG-INFO|pyproject\.toml|setup\.cfg)$/;
  let best: string | undefined;
  for (const f of files) {
    if (!markers.test(f)) continue;
    const dir = f.includes('/') ? f.slice(0, f.lastIndexOf('/') + 1) : '';
    if (best === undefined || dir.split('/').length < best.split('/').length) best = dir;
  }
  // A wheel has PKG-INFO-like metadata only under *.dist-info/: its root is the archive's top.
  if (ecosystem === 'pypi' && (best === undefined || /\.dist-info\/$/.test(best))) return '';
  return best ?? '';
}
