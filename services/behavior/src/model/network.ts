import type { Connection, DnsQuery, PhaseName } from '@vetbox/contracts';
import { detach, type NetEvent, type SourcePortEvent } from '@vetbox/trace';
import { decodeDnsQuery } from '../dns.js';
import type { Housekeeping } from './housekeeping.js';
import type { Proc } from './processes.js';

const MAX_DNS = 5_000;

/**
 * The phase's connections and DNS questions. Connections are listed once per call (connect,
 * bind, listen) or once per (process, call, destination, result) for datagrams, which repeat;
 * a DNS question is read from the bytes sent to port 53, so names show even offline.
 */
export class NetworkRecorder {
  readonly connections: Connection[] = [];
  readonly dns: DnsQuery[] = [];
  private readonly datagramSeen = new Set<string>();
  /** Connections still lacking their source port, by process and fd. */
  private readonly awaitingPort = new Map<string, Connection>();

  constructor(
    private readonly phase: PhaseName,
    private readonly housekeeping: Housekeeping,
    private readonly maxConnections: number,
  ) {}

  add(proc: Proc, ev: NetEvent): void {
    const { address, port, family } = ev;
    switch (ev.syscall) {
      case 'connect': {
        if (family === 'unspec' || address === null) return; // disconnecting a UDP socket
        if (family === 'netlink') return this.housekeeping.fold('netlink', 'connect');
        if (family === 'unix' && /nscd\/socket$/.test(address)) return this.housekeeping.fold('nscd', address);
        // glibc's getaddrinfo orders IPv4 and IPv6 answers (RFC 6724) by connecting a UDP socket
        // to each, port 0, to learn the source address: nothing is sent.
        // Sample: connect(5<UDP:[0]>, {sa_family=AF_INET6, sin6_port=htons(0), inet_pton(AF_INET6, "2606:4700::6810:84e5", ...)}, 28) = 0
        if (ev.protocol === 'udp' && port === 0 && (family === 'inet' || family === 'inet6')) return this.housekeeping.fold('address-selection', address);
        this.awaitPort(proc, ev, this.connection(proc, ev));
        return;
      }
      case 'sendto':
      case 'sendmsg':
      case 'sendmmsg': {
        if (address === null) return;
        if (port === 53 && ev.payloads !== undefined) this.dnsQuestions(proc, ev);
        if (!ev.explicit || ev.syscall === 'sendmmsg') return;
        if (family === 'netlink') return this.housekeeping.fold('netlink', ev.syscall);
        const key = `${proc.pid}|${ev.syscall}|${address}|${port}|${ev.result}`;
        if (this.datagramSeen.has(key)) return;
        const conn = this.connection(proc, ev);
        if (conn === null) return;
        this.datagramSeen.add(detach(key));
        this.awaitPort(proc, ev, conn);
        return;
      }
      case 'bind': {
        if (family === 'netlink') return this.housekeeping.fold('netlink', 'bind');
        if ((family === 'inet' || family === 'inet6') && port === 0) return this.housekeeping.fold('ephemeral-bind', `${address}:0`);
        this.connection(proc, ev);
        return;
      }
      case 'listen':
        this.connection(proc, ev);
        return;
    }
  }

  /** The source port joins a connection to the sinkhole's stream (the sinkhole sees it too). */
  sourcePort(proc: Proc, ev: SourcePortEvent): void {
    const key = `${proc.pid}|${ev.fd}`;
    const conn = this.awaitingPort.get(key);
    if (conn === undefined) return;
    conn.sourcePort = ev.port;
    this.awaitingPort.delete(key);
  }

  private awaitPort(proc: Proc, ev: NetEvent, conn: Connection | null): void {
    if (conn === null || (conn.protocol !== 'tcp' && conn.protocol !== 'udp')) return;
    if (ev.sourcePort !== undefined && ev.sourcePort > 0) conn.sourcePort = ev.sourcePort;
    else if (ev.fd !== null) this.awaitingPort.set(`${proc.pid}|${ev.fd}`, conn);
  }

  private connection(proc: Proc, ev: NetEvent): Connection | null {
    const address = ev.address ?? '';
    if (this.connections.length >= this.maxConnections) {
      this.housekeeping.fold('dropped-connections', `${address}:${ev.port ?? ''}`);
      return null;
    }
    const conn: Connection = {
      phase: this.phase,
      pid: proc.pid,
      protocol: ev.protocol,
      family: ev.family === 'unspec' ? 'other' : ev.family,
      syscall: ev.syscall,
      address: detach(address),
      port: ev.port,
      result: detach(ev.result),
      tMs: ev.tMs,
    };
    this.connections.push(conn);
    return conn;
  }

  private dnsQuestions(proc: Proc, ev: NetEvent): void {
    for (const payload of ev.payloads ?? []) {
      const q = decodeDnsQuery(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), ev.protocol === 'tcp');
      if (q !== null && this.dns.length < MAX_DNS) this.dns.push({ phase: this.phase, name: detach(q.name), type: q.type, pid: proc.pid, tMs: ev.tMs });
    }
  }
}
