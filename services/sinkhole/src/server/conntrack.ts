import { readFile } from 'node:fs/promises';
import { canonicalAddress } from './addresses.js';

export interface Endpoint {
  address: string;
  port: number;
}

export type Family = 4 | 6;

/** The family of a peer address as a dual-stack listener reports it (`::ffff:a.b.c.d` is IPv4). */
export function familyOf(address: string | undefined): Family {
  return address && address.includes(':') && !/^::ffff:\d+\./.test(address) ? 6 : 4;
}

/**
 * Original destinations of NATed flows, keyed by the reply tuple the sinkhole's listener sees
 * (`family:proto:listenPort:clientPort`). IPv6 addresses come back compressed.
 *
 * Sample lines (PREROUTING REDIRECTs of TCP connects onto port 15001):
 * `ipv4 2 tcp 6 118 ESTABLISHED src=192.168.1.57 dst=198.51.100.20 sport=35148 dport=9001
 *  src=192.168.1.1 dst=192.168.1.57 sport=15001 dport=35148 [ASSURED] mark=0 zone=0 use=2`
 * `ipv6 10 tcp 6 118 ESTABLISHED src=2601:0240:c500:01a2:0000:0000:0000:0057
 *  dst=2606:4700:0000:0000:0000:0000:6810:84e5 sport=40060 dport=443 src=2601:0240:...:0001
 *  dst=2601:0240:...:0057 sport=15001 dport=40060 [ASSURED] mark=0 zone=0 use=2`
 */
export function parseConntrack(text: string): Map<string, Endpoint> {
  const out = new Map<string, Endpoint>();
  for (const line of text.split('\n')) {
    const m = /^ipv([46])\s+\d+\s+(tcp|udp)\s/.exec(line);
    if (!m) continue;
    const [, family, proto] = m;
    const dst = [...line.matchAll(/\bdst=(\S+)/g)].map((m) => m[1]);
    const sport = [...line.matchAll(/\bsport=(\d+)/g)].map((m) => Number(m[1]));
    const dport = [...line.matchAll(/\bdport=(\d+)/g)].map((m) => Number(m[1]));
    // Two tuples: original (index 0) and reply (index 1); malformed lines are skipped.
    if (dst.length < 2 || sport.length < 2 || dport.length < 2) continue;
    out.set(`${family}:${proto}:${sport[1]}:${dport[1]}`, { address: canonicalAddress(dst[0]!), port: dport[0]! });
  }
  return out;
}

/**
 * Node cannot call getsockopt(SO_ORIGINAL_DST), but the namespace's conntrack table holds the
 * same fact. Lookups are batched so a burst of connections costs one read of the table.
 */
export class OriginalDestinations {
  private cache = new Map<string, Endpoint>();
  private pending: { key: string; resolve: (e: Endpoint | null) => void; tries: number }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly path = '/proc/net/nf_conntrack') {}

  lookup(proto: 'tcp' | 'udp', listenPort: number, clientPort: number, family: Family = 4): Promise<Endpoint | null> {
    const key = `${family}:${proto}:${listenPort}:${clientPort}`;
    const hit = this.cache.get(key);
    // UDP source ports are reused by later flows to other destinations: always re-read for UDP
    // unless the cached entry was read in this same batch.
    if (hit && proto === 'tcp') return Promise.resolve(hit);
    return new Promise((resolve) => {
      this.pending.push({ key, resolve, tries: 0 });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), 5);
  }

  private async flush(): Promise<void> {
    this.timer = null;
    const batch = this.pending;
    this.pending = [];
    let table: Map<string, Endpoint>;
    try {
      table = parseConntrack(await readFile(this.path, 'utf8'));
    } catch {
      table = new Map();
    }
    this.cache = table;
    for (const p of batch) {
      const found = table.get(p.key);
      if (found || p.tries >= 3) p.resolve(found ?? null);
      else this.pending.push({ ...p, tries: p.tries + 1 });
    }
    if (this.pending.length) this.schedule();
  }
}
