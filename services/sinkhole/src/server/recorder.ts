import type { SinkholeCapture, SinkholeDns, SinkholeStream } from '@vetbox/contracts';

export const HTTP_BODY_LIMIT = 64 * 1024;
export const RAW_LIMIT = 4 * 1024;
/** Bounds on what one analysis can make the sinkhole hold in memory. */
const MAX_DNS = 20_000;
const MAX_STREAMS = 5_000;
const MAX_TOTAL_BYTES = 48 * 1024 * 1024;

/** A stream while it is open: payload kept as Buffers until the capture is serialised. */
export interface LiveStream {
  record: Omit<SinkholeStream, 'dataBase64' | 'http'> & { http: LiveHttp[] };
  data: Buffer[];
  dataBytes: number;
}

export interface LiveHttp {
  method: string;
  host: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer[];
  bodyKept: number;
  bodyBytes: number;
}

/** Everything the sinkhole saw, with caps so a flood cannot exhaust its memory. */
export class Recorder {
  private dns: SinkholeDns[] = [];
  private streams: LiveStream[] = [];
  private kept = 0;
  dropped = 0;


  addDns(entry: SinkholeDns): void {
    if (this.dns.length >= MAX_DNS) {
      this.dropped++;
      return;
    }
    this.dns.push(entry);
  }

  openStream(record: LiveStream['record']): LiveStream | null {
    if (this.streams.length >= MAX_STREAMS) {
      this.dropped++;
      return null;
    }
    const live: LiveStream = { record, data: [], dataBytes: 0 };
    this.streams.push(live);
    return live;
  }

  /** Keeps the first `limit` bytes of a stream's payload (raw TCP, UDP, undecoded TLS). */
  appendData(live: LiveStream, chunk: Buffer, count = true): void {
    if (count) live.record.bytes += chunk.length;
    const room = Math.min(RAW_LIMIT - live.dataBytes, MAX_TOTAL_BYTES - this.kept);
    if (room <= 0) return;
    const part = chunk.subarray(0, room);
    live.data.push(part);
    live.dataBytes += part.length;
    this.kept += part.length;
  }

  appendBody(http: LiveHttp, chunk: Buffer): void {
    http.bodyBytes += chunk.length;
    const room = Math.min(HTTP_BODY_LIMIT - http.bodyKept, MAX_TOTAL_BYTES - this.kept);
    if (room <= 0) return;
    const part = chunk.subarray(0, room);
    http.body.push(part);
    http.bodyKept += part.length;
    this.kept += part.length;
  }

  snapshot(): SinkholeCapture {
    return {
      dns: this.dns,
      streams: this.streams.map(({ record, data }) => ({
        ...record,
        http: record.http.map(({ body, bodyKept: _k, ...h }) => ({
          ...h,
          bodyBase64: Buffer.concat(body).toString('base64'),
        })),
        dataBase64: Buffer.concat(data).toString('base64'),
      })),
      dropped: this.dropped,
    };
  }
}
