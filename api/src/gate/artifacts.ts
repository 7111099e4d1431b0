import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VetboxError } from '@vetbox/contracts';

/** What the downloaded bytes must hash to: the analyzed sha256, else the registry's own digest. */
export interface ExpectedBytes {
  /** The archive the analysis ran on (hex). */
  analyzedSha256?: string;
  /** npm `dist.integrity` (SRI) or PyPI's sha256 (hex) when nothing was analyzed (an approved failure). */
  integrity?: string;
  shasum?: string;
  sha256?: string;
}

export interface CachedArtifact {
  path: string;
  size: number;
  sha256: string;
}

/** The served bytes are not the ones vetbox analyzed (or the registry vouched for). */
export class BytesMismatch extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`the registry now serves different bytes (sha256 ${actual.slice(0, 16)}…) than vetbox analyzed (${expected.slice(0, 16)}…)`);
    this.name = 'BytesMismatch';
  }
}

const SRI_RE = /^(sha512|sha384|sha256|sha1)-([A-Za-z0-9+/]+={0,2})/;

function strongestSri(integrity: string): { algorithm: string; digest: string } | null {
  const found = integrity
    .split(/\s+/)
    .map((token) => SRI_RE.exec(token))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ algorithm: m[1]!, digest: Buffer.from(m[2]!, 'base64').toString('hex') }));
  const rank = ['sha512', 'sha384', 'sha256', 'sha1'];
  return found.sort((a, b) => rank.indexOf(a.algorithm) - rank.indexOf(b.algorithm))[0] ?? null;
}

/**
 * Archives the gate serves, downloaded once from upstream into a content-addressed directory
 * (DATA_DIR/gate/<sha256>) and checked before the first byte reaches a client: against the
 * analyzed sha256 when there is an analysis, else against the registry's own digest. A file
 * lands under its name only after it matched, so whatever is there may be served as is.
 */
export class ArtifactCache {
  private readonly inflight = new Map<string, Promise<CachedArtifact>>();

  constructor(
    private readonly dir: string,
    private readonly opts: { maxBytes: number; timeoutMs?: number; fetchImpl?: typeof fetch },
  ) {}

  async get(url: string, expected: ExpectedBytes, what: string): Promise<CachedArtifact> {
    if (expected.analyzedSha256) {
      const file = path.join(this.dir, expected.analyzedSha256);
      const existing = await stat(file).catch(() => null);
      if (existing?.isFile()) return { path: file, size: existing.size, sha256: expected.analyzedSha256 };
    }
    const key = `${url} ${expected.analyzedSha256 ?? expected.integrity ?? expected.sha256 ?? ''}`;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.download(url, expected, what).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async download(url: string, expected: ExpectedBytes, what: string): Promise<CachedArtifact> {
    const sri = expected.integrity ? strongestSri(expected.integrity) : null;
    const wanted = new Map<string, Hash>([['sha256', createHash('sha256')]]);
    if (sri && !wanted.has(sri.algorithm)) wanted.set(sri.algorithm, createHash(sri.algorithm));
    if (!sri && expected.shasum && !wanted.has('sha1')) wanted.set('sha1', createHash('sha1'));
    await mkdir(this.dir, { recursive: true });
    const temp = path.join(this.dir, `.partial-${randomUUID()}`);
    let res: Response;
    try {
      res = await (this.opts.fetchImpl ?? fetch)(url, { redirect: 'follow', signal: AbortSignal.timeout(this.opts.timeoutMs ?? 120_000), headers: { 'user-agent': 'vetbox-gate' } });
    } catch (err) {
      throw new VetboxError('REGISTRY_UNAVAILABLE', `the upstream registry did not answer for ${what}`, { cause: err });
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => {});
      throw new VetboxError(res.status === 404 ? 'PACKAGE_NOT_FOUND' : 'REGISTRY_UNAVAILABLE', `the upstream registry answered HTTP ${res.status} for ${what}`);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > this.opts.maxBytes) {
      await res.body.cancel().catch(() => {});
      throw new VetboxError('ARCHIVE_TOO_LARGE', `${what} is ${declared} bytes, over the gate's limit of ${this.opts.maxBytes}`);
    }
    let size = 0;
    const maxBytes = this.opts.maxBytes;
    try {
      const source = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
      source.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) source.destroy(new VetboxError('ARCHIVE_TOO_LARGE', `${what} is over the gate's limit of ${maxBytes} bytes`));
        for (const hash of wanted.values()) hash.update(chunk);
      });
      await pipeline(source, createWriteStream(temp));
      const digests = new Map([...wanted].map(([algorithm, hash]) => [algorithm, hash.digest('hex')]));
      const sha256 = digests.get('sha256')!;
      const check = (expectedHex: string, actualHex: string | undefined) => {
        if (actualHex !== expectedHex.toLowerCase()) throw new BytesMismatch(expectedHex.toLowerCase(), sha256);
      };
      if (expected.analyzedSha256) check(expected.analyzedSha256, sha256);
      else if (sri) check(sri.digest, digests.get(sri.algorithm));
      else if (expected.sha256) check(expected.sha256, sha256);
      else if (expected.shasum) check(expected.shasum, digests.get('sha1'));
      else throw new VetboxError('INTEGRITY_MISMATCH', `${what}: neither an analysis nor the registry gives a digest to check the bytes against`);
      const file = path.join(this.dir, sha256);
      await rename(temp, file);
      return { path: file, size, sha256 };
    } finally {
      await rm(temp, { force: true });
    }
  }
}
