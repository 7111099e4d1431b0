import type {
  Behavior,
  Connection,
  DnsQuery,
  HttpRequest,
  PhaseName,
  SinkholeCapture,
  SinkholeStream,
  TlsHandshake,
} from '@vetbox/contracts';

/** Phase time windows (epoch ms) used to place sinkhole records into a phase. */
export interface PhaseWindow {
  name: PhaseName;
  startMs: number;
  endMs: number;
}

export const PREVIEW_BYTES = 4096;
/** Slack when matching by time: the sinkhole's clock and the trace's are the same host clock. */
const MATCH_WINDOW_MS = 10_000;
/** A DNS answer counts for a connection made up to this long after the query. */
const DNS_ANSWER_TTL_MS = 5 * 60_000;

/**
 * Merges what the sinkhole recorded into the trace-derived network lists:
 *
 * - Streams join connections by protocol and client source port (the port the trace's `-yy`
 *   decorations show after connect, and the sinkhole sees on accept), nearest in time; when
 *   the trace never showed the port, by original destination (address, port) and time.
 *   A stream no connection claims is still listed (pid 0): the sinkhole saw it, so it happened.
 * - Hostname of a connection, best evidence first: the TLS SNI or HTTP Host on its stream;
 *   the name the sinkhole tagged the stream with; else the latest DNS query, before the
 *   connection, whose answer was the connection's address. With one answer address for every
 *   name this last rule is a guess by time order: documented, not hidden.
 * - DNS queries: the sinkhole's list (every name it answered), each given the pid of the UDP
 *   socket with the same source port when the trace has it. Queries decoded from the trace's
 *   own sendto payloads stay when the sinkhole has no record of them (e.g. no sinkhole).
 */
export function mergeCapture(behavior: Behavior, capture: SinkholeCapture, windows: PhaseWindow[]): void {
  const conns = behavior.network.connections;
  const claimed = new Set<Connection>();
  const dnsByAnswer = dnsAnswers(capture);

  for (const stream of capture.streams) {
    const phase = phaseAt(windows, stream.t);
    const conn = findConnection(conns, claimed, stream) ?? addUnclaimed(behavior, stream, phase);
    claimed.add(conn);
    const data = Buffer.from(stream.dataBase64 ?? '', 'base64');
    if (data.length > 0) conn.sent = printablePreview(data, PREVIEW_BYTES);
    if (stream.bytes > 0 || data.length > 0) conn.sentBytes = Math.max(stream.bytes, data.length);
    if (conn.sourcePort === undefined) conn.sourcePort = stream.srcPort;
    const httpHost = stream.http.find((h) => h.host !== '')?.host;
    const tagged = (stream as SinkholeStream & { hostname?: string }).hostname;
    const name = stream.sni ?? stripPort(httpHost) ?? tagged;
    if (name !== undefined) conn.hostname = name;

    const destination = { address: stream.dst.address, port: stream.dst.port };
    for (const h of stream.http) {
      const req: HttpRequest = {
        phase: conn.phase ?? phase,
        method: h.method,
        host: h.host,
        path: h.path,
        headers: h.headers,
        bodyPreview: printablePreview(Buffer.from(h.bodyBase64, 'base64'), PREVIEW_BYTES),
        bodyBytes: h.bodyBytes,
        destination,
      };
      if (stream.kind === 'tls') req.tls = true;
      if (conn.pid > 0) req.pid = conn.pid;
      behavior.network.http.push(req);
    }
    if (stream.sni !== undefined) {
      const tls: TlsHandshake = { phase: conn.phase ?? phase, sni: stream.sni, destination };
      if (conn.pid > 0) tls.pid = conn.pid;
      behavior.network.tls.push(tls);
    }
  }

  // Connections to an address a DNS answer handed out get that name.
  for (const conn of conns) {
    if (conn.hostname !== undefined || conn.tMs === undefined) continue;
    const name = nameForAddress(dnsByAnswer, conn.address, conn.tMs);
    if (name !== undefined) conn.hostname = name;
  }

  mergeDns(behavior, capture, windows);
}

function findConnection(conns: Connection[], claimed: Set<Connection>, s: SinkholeStream): Connection | undefined {
  let best: Connection | undefined;
  let bestDt = Infinity;
  for (const c of conns) {
    if (claimed.has(c) || c.protocol !== s.protocol || c.sourcePort !== s.srcPort) continue;
    const dt = Math.abs((c.tMs ?? s.t) - s.t);
    if (dt < bestDt) {
      best = c;
      bestDt = dt;
    }
  }
  if (best !== undefined) return best;
  for (const c of conns) {
    if (claimed.has(c) || c.protocol !== s.protocol || c.sourcePort !== undefined) continue;
    if (c.address !== s.dst.address || c.port !== s.dst.port || c.syscall === 'bind' || c.syscall === 'listen') continue;
    const dt = Math.abs((c.tMs ?? s.t) - s.t);
    if (dt <= MATCH_WINDOW_MS && dt < bestDt) {
      best = c;
      bestDt = dt;
    }
  }
  return best;
}

function addUnclaimed(behavior: Behavior, s: SinkholeStream, phase: PhaseName): Connection {
  const conn: Connection = {
    phase,
    pid: 0,
    protocol: s.protocol,
    family: s.dst.address.includes(':') ? 'inet6' : 'inet',
    syscall: 'sinkhole',
    address: s.dst.address,
    port: s.dst.port,
    result: 'ok',
    sourcePort: s.srcPort,
    tMs: s.t,
  };
  behavior.network.connections.push(conn);
  return conn;
}

interface Answer {
  name: string;
  t: number;
}

function dnsAnswers(capture: SinkholeCapture): Map<string, Answer[]> {
  const m = new Map<string, Answer[]>();
  for (const q of capture.dns) {
    if (q.answer === undefined || q.answer === '') continue;
    const list = m.get(q.answer) ?? [];
    list.push({ name: q.name, t: q.t });
    m.set(q.answer, list);
  }
  for (const list of m.values()) list.sort((a, b) => a.t - b.t);
  return m;
}

function nameForAddress(m: Map<string, Answer[]>, address: string, t: number): string | undefined {
  const list = m.get(address);
  if (list === undefined) return undefined;
  let found: string | undefined;
  for (const a of list) {
    if (a.t > t + 1000) break; // one second of slack: the two ends log independently
    if (t - a.t <= DNS_ANSWER_TTL_MS) found = a.name;
  }
  return found;
}

function mergeDns(behavior: Behavior, capture: SinkholeCapture, windows: PhaseWindow[]): void {
  const fromTrace = behavior.network.dns;
  const merged: DnsQuery[] = [];
  const udpByPort = new Map<number, Connection>();
  for (const c of behavior.network.connections) {
    if (c.protocol === 'udp' && c.port === 53 && c.sourcePort !== undefined) udpByPort.set(c.sourcePort, c);
  }
  const used = new Set<DnsQuery>();
  for (const q of capture.dns) {
    const entry: DnsQuery = { phase: phaseAt(windows, q.t), name: q.name, type: q.type, tMs: q.t };
    if (q.answer !== undefined) entry.answer = q.answer;
    const conn = q.srcPort !== undefined ? udpByPort.get(q.srcPort) : undefined;
    const twin = fromTrace.find((d) => !used.has(d) && d.name === q.name && d.type === q.type && Math.abs((d.tMs ?? q.t) - q.t) <= MATCH_WINDOW_MS);
    if (twin !== undefined) used.add(twin);
    const pid = conn?.pid ?? twin?.pid;
    if (pid !== undefined) entry.pid = pid;
    if (conn !== undefined) entry.phase = conn.phase;
    else if (twin !== undefined) entry.phase = twin.phase;
    merged.push(entry);
  }
  for (const d of fromTrace) if (!used.has(d)) merged.push(d);
  merged.sort((a, b) => (a.tMs ?? 0) - (b.tMs ?? 0));
  behavior.network.dns = merged;
}

/** The phase running at `t`; between or outside phases, the last one started before it. */
export function phaseAt(windows: PhaseWindow[], t: number): PhaseName {
  let chosen = windows[0]?.name ?? 'install';
  for (const w of windows) {
    if (t >= w.startMs) chosen = w.name;
  }
  return chosen;
}

function stripPort(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  const m = /^(\[[^\]]+\]|[^:]+)(:\d+)?$/.exec(host);
  return m ? m[1] : host;
}

/**
 * First `max` bytes as text a reviewer can read: printable ASCII as is, `\n \r \t` and `\\`
 * escaped, everything else `\xNN`; `...` when cut.
 */
export function printablePreview(buf: Buffer, max: number): string {
  const n = Math.min(buf.length, max);
  let out = '';
  for (let i = 0; i < n; i++) {
    const b = buf[i];
    if (b === 0x5c) out += '\\\\';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x09) out += '\\t';
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return buf.length > max ? `${out}...` : out;
}
