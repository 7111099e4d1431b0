import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { AddressBook } from './addresses.js';
import { familyOf, type OriginalDestinations } from './conntrack.js';
import type { LiveHttp, LiveStream, Recorder } from './recorder.js';
import { plausibleResponse, type CannedResponse } from './responses.js';
import { liveServiceAnswer, type KnownCredentials, type PublicIdentity } from './services.js';
import { parseClientHelloSni, tlsRecordMissing, type LeafMinter } from './tls.js';

export interface StreamContext {
  recorder: Recorder;
  originals: OriginalDestinations;
  book: AddressBook;
  minter: LeafMinter;
  canned: CannedResponse[];
  /** The persona's public face: "what is my IP", geolocation and token-validation answers. */
  identity?: PublicIdentity;
  credentials: KnownCredentials;
}

const IDLE_MS = 30_000;
const FIRST_BYTES_MS = 5_000;
const MAX_REQUESTS_PER_STREAM = 200;
const HTTP_METHOD = /^(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH|TRACE|PROPFIND|MKCOL|COPY|MOVE|LOCK|UNLOCK|CONNECT) /;

/**
 * Re-presents a socket whose first bytes were already read as a fresh stream starting with
 * them. A plain Duplex (not a net.Socket) so http/tls read through it instead of grabbing
 * the underlying handle and skipping the bytes we peeked.
 */
function replayable(source: Duplex, prefix: Buffer, onBytes?: (n: number) => void): Duplex {
  const out = new Duplex({
    read() {
      source.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (source.destroyed) return cb();
      source.write(chunk, () => cb());
    },
    final(cb) {
      source.end();
      cb();
    },
    destroy(err, cb) {
      source.destroy();
      cb(err);
    },
  });
  out.push(prefix);
  source.on('data', (chunk: Buffer) => {
    onBytes?.(chunk.length);
    if (!out.push(chunk)) source.pause();
  });
  source.on('end', () => out.push(null));
  source.on('close', () => out.destroy());
  source.on('error', () => out.destroy());
  return out;
}

/** Reads until `enough(buf)` holds, the peer stops sending, or the timeout. */
function readFirst(socket: Duplex, enough: (buf: Buffer) => boolean, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const done = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', done);
      socket.off('close', done);
      socket.pause();
      resolve(buf);
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (enough(buf)) done();
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('data', onData);
    socket.once('end', done);
    socket.once('close', done);
    socket.resume();
  });
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

export class CatchAll {
  private readonly streamOf = new WeakMap<Duplex, LiveStream>();
  private readonly http: http.Server;

  constructor(private readonly ctx: StreamContext) {
    this.http = http.createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => this.onRequest(req, res));
    this.http.on('clientError', (_err, socket) => socket.destroy());
  }

  listenTcp(port: number): Promise<void> {
    const server = net.createServer({ pauseOnConnect: true }, (socket) => {
      // Hostile input must never take the recorder down: a failed stream is just closed.
      this.onTcp(socket, port).catch(() => socket.destroy());
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: '::', ipv6Only: false }, () => resolve());
    });
  }

  listenUdp(port: number): Promise<void> {
    const flows = new Map<string, LiveStream>();
    // A large receive buffer (capped by the kernel's rmem_max) loses less of a flood.
    const udp = dgram.createSocket({ type: 'udp6', ipv6Only: false, recvBufferSize: 4 * 1024 * 1024 });
    udp.on('error', () => {});
    udp.on('message', (msg, rinfo) => {
      void this.ctx.originals.lookup('udp', port, rinfo.port, familyOf(rinfo.address)).then((found) => {
        const dst = found ?? { address: '127.0.0.1', port };
        // One record per flow (source port → destination), not per datagram: a flood stays small.
        const key = `${rinfo.port}>${dst.address}:${dst.port}`;
        let live = flows.get(key);
        if (!live) {
          live = this.ctx.recorder.openStream(this.newRecord('udp', rinfo.port, dst)) ?? undefined;
          if (!live) return;
          flows.set(key, live);
        }
        this.ctx.recorder.appendData(live, msg);
      });
    });
    return new Promise((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, '::', () => resolve());
    });
  }

  private newRecord(protocol: 'tcp' | 'udp', srcPort: number, dst: { address: string; port: number }): LiveStream['record'] {
    const hostname = this.ctx.book.nameOf(dst.address);
    return { t: Date.now(), protocol, srcPort, dst, kind: 'raw', http: [], bytes: 0, ...(hostname ? { hostname } : {}) };
  }

  private async onTcp(socket: net.Socket, listenPort: number): Promise<void> {
    socket.on('error', () => socket.destroy());
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    const srcPort = socket.remotePort ?? 0;
    const dst = (await this.ctx.originals.lookup('tcp', listenPort, srcPort, familyOf(socket.remoteAddress))) ?? {
      address: socket.localAddress ?? '127.0.0.1',
      port: socket.localPort ?? listenPort,
    };
    const live = this.ctx.recorder.openStream(this.newRecord('tcp', srcPort, dst));
    if (!live) return void socket.destroy();
    const first = await readFirst(
      socket,
      (b) => (b[0] === 0x16 ? tlsRecordMissing(b) === 0 || b.length > 16_384 : b.length > 0),
      FIRST_BYTES_MS,
    );
    live.record.bytes += first.length;
    const count = (n: number) => (live.record.bytes += n);
    if (first[0] === 0x16) return this.onTls(socket, first, live, count);
    if (HTTP_METHOD.test(first.subarray(0, 16).toString('latin1'))) {
      live.record.kind = 'http';
      return this.serveHttp(replayable(socket, first, count), live);
    }
    this.serveRaw(socket, first, live, false);
  }

  private onTls(socket: net.Socket, hello: Buffer, live: LiveStream, count: (n: number) => void): void {
    live.record.kind = 'tls';
    const sni = parseClientHelloSni(hello);
    if (sni) live.record.sni = sni;
    const name = sni ?? live.record.hostname ?? live.record.dst.address;
    let secureContext: tls.SecureContext;
    try {
      secureContext = this.ctx.minter.contextFor(name);
    } catch {
      // A name no certificate can carry: keep the hello, answer nothing.
      this.ctx.recorder.appendData(live, hello, false);
      return void socket.destroy();
    }
    const secure = new tls.TLSSocket(replayable(socket, hello, count), {
      isServer: true,
      secureContext,
      ALPNProtocols: ['http/1.1'],
    });
    secure.on('error', () => secure.destroy());
    // A client that gives up (or never finishes) its handshake must not hold the stream open.
    const abandon = () => secure.destroy();
    const handshakeTimer = setTimeout(abandon, FIRST_BYTES_MS);
    secure.once('end', abandon);
    secure.once('close', () => clearTimeout(handshakeTimer));
    secure.once('secure', () => {
      clearTimeout(handshakeTimer);
      secure.off('end', abandon);
      void readFirst(secure, (b) => b.length > 0, FIRST_BYTES_MS).then((first) => {
        if (HTTP_METHOD.test(first.subarray(0, 16).toString('latin1'))) this.serveHttp(replayable(secure, first), live);
        else this.serveRaw(secure, first, live, true);
      });
    });
  }

  private serveHttp(conn: Duplex, live: LiveStream): void {
    this.streamOf.set(conn, live);
    this.http.emit('connection', conn);
  }

  /**
   * Unknown protocol: keep the first 4 KiB and say something short so the client goes on.
   * `first` was already counted; for TLS the wrapper counts the (encrypted) wire bytes.
   */
  private serveRaw(socket: Duplex, first: Buffer, live: LiveStream, wireCounted: boolean): void {
    let answered = false;
    const keep = (chunk: Buffer, count: boolean) => {
      this.ctx.recorder.appendData(live, chunk, count);
      if (!answered && chunk.length) {
        answered = true;
        socket.write('OK\r\n');
      }
    };
    keep(first, false);
    socket.on('data', (chunk: Buffer) => keep(chunk, !wireCounted));
    socket.on('end', () => socket.end());
    socket.resume();
  }

  /** A canned answer wins (tests stage payloads with it); then the live services. */
  private liveAnswer(entry: LiveHttp, host: string, stream: LiveStream | undefined) {
    const barePath = entry.path.split('?')[0] ?? entry.path;
    if (this.ctx.canned.some((c) => c.path === barePath && (c.host === undefined || c.host.toLowerCase() === host))) return undefined;
    return liveServiceAnswer(
      {
        method: entry.method,
        host,
        path: entry.path,
        headers: entry.headers,
        body: Buffer.concat(entry.body),
        family: stream && stream.record.dst.address.includes(':') ? 6 : 4,
      },
      this.ctx.identity,
      this.ctx.credentials,
    );
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const live = this.streamOf.get(req.socket as unknown as Duplex);
    const host = req.headers.host ?? live?.record.sni ?? live?.record.hostname ?? live?.record.dst.address ?? '';
    const entry: LiveHttp = {
      method: req.method ?? '',
      host,
      path: req.url ?? '',
      headers: flattenHeaders(req.headers),
      body: [],
      bodyKept: 0,
      bodyBytes: 0,
    };
    if (live && live.record.http.length < MAX_REQUESTS_PER_STREAM) live.record.http.push(entry);
    req.on('data', (chunk: Buffer) => this.ctx.recorder.appendBody(entry, chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const bareHost = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
      const service = this.liveAnswer(entry, bareHost, live);
      const answer = service ?? plausibleResponse(host, entry.path, this.ctx.canned, entry.headers.accept);
      res.writeHead(answer.status, {
        'content-type': answer.contentType,
        'content-length': Buffer.byteLength(answer.body),
        server: 'nginx',
        ...(service?.headers ?? {}),
      });
      res.end(answer.body);
    });
  }
}
