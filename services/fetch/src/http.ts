import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { isVetboxError, VetboxError } from '@vetbox/contracts';
import { formatBytes, tooLarge } from './limits.js';

export interface RequestOptions {
  /** Whole request, body included. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Says what was being fetched, for error messages ("npm package is-number"). */
  what: string;
  accept?: string;
}

const USER_AGENT = 'vetbox-fetch (+https://github.com/vetbox)';

export function checkHttpUrl(url: string, what: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new VetboxError('REGISTRY_UNAVAILABLE', `${what}: the registry gave an invalid URL ${JSON.stringify(url.slice(0, 200))}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new VetboxError('REGISTRY_UNAVAILABLE', `${what}: refusing a non-HTTP URL ${JSON.stringify(url.slice(0, 200))}`);
  }
  return parsed;
}

/** Network-level failures: cancellation is final, everything else (timeouts, resets, DNS) is transient. */
function networkError(err: unknown, opts: RequestOptions, url: string): VetboxError {
  if (isVetboxError(err)) return err;
  if (opts.signal?.aborted) return new VetboxError('CANCELLED', `${opts.what}: cancelled`, { cause: err });
  const e = err as Error & { cause?: { code?: string; message?: string }; syscall?: string; code?: string };
  if (e?.syscall && ['open', 'write', 'close'].includes(e.syscall)) {
    return new VetboxError('INTERNAL', `${opts.what}: could not write the download (${e.code ?? e.message})`, { cause: err });
  }
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return new VetboxError('REGISTRY_UNAVAILABLE', `${opts.what}: ${url} timed out after ${opts.timeoutMs} ms`, { cause: err });
  }
  const reason = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  return new VetboxError('REGISTRY_UNAVAILABLE', `${opts.what}: ${url} unreachable (${reason})`, { cause: err });
}

function statusError(status: number, opts: RequestOptions, url: string): VetboxError {
  if (status === 404 || status === 410) {
    return new VetboxError('PACKAGE_NOT_FOUND', `${opts.what}: not found on the registry (${status})`, { details: { status, url } });
  }
  // 5xx, 429 and the rest: the registry, not the request, is at fault; worth a retry.
  return new VetboxError('REGISTRY_UNAVAILABLE', `${opts.what}: registry answered ${status} for ${url}`, { details: { status, url } });
}

async function request(url: string, opts: RequestOptions): Promise<{ res: Response; signal: AbortSignal }> {
  checkHttpUrl(url, opts.what);
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: 'follow', headers: { accept: opts.accept ?? '*/*', 'user-agent': USER_AGENT } });
  } catch (err) {
    throw networkError(err, opts, url);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw statusError(res.status, opts, url);
  }
  return { res, signal };
}

function declaredLength(res: Response): number | undefined {
  const v = res.headers.get('content-length');
  return v && /^\d+$/.test(v) ? Number(v) : undefined;
}

function byteCap(maxBytes: number, onChunk?: (c: Buffer) => void): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > maxBytes) return cb(tooLarge(`download exceeds ${formatBytes(maxBytes)}`));
      onChunk?.(chunk);
      cb(null, chunk);
    },
  });
}

/** GET a JSON document, reading at most `maxBytes` of it. */
export async function getJson(url: string, opts: RequestOptions & { maxBytes: number }): Promise<unknown> {
  const { res } = await request(url, { accept: 'application/json', ...opts });
  const length = declaredLength(res);
  if (length !== undefined && length > opts.maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge(`${opts.what}: metadata of ${formatBytes(length)} is over ${formatBytes(opts.maxBytes)}`);
  }
  const chunks: Buffer[] = [];
  try {
    if (res.body) {
      const capped = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>).pipe(byteCap(opts.maxBytes));
      for await (const chunk of capped) chunks.push(chunk as Buffer);
    }
  } catch (err) {
    throw networkError(err, opts, url);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new VetboxError('REGISTRY_UNAVAILABLE', `${opts.what}: the registry answered with invalid JSON`);
  }
}

export type DigestAlgorithm = 'sha512' | 'sha384' | 'sha256' | 'sha1';

export interface Download {
  size: number;
  digests: Partial<Record<DigestAlgorithm, Buffer>>;
}

/**
 * Streams a file to `dest`, hashing it on the way (never held in memory).
 * A partial file is removed on any failure.
 */
export async function downloadTo(
  url: string,
  dest: string,
  opts: RequestOptions & { maxBytes: number; algorithms: DigestAlgorithm[] },
): Promise<Download> {
  try {
    const { res } = await request(url, opts);
    const length = declaredLength(res);
    if (length !== undefined && length > opts.maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw tooLarge(`${opts.what}: ${formatBytes(length)} is over the ${formatBytes(opts.maxBytes)} download limit`);
    }
    const hashes = new Map<DigestAlgorithm, Hash>(opts.algorithms.map((a) => [a, createHash(a)]));
    let size = 0;
    const body = res.body ? Readable.fromWeb(res.body as WebReadableStream<Uint8Array>) : Readable.from([]);
    const cap = byteCap(opts.maxBytes, (c) => {
      size += c.length;
      for (const h of hashes.values()) h.update(c);
    });
    try {
      await pipeline(body, cap, createWriteStream(dest));
    } catch (err) {
      throw networkError(err, opts, url);
    }
    const digests: Download['digests'] = {};
    for (const [alg, h] of hashes) digests[alg] = h.digest();
    return { size, digests };
  } catch (err) {
    await rm(dest, { force: true });
    throw err;
  }
}
