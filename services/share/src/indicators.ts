import { SEVERITY_ORDER, type Finding, type Indicator, type PhaseName, type Report, type Severity } from '@vetbox/contracts';
import { SandboxInternals } from './internal.js';

/** Only findings this severe make indicators: a low-rated download from a package's own declared host is not an IOC. */
const MIN_SEVERITY: Severity = 'medium';
const PERSISTENCE_RULES = new Set(['persistence']);

type Draft = Omit<Indicator, 'findings' | 'severity'>;

/**
 * The indicators an analysis backs: every domain, address, URL, file hash and persistence path
 * that a finding of at least medium severity cites, with the phase it happened in and the
 * findings it backs. Sandbox-internal addresses and names never appear (see SandboxInternals);
 * a connection to an address the sinkhole answered for a name becomes that name.
 */
export function extractIndicators(report: Report): Indicator[] {
  const internal = new SandboxInternals(report);
  const collected = new Map<string, { draft: Draft; findings: Finding[] }>();
  const add = (finding: Finding, draft: Draft | undefined) => {
    if (!draft) return;
    const key = [draft.type, draft.value, draft.port ?? '', draft.protocol ?? '', draft.phase].join('\u0000');
    const entry = collected.get(key) ?? { draft, findings: [] };
    if (!entry.findings.includes(finding)) entry.findings.push(finding);
    collected.set(key, entry);
  };
  const fromReport = new Extractor(report, internal);
  for (const finding of report.findings) {
    if (SEVERITY_ORDER.indexOf(finding.severity) > SEVERITY_ORDER.indexOf(MIN_SEVERITY)) continue;
    for (const ev of finding.evidence) {
      for (const draft of fromReport.evidence(ev.kind, ev.index, finding)) add(finding, draft);
    }
  }
  return [...collected.values()]
    .map(({ draft, findings }) => {
      const ordered = [...findings].sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity));
      return { ...draft, findings: [...new Set(ordered.map((f) => f.rule))], severity: ordered[0]!.severity };
    })
    .sort(byTypeThenValue);
}

const TYPE_ORDER: Indicator['type'][] = ['domain', 'ip', 'url', 'sha256', 'path'];
function byTypeThenValue(a: Indicator, b: Indicator): number {
  return TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type) || a.value.localeCompare(b.value) || (a.port ?? 0) - (b.port ?? 0);
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const isIp = (s: string) => IPV4.test(s) || (s.includes(':') && /^[0-9a-f:.]+$/i.test(s));

/** Resolves one evidence reference of a finding to the behavior entry it points at, and that entry to indicators. */
class Extractor {
  private readonly home: string | undefined;

  constructor(
    private readonly report: Report,
    private readonly internal: SandboxInternals,
  ) {
    this.home = report.sandbox?.home;
  }

  evidence(kind: string, index: number | undefined, finding: Finding): Draft[] {
    if (index === undefined) return [];
    const net = this.report.behavior.network;
    switch (kind) {
      case 'dns': {
        const q = net.dns[index];
        return q ? this.host(q.name, q.phase) : [];
      }
      case 'connection':
        return this.connection(index);
      case 'http':
        return this.http(index);
      case 'tls': {
        const t = net.tls[index];
        if (!t) return [];
        return [...this.host(t.sni, t.phase), ...(t.destination ? this.address(t.destination.address, t.destination.port, 'tcp', t.phase, t.sni) : [])];
      }
      case 'canary':
        return this.canary(index);
      case 'fileChange': {
        const c = this.report.behavior.fileChanges[index];
        if (!c) return [];
        return [...this.hashOf(c.path, c.phase), ...(PERSISTENCE_RULES.has(finding.rule) ? this.path(c.path, c.phase) : [])];
      }
      case 'file': {
        const f = this.report.behavior.files[index];
        if (!f) return [];
        const path = f.op === 'rename' && f.target ? f.target : f.path;
        return [...this.hashOf(path, f.phase), ...(PERSISTENCE_RULES.has(finding.rule) ? this.path(path, f.phase) : [])];
      }
      case 'process': {
        const p = this.report.behavior.processes[index];
        return p?.exe ? this.hashOf(p.exe, p.phase) : [];
      }
      default:
        return [];
    }
  }

  private host(name: string, phase: PhaseName): Draft[] {
    const host = name.replace(/\.$/, '').toLowerCase();
    if (host === '') return [];
    if (isIp(host)) return this.address(host, undefined, undefined, phase);
    return this.internal.isInternalName(host) ? [] : [{ type: 'domain', value: host, phase }];
  }

  private address(address: string, port: number | undefined, protocol: 'tcp' | 'udp' | undefined, phase: PhaseName, hostname?: string): Draft[] {
    if (this.internal.isInternalAddress(address, hostname)) return [];
    return [{ type: 'ip', value: address.replace(/^::ffff:/i, ''), ...(port !== undefined ? { port } : {}), ...(protocol ? { protocol } : {}), phase }];
  }

  private connection(index: number): Draft[] {
    const c = this.report.behavior.network.connections[index];
    if (!c || (c.protocol !== 'tcp' && c.protocol !== 'udp') || c.syscall === 'listen' || c.syscall === 'bind') return [];
    const named = c.hostname !== undefined && !isIp(c.hostname) ? this.host(c.hostname, c.phase) : [];
    return [...named, ...this.address(c.address, c.port ?? undefined, c.protocol, c.phase, c.hostname)];
  }

  private http(index: number): Draft[] {
    const h = this.report.behavior.network.http[index];
    if (!h) return [];
    const host = stripPort(h.host);
    const internalHost = isIp(host) ? this.internal.isInternalAddress(host) : this.internal.isInternalName(host);
    const url: Draft[] = host && !internalHost ? [{ type: 'url', value: `${h.tls ? 'https' : 'http'}://${h.host}${h.path.startsWith('/') ? '' : '/'}${h.path}`, phase: h.phase, context: h.method }] : [];
    const dest = h.destination ? this.address(h.destination.address, h.destination.port, 'tcp', h.phase, host) : [];
    return [...url, ...(host ? this.host(host, h.phase) : []), ...dest];
  }

  /** Where a planted credential went: the network record that carried it. */
  private canary(index: number): Draft[] {
    const canary = this.report.canaries[index];
    if (!canary) return [];
    const net = this.report.behavior.network;
    return canary.evidence.flatMap((leak) => {
      if (leak.index !== undefined) {
        if (leak.channel === 'dns' && net.dns[leak.index]) return this.host(net.dns[leak.index]!.name, leak.phase);
        if ((leak.channel === 'http' || leak.channel === 'https') && net.http[leak.index]) return this.http(leak.index);
        if ((leak.channel === 'tcp' || leak.channel === 'udp') && net.connections[leak.index]) return this.connection(leak.index);
      }
      const host = stripPort(leak.destination);
      return host ? this.host(host, leak.phase) : [];
    });
  }

  /**
   * The sha256 of a file the package created (dropped or downloaded), when the run recorded it.
   * A file it only changed (a ~/.bashrc line) hashes to this machine's content: no indicator.
   */
  private hashOf(path: string, phase: PhaseName): Draft[] {
    const change = this.report.behavior.fileChanges.find((c) => c.path === path && c.sha256 && c.kind === 'added');
    return change?.sha256 ? [{ type: 'sha256', value: change.sha256, phase, context: this.homeRelative(path) }] : [];
  }

  private path(path: string, phase: PhaseName): Draft[] {
    return [{ type: 'path', value: this.homeRelative(path), phase }];
  }

  /** Paths under the randomized home are written `~/...` so they match across analyses. */
  private homeRelative(path: string): string {
    if (this.home && (path === this.home || path.startsWith(`${this.home}/`))) return `~${path.slice(this.home.length)}`;
    return path;
  }
}

function stripPort(host: string): string {
  const m = /^\[([^\]]+)\](:\d+)?$/.exec(host) ?? /^([^:]+)(:\d+)?$/.exec(host);
  return (m ? m[1]! : host).toLowerCase();
}
