import { VetboxError } from '@vetbox/contracts';

/** One upstream document as last fetched; `seq` changes whenever its content does. */
export interface UpstreamDoc<T> {
  doc: T;
  seq: number;
  etag: string | null;
  fetchedAt: number;
}

export interface UpstreamOptions {
  /** How long a document is used without asking upstream again. */
  ttlMs: number;
  /** After a failed revalidation, a stale document is still served for this long. */
  staleIfErrorMs?: number;
  maxEntries?: number;
  /** Documents larger than this are refused (a packument bomb must not take the API down). */
  maxBytes?: number;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

interface Entry<T> {
  value: UpstreamDoc<T> | null;
  fetchedAt: number;
}

const NOT_FOUND_TTL_MS = 30_000;
let seqCounter = 0;

/** Reads a body up to `maxBytes`, refusing it (without buffering the rest) when it is larger. */
export async function readCapped(res: Response, maxBytes: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw new VetboxError('REGISTRY_UNAVAILABLE', `${what} is ${declared} bytes, over the gate's limit of ${maxBytes}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += (chunk as Uint8Array).length;
    if (size > maxBytes) {
      await res.body?.cancel().catch(() => {});
      throw new VetboxError('REGISTRY_UNAVAILABLE', `${what} is over the gate's limit of ${maxBytes} bytes`);
    }
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}

/**
 * Upstream metadata (npm packuments, PyPI project pages), cached per key: fresh for `ttlMs`,
 * then revalidated with If-None-Match; concurrent requests for one key share one fetch; an
 * upstream outage keeps serving the last good copy for `staleIfErrorMs`. 404s are remembered
 * briefly. Least recently used entries go first when the cache is full.
 */
export class UpstreamCache {
  private readonly entries = new Map<string, Entry<unknown>>();
  private readonly inflight = new Map<string, Promise<UpstreamDoc<unknown> | null>>();
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: UpstreamOptions) {
    this.fetchImpl = opts.fetchImpl ?? fetch;
  }

  async get<T>(key: string, url: string, accept: string, parse: (value: unknown) => T | null, what: string): Promise<UpstreamDoc<T> | null> {
    const now = Date.now();
    const entry = this.entries.get(key) as Entry<T> | undefined;
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      const ttl = entry.value ? this.opts.ttlMs : Math.min(this.opts.ttlMs, NOT_FOUND_TTL_MS);
      if (now - entry.fetchedAt < ttl) return entry.value;
    }
    let pending = this.inflight.get(key) as Promise<UpstreamDoc<T> | null> | undefined;
    if (!pending) {
      pending = this.refresh(key, url, accept, parse, what, entry).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /** Forget one document (tests, and after upstream said a tarball is gone). */
  drop(key: string): void {
    this.entries.delete(key);
  }

  private store<T>(key: string, value: UpstreamDoc<T> | null): UpstreamDoc<T> | null {
    this.entries.set(key, { value, fetchedAt: Date.now() });
    const max = this.opts.maxEntries ?? 500;
    while (this.entries.size > max) this.entries.delete(this.entries.keys().next().value as string);
    return value;
  }

  private async refresh<T>(key: string, url: string, accept: string, parse: (value: unknown) => T | null, what: string, entry: Entry<T> | undefined): Promise<UpstreamDoc<T> | null> {
    const headers: Record<string, string> = { accept, 'user-agent': 'vetbox-gate' };
    if (entry?.value?.etag) headers['if-none-match'] = entry.value.etag;
    let res: Response;
    try {
      res = await this.fetchImpl(url, { headers, redirect: 'follow', signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000) });
    } catch (err) {
      return this.staleOr(entry, new VetboxError('REGISTRY_UNAVAILABLE', `the upstream registry did not answer for ${what}`, { cause: err }));
    }
    if (res.status === 304 && entry?.value) {
      await res.body?.cancel().catch(() => {});
      return this.store(key, { ...entry.value, fetchedAt: Date.now() });
    }
    if (res.status === 404 || res.status === 410) {
      await res.body?.cancel().catch(() => {});
      return this.store(key, null);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      return this.staleOr(entry, new VetboxError('REGISTRY_UNAVAILABLE', `the upstream registry answered HTTP ${res.status} for ${what}`));
    }
    let parsed: T | null;
    try {
      const body = await readCapped(res, this.opts.maxBytes ?? 128 * 1024 * 1024, what);
      parsed = parse(JSON.parse(body.toString('utf8')));
    } catch (err) {
      return this.staleOr(entry, err instanceof VetboxError ? err : new VetboxError('REGISTRY_UNAVAILABLE', `the upstream registry sent unreadable metadata for ${what}`, { cause: err }));
    }
    if (parsed === null) return this.staleOr(entry, new VetboxError('REGISTRY_UNAVAILABLE', `the upstream registry sent metadata of an unexpected shape for ${what}`));
    return this.store(key, { doc: parsed, seq: ++seqCounter, etag: res.headers.get('etag'), fetchedAt: Date.now() });
  }

  private staleOr<T>(entry: Entry<T> | undefined, err: VetboxError): UpstreamDoc<T> | null {
    if (entry?.value && Date.now() - entry.fetchedAt < (this.opts.staleIfErrorMs ?? 24 * 3_600_000)) return entry.value;
    throw err;
  }
}
