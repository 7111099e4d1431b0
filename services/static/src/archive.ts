import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { defaultArchiveLimits, scanArchive } from '@vetbox/fetch';
import { HEAD_BYTES } from './magic.js';

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
  sources: Map<string, Buffer>;
  /** Files left unread because of a bound, with the reason. */
  skipped: string[];
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

/**
 * An npm package as the host staged it (unpacked with scripts disabled): the same files as its
 * tarball, already on disk. Links are not followed and nested node_modules (what npm installed,
 * not what the package shipped) are not read.
 */
export async function readDirectory(dir: string, limits: ReadLimits): Promise<PackageFiles> {
  const files: string[] = [];
  const heads = new Map<string, Buffer>();
  const sources = new Map<string, Buffer>();
  const skipped: string[] = [];
  let held = 0;
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const file = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== '.git') await walk(file);
        continue;
      }
      if (!e.isFile() || files.length >= MAX_DIRECTORY_FILES) continue;
      files.push(file);
      const fh = await open(path.join(dir, file), 'r');
      try {
        const { size } = await fh.stat();
        const code = CODE.test(file) || NO_EXTENSION.test(file);
        if (code && size <= limits.maxFileBytes && held + size <= limits.maxSourceBytes) {
          const content = await fh.readFile();
          held += content.length;
          sources.set(file, content);
          heads.set(file, content.subarray(0, HEAD_BYTES));
          continue;
        }
        if (CODE.test(file)) skipped.push(`${file}: ${size} bytes, over the per-file or total source bound`);
        const head = Buffer.alloc(HEAD_BYTES);
        const { bytesRead } = await fh.read(head, 0, HEAD_BYTES, 0);
        heads.set(file, head.subarray(0, bytesRead));
      } finally {
        await fh.close();
      }
    }
  };
  await walk('');
  if (files.length >= MAX_DIRECTORY_FILES) skipped.push(`more than ${MAX_DIRECTORY_FILES} files: the rest were not looked at`);
  return { files, heads, sources, skipped: skipped.slice(0, 20) };
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
