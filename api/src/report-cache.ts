import { createHash } from 'node:crypto';

interface Entry {
  json: string;
  etag: string;
  at: number;
}

/**
 * Recently read reports as JSON text with their ETag, so repeated reads (CI runs polling the same
 * verdicts, dashboards) skip PostgreSQL. Bounded by total bytes, least recently used evicted. An
 * entry lives `ttlMs` — no longer than the `Cache-Control: max-age` the route already grants
 * clients, so a rescore is visible within the same window either way.
 */
export class ReportCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    private readonly maxBytes = 64 * 1024 * 1024,
    private readonly ttlMs = 30_000,
  ) {}

  get(id: string, now = Date.now()): Entry | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (now - e.at > this.ttlMs) {
      this.delete(id);
      return undefined;
    }
    // Map order is recency order: move to the back.
    this.entries.delete(id);
    this.entries.set(id, e);
    return e;
  }

  set(id: string, json: string, now = Date.now()): Entry {
    this.delete(id);
    const entry = { json, etag: `"${createHash('sha1').update(json).digest('base64url')}"`, at: now };
    if (json.length > this.maxBytes / 4) return entry; // too big to be worth keeping
    this.entries.set(id, entry);
    this.bytes += json.length;
    for (const [oldest, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= e.json.length;
    }
    return entry;
  }

  delete(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    this.bytes -= e.json.length;
  }

  get size(): number {
    return this.entries.size;
  }
}
