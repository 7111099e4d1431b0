import { randomInt } from 'node:crypto';
import net from 'node:net';
import { hasKnownSuffix, registrableDomain } from '@vetbox/contracts/addresses';
import { hash32, providerOf, type Provider } from './providers.js';

/** RFC 2606/6761 names, for testing: the fixtures' hosts live here. */
const RESERVED_TLDS = new Set(['example', 'invalid', 'test', 'localhost']);

/** What the local network knows about itself (from the persona). */
export interface LocalNames {
  hostname: string;
  address: string;
  address6?: string;
  gateway: string;
}

/** The compressed text form of an address (conntrack prints IPv6 in full). */
export function canonicalAddress(address: string): string {
  const family = net.isIP(address);
  if (family !== 6) return address;
  return new net.SocketAddress({ address, family: 'ipv6' }).address;
}

function randomInBlock(cidr: string): string {
  const [base, bits] = cidr.split('/') as [string, string];
  const start = base.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  // Skip network, broadcast and .0/.255 hosts: real service addresses rarely end that way.
  let n: number;
  do n = start + randomInt(size);
  while (n % 256 === 0 || n % 256 === 255);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function randomInPrefix(prefix: string): string {
  const groups = prefix.split(':').length;
  const rest = Array.from({ length: 8 - groups }, (_, i) => (i < 8 - groups - 2 ? randomInt(0x10000) : randomInt(1, 0x10000)).toString(16));
  return canonicalAddress([prefix, ...rest].join(':'));
}

const LOCAL_SUFFIXES = ['', '.lan', '.local', '.localdomain', '.home', '.fritz.box'];

/**
 * Answers for names, the way the internet would: each public name gets an address in the block
 * of the provider that would serve it (consistent for the whole analysis), and each address is
 * given out for one name only, so a connection's original destination names the host it was
 * resolved from. The machine's own name resolves to its LAN address, as home routers do.
 */
export class AddressBook {
  private readonly v4 = new Map<string, string>();
  private readonly v6 = new Map<string, string | null>();
  private readonly names = new Map<string, string>();
  private readonly local: Map<string, { v4: string; v6?: string }>;

  constructor(private readonly lan?: LocalNames) {
    this.local = new Map();
    if (lan) {
      const host = lan.hostname.toLowerCase();
      for (const suffix of LOCAL_SUFFIXES) this.local.set(host + suffix, { v4: lan.address, ...(lan.address6 ? { v6: lan.address6 } : {}) });
      for (const router of ['router.lan', 'fritz.box', 'router.home', 'gateway.lan']) this.local.set(router, { v4: lan.gateway });
    }
    this.local.set('localhost', { v4: '127.0.0.1', v6: '::1' });
  }

  private key(name: string): string {
    return name.toLowerCase().replace(/\.$/, '');
  }

  /**
   * Whether the name can exist on the internet: the machine's own and the router's names, and
   * names under a top-level domain the public suffix list knows. A name under a TLD that does not
   * exist (`x.qwerty`), or a bare label (`wpad`), gets NXDOMAIN as from any real resolver; a
   * sandbox that answered it would give itself away to the "this name must not resolve" check.
   * The reserved `.example`, `.invalid`, `.test` and `.localhost` names resolve anyway: the
   * project's imitation fixtures may only use them (safety rule 2).
   */
  exists(name: string): boolean {
    const key = this.key(name);
    if (this.local.has(key)) return true;
    if (!key.includes('.')) return false;
    const tld = key.slice(key.lastIndexOf('.') + 1);
    return RESERVED_TLDS.has(tld) || hasKnownSuffix(key);
  }

  /** The IPv4 answer for `name` (always one). */
  addressFor(name: string): string {
    const key = this.key(name);
    const local = this.local.get(key);
    if (local) return local.v4;
    let addr = this.v4.get(key);
    if (!addr) {
      const provider = providerOf(key);
      do addr = randomInBlock(provider.v4[randomInt(provider.v4.length)]!);
      while (this.names.has(addr));
      this.v4.set(key, addr);
      this.names.set(addr, key);
    }
    return addr;
  }

  /** The IPv6 answer, or undefined where the provider serves IPv4 only (github.com has no AAAA). */
  address6For(name: string): string | undefined {
    const key = this.key(name);
    const local = this.local.get(key);
    if (local) return local.v6;
    if (this.v6.has(key)) return this.v6.get(key) ?? undefined;
    const provider = providerOf(key);
    let addr: string | null = null;
    if (provider.v6) {
      do addr = randomInPrefix(provider.v6);
      while (this.names.has(addr));
      this.names.set(addr, key);
    }
    this.v6.set(key, addr);
    return addr ?? undefined;
  }

  /** The name an address was given out for (either family, any spelling of it). */
  nameOf(address: string): string | undefined {
    const addr = canonicalAddress(address.replace(/^::ffff:(?=\d+\.)/, ''));
    return this.names.get(addr);
  }

  providerOf(name: string): Provider {
    return providerOf(this.key(name));
  }

  /** A CNAME a resolver would report for `name`, or undefined (apexes and names served directly). */
  cnameFor(name: string): string | undefined {
    const key = this.key(name);
    const apex = registrableDomain(key);
    if (key === apex || this.local.has(key)) return undefined;
    if (key === `www.${apex}`) return apex;
    const style = providerOf(key).cname;
    if (!style) return undefined;
    const hash = hash32(key).toString(36);
    return style.replace('{name}', key).replace('{apex}', apex).replace('{hash}', hash);
  }
}
