import { isPrivateAddress, type Report } from '@vetbox/contracts';

/**
 * What belongs to the sandbox and its sinkhole rather than to the attacker, read from the report
 * itself (never from a fixed range, so it holds whatever addresses the sinkhole hands out):
 * every address the sinkhole's DNS answered with, the persona's LAN address, gateway and public
 * address, loopback and private ranges; the persona's own host name.
 */
export class SandboxInternals {
  private readonly addresses = new Set<string>();
  private readonly names = new Set<string>(['localhost', 'localhost.localdomain']);
  /** Names the package looked up: a connection carrying one went to an answer address. */
  private readonly lookedUp = new Set<string>();
  private readonly anyAnswers: boolean;

  constructor(report: Pick<Report, 'behavior' | 'sandbox'>) {
    for (const q of report.behavior.network.dns) {
      // A/AAAA answers are addresses; other types' answers (MX hosts, TXT text) are not.
      if (q.answer && isAddress(q.answer)) this.addresses.add(q.answer.replace(/^::ffff:/i, ''));
      this.lookedUp.add(q.name.toLowerCase());
    }
    this.anyAnswers = this.addresses.size > 0;
    const persona = report.sandbox?.persona;
    if (persona) {
      for (const a of [persona.lan.address, persona.lan.gateway, persona.publicAddress]) this.addresses.add(a);
      this.names.add(persona.hostname.toLowerCase());
    }
    if (report.sandbox?.hostname) this.names.add(report.sandbox.hostname.toLowerCase());
  }

  /**
   * An address the sandbox or sinkhole owns. `hostname`: the name a connection to it carried;
   * for reports made before DNS answers were recorded, an address reached by a name the package
   * looked up is taken as the sinkhole's answer for it.
   */
  isInternalAddress(address: string, hostname?: string): boolean {
    const bare = address.replace(/^::ffff:/i, '');
    if (isPrivateAddress(bare) || this.addresses.has(bare)) return true;
    return !this.anyAnswers && hostname !== undefined && hostname !== bare && this.lookedUp.has(hostname.toLowerCase());
  }

  /**
   * Every sandbox-internal address the report mentions (answers, persona, and the addresses its
   * connections reached through a looked-up name): what shared text must not show as a destination.
   */
  addressesIn(report: Pick<Report, 'behavior'>): Set<string> {
    const found = new Set<string>();
    const consider = (address: string | undefined, hostname?: string) => {
      if (address && !isLoopbackLike(address) && this.isInternalAddress(address, hostname)) found.add(address);
    };
    for (const a of this.addresses) consider(a);
    const net = report.behavior.network;
    for (const c of net.connections) consider(c.address, c.hostname);
    for (const h of net.http) consider(h.destination?.address, h.host.replace(/:\d+$/, ''));
    for (const t of net.tls) consider(t.destination?.address, t.sni);
    return found;
  }

  isInternalName(name: string): boolean {
    const n = name.toLowerCase().replace(/\.$/, '');
    if (this.names.has(n) || n.endsWith('.localhost') || n.endsWith('.local')) return true;
    const reverse = /^((?:\d{1,3}\.){4})in-addr\.arpa$/.exec(n);
    if (reverse) return this.isInternalAddress(reverse[1]!.slice(0, -1).split('.').reverse().join('.'));
    return n.endsWith('.ip6.arpa');
  }
}

/** Loopback and wildcard addresses read the same everywhere: nothing to hide in them. */
function isLoopbackLike(address: string): boolean {
  return /^(127\.|0\.0\.0\.0$|::1?$)/.test(address);
}

function isAddress(text: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(text) || (text.includes(':') && /^[0-9a-f:.]+$/i.test(text));
}
