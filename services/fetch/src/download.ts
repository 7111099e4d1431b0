import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { badArchive } from './limits.js';
import { inspectArchive, type ArchiveKind } from './inspect.js';
import { downloadTo, type DigestAlgorithm, type Download } from './http.js';
import { DEFAULTS, type FetchOptions, type FetchedArtifact } from './types.js';

export interface RegistryFile {
  url: string;
  fileName: string;
  what: string;
  /** Digest the registry vouches for, and what to call a mismatch. */
  verify: (download: Download) => void;
  algorithms: DigestAlgorithm[];
  kinds: ArchiveKind[];
}

/**
 * Shared tail of fetchNpm/fetchPypi: download into a (fresh) directory, verify the digest,
 * then inspect the archive like any upload. Whatever this created is removed on failure.
 */
export async function downloadVerifyInspect(file: RegistryFile, opts: FetchOptions): Promise<FetchedArtifact> {
  const ownDir = opts.destDir ? undefined : await mkdtemp(path.join(os.tmpdir(), 'vetbox-fetch-'));
  const dir = opts.destDir ?? ownDir!;
  const dest = path.join(dir, file.fileName);
  const maxBytes = opts.maxDownloadBytes ?? DEFAULTS.maxDownloadBytes;
  try {
    const download = await downloadTo(file.url, dest, {
      what: file.what,
      timeoutMs: opts.downloadTimeoutMs ?? DEFAULTS.downloadTimeoutMs,
      signal: opts.signal,
      maxBytes,
      algorithms: file.algorithms,
    });
    file.verify(download);
    const inspected = await inspectArchive(dest, { limits: { maxCompressedBytes: maxBytes, ...opts.limits } });
    if (!file.kinds.includes(inspected.kind)) {
      throw badArchive(`${file.what}: expected ${file.kinds.join(' or ')}, the archive is a ${inspected.kind}`);
    }
    return { ...inspected, source: 'registry', path: dest, dir: ownDir, url: file.url };
  } catch (err) {
    if (ownDir) await rm(ownDir, { recursive: true, force: true });
    else await rm(dest, { force: true });
    throw err;
  }
}

/** Strictly a file name: registry-provided names never choose a directory. */
export function safeFileName(candidate: string | undefined, fallback: string): string {
  if (candidate && /^[A-Za-z0-9][A-Za-z0-9._+!-]{0,250}$/.test(candidate) && !candidate.includes('..')) return candidate;
  return fallback;
}
