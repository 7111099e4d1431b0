import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { registrableDomain } from '@vetbox/contracts/addresses';
import type { AddressBook } from './addresses.js';
import { hash32 } from './providers.js';
import type { Recorder } from './recorder.js';

/** Ports of well-known SRV services (`_xmpp-client._tcp.example.com` → 5222). */
const SRV_PORTS: Record<string, number> = {
  _xmpp: 5222,
  '_xmpp-client': 5222,
  '_xmpp-server': 5269,
  _sip: 5060,
  _sips: 5061,
  _ldap: 389,
  _ldaps: 636,
  _kerberos: 88,
  _imap: 143,
  _imaps: 993,
  _submission: 587,
  _pop3s: 995,
  _mongodb: 27017,
  _minecraft: 25565,
  _caldavs: 443,
  _carddavs: 443,
  _autodiscover: 443,
};

function token(name: string, length: number): string {
  // Stable per name within and across analyses, like a real zone's records.
  let out = '';
  for (let i = 0; out.length < length; i++) out += hash32(`${name}#${i}`).toString(36);
  return out.slice(0, length);
}

/**
 * The records a resolver would return for one question. Every type a client asks about gets a
 * plausible answer where the real internet would have one (apexes have MX, TXT and NS; `www`
 * is a CNAME; SRV names give a target and the service's port), each built from the name so
 * repeated questions get the same answer.
 */
export function recordsFor(q: dnsPacket.Question, book: AddressBook): dnsPacket.Answer[] {
  const name = q.name;
  const lower = name.toLowerCase().replace(/\.$/, '');
  const apex = registrableDomain(lower);
  const isApex = lower === apex;
  const base = { name, class: 'IN' as const };
  switch (q.type as dnsPacket.RecordType | 'ANY') {
    case 'A':
      return [{ ...base, type: 'A', ttl: 300, data: book.addressFor(name) }];
    case 'AAAA': {
      const v6 = book.address6For(name);
      return v6 ? [{ ...base, type: 'AAAA', ttl: 300, data: v6 }] : [];
    }
    case 'ANY': {
      const v6 = book.address6For(name);
      return [{ ...base, type: 'A', ttl: 300, data: book.addressFor(name) }, ...(v6 ? [{ ...base, type: 'AAAA' as const, ttl: 300, data: v6 }] : [])];
    }
    case 'CNAME': {
      const target = book.cnameFor(name);
      return target ? [{ ...base, type: 'CNAME', ttl: 3600, data: target }] : [];
    }
    case 'TXT': {
      if (lower.startsWith('_dmarc.')) return [{ ...base, type: 'TXT', ttl: 3600, data: [`v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@${apex}`] }];
      if (!isApex && !lower.startsWith('_')) return [];
      return [
        { ...base, type: 'TXT', ttl: 3600, data: ['v=spf1 include:_spf.google.com include:sendgrid.net ~all'] },
        { ...base, type: 'TXT', ttl: 3600, data: [`google-site-verification=${token(lower, 43)}`] },
      ];
    }
    case 'MX':
      if (!isApex) return [];
      return [
        { ...base, type: 'MX', ttl: 3600, data: { preference: 1, exchange: 'aspmx.l.google.com' } },
        { ...base, type: 'MX', ttl: 3600, data: { preference: 5, exchange: 'alt1.aspmx.l.google.com' } },
      ];
    case 'NS': {
      if (!isApex) return [];
      const servers = book.providerOf(name).ns ?? [`ns1.${apex}`, `ns2.${apex}`];
      return servers.map((data) => ({ ...base, type: 'NS' as const, ttl: 86_400, data }));
    }
    case 'SOA':
      return [
        {
          ...base,
          name: apex,
          type: 'SOA',
          ttl: 3600,
          data: {
            mname: book.providerOf(apex).ns?.[0] ?? `ns1.${apex}`,
            rname: `hostmaster.${apex}`,
            serial: 2_024_000_000 + (hash32(apex) % 1_000_000),
            refresh: 7200,
            retry: 3600,
            expire: 1_209_600,
            minimum: 300,
          },
        },
      ];
    case 'SRV': {
      const [service = '', proto = '', ...rest] = lower.split('.');
      if (!service.startsWith('_') || !proto.startsWith('_') || rest.length === 0) return [];
      const domain = rest.join('.');
      const port = SRV_PORTS[service] ?? 443;
      const host = service === '_mongodb' ? `${rest[0]}-shard-00-0` : `${service.slice(1)}`;
      const targets = service === '_mongodb' ? [0, 1, 2].map((i) => `${host}${i}.${rest.slice(1).join('.') || domain}`) : [`${host}.${domain}`];
      return targets.map((target) => ({ ...base, type: 'SRV' as const, ttl: 300, data: { priority: 10, weight: 5, port, target } }));
    }
    case 'PTR': {
      const address = ptrAddress(lower);
      const owner = address ? book.nameOf(address) : undefined;
      return owner ? [{ ...base, type: 'PTR', ttl: 3600, data: owner }] : [];
    }
    default:
      // HTTPS/SVCB, CAA, DS, ...: no records, as for most names.
      return [];
  }
}

/** `4.3.2.1.in-addr.arpa` → `1.2.3.4`; IPv6 nibble names → the address. */
function ptrAddress(name: string): string | undefined {
  if (name.endsWith('.in-addr.arpa')) {
    const parts = name.slice(0, -'.in-addr.arpa'.length).split('.').reverse();
    return parts.length === 4 ? parts.join('.') : undefined;
  }
  if (name.endsWith('.ip6.arpa')) {
    const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.').reverse().join('');
    if (nibbles.length !== 32) return undefined;
    return nibbles.match(/.{4}/g)!.join(':');
  }
  return undefined;
}

/** What the capture keeps as "the answer": the address for A/AAAA (the join key), else the first record. */
function answerText(answers: dnsPacket.Answer[]): string | undefined {
  const first = answers[0];
  if (!first) return undefined;
  const data = (first as { data: unknown }).data;
  if (typeof data === 'string') return data;
  if (Array.isArray(data)) return data.map(String).join(' ');
  if (data && typeof data === 'object') {
    const d = data as Record<string, unknown>;
    return String(d.exchange ?? d.target ?? d.mname ?? JSON.stringify(d));
  }
  return undefined;
}

/** The response code in a DNS header's low four bits: "no such name". */
const RCODE_NXDOMAIN = 3;

/** Answers one DNS message; records each question. Returns null for undecodable input. */
export function answerDns(message: Buffer, srcPort: number, _transport: 'udp' | 'tcp', book: AddressBook, recorder: Recorder): Buffer | null {
  let query: dnsPacket.Packet;
  try {
    query = dnsPacket.decode(message);
  } catch {
    return null;
  }
  const answers: dnsPacket.Answer[] = [];
  // One question per message in practice: a name that cannot exist makes the answer NXDOMAIN.
  let nxdomain = false;
  for (const q of query.questions ?? []) {
    const exists = book.exists(q.name);
    nxdomain ||= !exists;
    const records = exists ? recordsFor(q, book) : [];
    answers.push(...records);
    const answer = answerText(records);
    recorder.addDns({ t: Date.now(), name: q.name, type: String(q.type), srcPort, ...(answer !== undefined ? { answer } : {}) });
  }
  try {
    return dnsPacket.encode({
      id: query.id,
      type: 'response',
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (nxdomain ? RCODE_NXDOMAIN : 0),
      questions: query.questions,
      answers,
    });
  } catch {
    return null;
  }
}

export function startDnsServers(port: number, book: AddressBook, recorder: Recorder): Promise<void> {
  const udp = dgram.createSocket({ type: 'udp6', ipv6Only: false });
  udp.on('error', () => {});
  udp.on('message', (msg, rinfo) => {
    const reply = answerDns(msg, rinfo.port, 'udp', book, recorder);
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
        const reply = answerDns(buf.subarray(2, 2 + len), socket.remotePort ?? 0, 'tcp', book, recorder);
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
      udp.bind(port, '::', () => resolve());
    }),
    new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen({ port, host: '::', ipv6Only: false }, () => resolve());
    }),
  ]).then(() => undefined);
}
