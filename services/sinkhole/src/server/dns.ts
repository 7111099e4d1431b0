import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Recorder } from './recorder.js';

/**
 * Every distinct name gets its own address from 198.18.0.0/15 (reserved for benchmarking,
 * never routed here: the namespace has only `lo`), so a connection's original destination
 * names the host it was resolved from.
 */
export const ANSWER_RANGE = '198.18.0.0/15';
const POOL_BASE = (198 << 24) | (18 << 16);
const POOL_SIZE = 1 << 17;

export class FakeAddressPool {
  private byName = new Map<string, string>();
  private byAddress = new Map<string, string>();
  private next = 10;

  addressFor(name: string): string {
    const key = name.toLowerCase().replace(/\.$/, '');
    let addr = this.byName.get(key);
    if (!addr) {
      const n = (POOL_BASE + (this.next++ % POOL_SIZE)) >>> 0;
      addr = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
      this.byName.set(key, addr);
      this.byAddress.set(addr, key);
    }
    return addr;
  }

  nameOf(address: string): string | undefined {
    return this.byAddress.get(address);
  }
}

/** Answers one DNS message; records each question. Returns null for undecodable input. */
export function answerDns(
  message: Buffer,
  srcPort: number,
  _transport: 'udp' | 'tcp',
  pool: FakeAddressPool,
  recorder: Recorder,
): Buffer | null {
  let query: dnsPacket.Packet;
  try {
    query = dnsPacket.decode(message);
  } catch {
    return null;
  }
  const answers: dnsPacket.Answer[] = [];
  for (const q of query.questions ?? []) {
    // AAAA gets no answer: IPv6 is disabled in the namespace, so an empty answer makes
    // clients fall back to A instead of failing with ENETUNREACH.
    const answer = q.type === 'A' ? pool.addressFor(q.name) : undefined;
    if (answer) answers.push({ type: 'A', name: q.name, ttl: 60, class: 'IN', data: answer });
    recorder.addDns({ t: Date.now(), name: q.name, type: String(q.type), srcPort, answer });
  }
  try {
    return dnsPacket.encode({
      id: query.id,
      type: 'response',
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
      questions: query.questions,
      answers,
    });
  } catch {
    return null;
  }
}

export function startDnsServers(port: number, pool: FakeAddressPool, recorder: Recorder): Promise<void> {
  const udp = dgram.createSocket('udp4');
  udp.on('error', () => {});
  udp.on('message', (msg, rinfo) => {
    const reply = answerDns(msg, rinfo.port, 'udp', pool, recorder);
    if (reply) udp.send(reply, rinfo.port, rinfo.address);
  });
  const tcp = net.createServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      // TCP DNS messages carry a two-byte length prefix.
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const reply = answerDns(buf.subarray(2, 2 + len), socket.remotePort ?? 0, 'tcp', pool, recorder);
        buf = buf.subarray(2 + len);
        if (!reply) return socket.destroy();
        const prefix = Buffer.alloc(2);
        prefix.writeUInt16BE(reply.length);
        socket.write(Buffer.concat([prefix, reply]));
      }
      if (buf.length > 70_000) socket.destroy();
    });
  });
  return Promise.all([
    new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, '0.0.0.0', () => resolve());
    }),
    new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(port, '0.0.0.0', () => resolve());
    }),
  ]).then(() => undefined);
}
