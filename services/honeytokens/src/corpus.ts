import zlib from 'node:zlib';
import { registrableDomain, type CanaryEncoding, type CanaryLeak, type SinkholeCapture } from '@vetbox/contracts';

type Channel = CanaryLeak['channel'];
type CaptureRef = NonNullable<CanaryLeak['capture']>;

/** One searchable piece of the capture and where it came from. */
export interface Segment {
  start: number;
  end: number;
  channel: Channel;
  destination: string;
  capture: CaptureRef;
  layers: CanaryEncoding[];
  tMs: number;
  /** For joined DNS runs: where each contributing record's text starts (offset, dns index). */
  dnsRuns?: { offset: number; index: number; destination: string }[];
}

const MAX_INFLATED = 16 * 1024 * 1024;

/** Body bytes with compression peeled (by Content-Encoding or by magic bytes), if any. */
export function decompressed(body: Buffer, contentEncoding = ''): Buffer | null {
  const enc = contentEncoding.toLowerCase();
  const attempts: (() => Buffer)[] = [];
  const opts = { maxOutputLength: MAX_INFLATED };
  if (enc.includes('br')) attempts.push(() => zlib.brotliDecompressSync(body, opts));
  if (body[0] === 0x1f && body[1] === 0x8b) attempts.push(() => zlib.gunzipSync(body, opts));
  if (body[0] === 0x78 && [0x01, 0x5e, 0x9c, 0xda].includes(body[1]!)) attempts.push(() => zlib.inflateSync(body, opts));
  if (enc.includes('deflate')) attempts.push(() => zlib.inflateRawSync(body, opts));
  if (enc.includes('gzip')) attempts.push(() => zlib.unzipSync(body, opts));
  for (const attempt of attempts) {
    try {
      return attempt();
    } catch {
      // not that format after all
    }
  }
  return null;
}

/** A whole-body base64 text that hides compressed data (`base64(gzip(env))`). */
function base64Wrapped(body: Buffer): Buffer | null {
  if (body.length < 24 || body.length > 4 * MAX_INFLATED) return null;
  // Cheap gate first: base64 of gzip starts `H4sI`, of zlib `eJ`/`eN`/`eA`/`eF`.
  const head = body.subarray(0, 8).toString('latin1').trimStart();
  if (!/^(H4sI|e[JNAF])/.test(head)) return null;
  const text = body.toString('latin1').trim();
  if (!/^[A-Za-z0-9+/=_\-\r\n]+$/.test(text)) return null;
  const decoded = Buffer.from(text.replace(/[\r\n]/g, ''), text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
  return decompressed(decoded);
}

/** A name's labels below its registrable domain (the data part), and that domain. */
function dnsSplit(name: string): { data: string; suffix: string } {
  const bare = name.replace(/\.$/, '');
  const suffix = registrableDomain(bare);
  const data = bare.length > suffix.length ? bare.slice(0, bare.length - suffix.length - 1) : '';
  return { data, suffix };
}

/**
 * Everything the sinkhole captured, laid end to end in one buffer (NUL-separated), so each
 * needle is one native indexOf scan over the whole capture instead of one per record.
 */
export class Corpus {
  readonly segments: Segment[] = [];
  private chunks: Buffer[] = [];
  private size = 0;
  buffer: Buffer = Buffer.alloc(0);

  add(bytes: Buffer, meta: Omit<Segment, 'start' | 'end'>): void {
    if (!bytes.length) return;
    this.segments.push({ ...meta, start: this.size, end: this.size + bytes.length });
    this.chunks.push(bytes, Buffer.from([0]));
    this.size += bytes.length + 1;
  }

  seal(): void {
    this.buffer = Buffer.concat(this.chunks, this.size);
    this.chunks = [];
  }

  /** The segment holding [pos, pos+len), or undefined if the match straddles two. */
  segmentAt(pos: number, len: number): Segment | undefined {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.segments[mid]!;
      if (pos < s.start) hi = mid - 1;
      else if (pos >= s.end) lo = mid + 1;
      else return pos + len <= s.end ? s : undefined;
    }
    return undefined;
  }
}

function endpoint(stream: SinkholeCapture['streams'][number]): string {
  return `${stream.hostname ?? stream.dst.address}:${stream.dst.port}`;
}

function headerText(headers: Record<string, string>): Buffer {
  return Buffer.from(
    Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n'),
    'utf8',
  );
}

export function buildCorpus(capture: SinkholeCapture): Corpus {
  const corpus = new Corpus();
  addDns(corpus, capture);
  capture.streams.forEach((stream, index) => {
    const tls = stream.kind === 'tls';
    stream.http.forEach((req, http) => {
      const channel: Channel = tls ? 'https' : 'http';
      const destination = req.host || endpoint(stream);
      const ref = { list: 'streams', index, http } as const;
      const base = { channel, destination, tMs: stream.t, layers: [] as CanaryEncoding[] };
      corpus.add(Buffer.from(req.path, 'utf8'), { ...base, capture: { ...ref, part: 'path' } });
      corpus.add(headerText(req.headers), { ...base, capture: { ...ref, part: 'headers' } });
      const body = Buffer.from(req.bodyBase64, 'base64');
      corpus.add(body, { ...base, capture: { ...ref, part: 'body' } });
      addPeeled(corpus, body, req.headers['content-encoding'], { ...base, capture: { ...ref, part: 'body' } });
    });
    const data = Buffer.from(stream.dataBase64, 'base64');
    if (data.length) {
      const channel: Channel = stream.protocol === 'udp' ? 'udp' : tls ? 'https' : 'tcp';
      const meta = { channel, destination: stream.sni ?? endpoint(stream), tMs: stream.t, layers: [] as CanaryEncoding[], capture: { list: 'streams', index, part: 'data' } as const };
      corpus.add(data, meta);
      addPeeled(corpus, data, undefined, meta);
    }
  });
  corpus.seal();
  return corpus;
}

function addPeeled(corpus: Corpus, body: Buffer, contentEncoding: string | undefined, meta: Omit<Segment, 'start' | 'end'>): void {
  const inflated = decompressed(body, contentEncoding);
  if (inflated) return corpus.add(inflated, { ...meta, layers: ['gzip'] });
  const wrapped = base64Wrapped(body);
  if (wrapped) corpus.add(wrapped, { ...meta, layers: ['base64', 'gzip'] });
}

/**
 * DNS names as sent, with their labels joined (data split across labels), lowercased (resolvers
 * may randomise case), and the data labels of successive queries under one suffix joined (data
 * split across queries).
 */
function addDns(corpus: Corpus, capture: SinkholeCapture): void {
  const groups = new Map<string, { text: string; runs: NonNullable<Segment['dnsRuns']>; seen: Set<string>; t: number }>();
  capture.dns.forEach((q, index) => {
    const name = q.name.replace(/\.$/, '');
    const { data, suffix } = dnsSplit(name);
    const meta = { channel: 'dns' as const, destination: suffix, tMs: q.t, capture: { list: 'dns', index, part: 'name' } as const };
    corpus.add(Buffer.from(name, 'latin1'), { ...meta, layers: [] });
    const joined = data.replace(/\./g, '');
    if (joined !== data) corpus.add(Buffer.from(joined, 'latin1'), { ...meta, layers: ['dns-labels'] });
    if (joined.toLowerCase() !== joined) corpus.add(Buffer.from(joined.toLowerCase(), 'latin1'), { ...meta, layers: ['dns-labels'] });
    let g = groups.get(suffix);
    if (!g) groups.set(suffix, (g = { text: '', runs: [], seen: new Set(), t: q.t }));
    // A and AAAA (and retries) repeat a name: count each name once.
    // Only data-like labels: sequence numbers and session ids between chunks would break the run.
    const chunk = data.split('.').filter((l) => l.length >= 8).join('');
    if (!g.seen.has(name.toLowerCase()) && chunk) {
      g.seen.add(name.toLowerCase());
      g.runs.push({ offset: g.text.length, index, destination: suffix });
      g.text += chunk.toLowerCase();
    }
  });
  for (const [suffix, g] of groups) {
    if (g.runs.length < 2) continue;
    corpus.add(Buffer.from(g.text, 'latin1'), {
      channel: 'dns',
      destination: suffix,
      tMs: g.t,
      layers: ['dns-labels'],
      capture: { list: 'dns', index: g.runs[0]!.index, part: 'name' },
      dnsRuns: g.runs,
    });
  }
}
