import type { SinkholeCapture, SinkholeDns, SinkholeStream } from '@vetbox/contracts';

/** Builders for hand-made sinkhole captures (the shape the sinkhole writes). */
let t = 1_800_000_000_000;
let port = 40_000;

export function dns(name: string, type = 'A'): SinkholeDns {
  return { t: t++, name, type, srcPort: port++ };
}

export function httpStream(opts: {
  host: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  tls?: boolean;
  dst?: { address: string; port: number };
  srcPort?: number;
}): SinkholeStream {
  const body = Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(opts.body ?? '');
  return {
    t: t++,
    protocol: 'tcp',
    srcPort: opts.srcPort ?? port++,
    dst: opts.dst ?? { address: '198.18.0.10', port: opts.tls ? 443 : 80 },
    hostname: opts.host,
    kind: opts.tls ? 'tls' : 'http',
    ...(opts.tls ? { sni: opts.host } : {}),
    http: [
      {
        method: opts.method ?? 'POST',
        host: opts.host,
        path: opts.path ?? '/',
        headers: { host: opts.host, ...(opts.headers ?? {}) },
        bodyBase64: body.toString('base64'),
        bodyBytes: body.length,
      },
    ],
    dataBase64: '',
    bytes: body.length + 100,
  };
}

export function rawStream(protocol: 'tcp' | 'udp', dst: { address: string; port: number }, data: Buffer | string, srcPort?: number): SinkholeStream {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return { t: t++, protocol, srcPort: srcPort ?? port++, dst, kind: 'raw', http: [], dataBase64: buf.toString('base64'), bytes: buf.length };
}

export function capture(parts: { dns?: SinkholeDns[]; streams?: SinkholeStream[] }): SinkholeCapture {
  return { dns: parts.dns ?? [], streams: parts.streams ?? [] };
}
