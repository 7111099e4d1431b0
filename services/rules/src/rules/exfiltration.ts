import { registrableDomain, type CanaryLeak, type CanaryReport, type PhaseName, type Severity } from '@vetbox/contracts';
import { channelOf } from '../channels.js';
import type { Draft, Evidence, RuleContext } from '../context.js';
import { normalizeHost } from '../hosts.js';
import { LEAK_KIND } from './credentials.js';

const PART: Record<string, string> = { name: 'name', path: 'path', headers: 'headers', body: 'body', data: 'payload' };

/** How a value was dressed on its way out: `hex, split across DNS labels`, `base64 inside gzip`. */
function howEncoded(leak: CanaryLeak): string {
  const layers = leak.layers ?? [leak.encoding];
  const split = layers.includes('dns-labels') ? ', split across DNS labels' : '';
  const inner = layers.filter((l) => l !== 'dns-labels');
  return `${inner.length ? inner.join(' in ') : 'plain'}${split}`;
}

/** Where in the behavior a leak was carried: the DNS name or the request, for the evidence row. */
function carrier(ctx: RuleContext, leak: CanaryLeak): string {
  const net = ctx.behavior.network;
  const part = leak.capture ? PART[leak.capture.part] ?? leak.capture.part : 'traffic';
  if (leak.channel === 'dns') {
    const q = leak.index !== undefined ? net.dns[leak.index] : undefined;
    const name = q?.name ?? leak.destination;
    return `DNS ${q?.type ?? ''} lookup of ${name.length > 90 ? `${name.slice(0, 87)}…` : name}`.replace('  ', ' ');
  }
  if (leak.channel === 'http' || leak.channel === 'https') {
    const h = leak.index !== undefined ? net.http[leak.index] : undefined;
    const target = h ? `${h.method} ${normalizeHost(h.host)}${h.path.length > 80 ? `${h.path.slice(0, 77)}…` : h.path}` : leak.destination;
    return `${leak.channel.toUpperCase()} ${target} (${part})`;
  }
  return `${leak.channel.toUpperCase()} to ${leak.destination} (${part})`;
}

function domainOf(leak: CanaryLeak): string {
  return registrableDomain(normalizeHost(leak.destination));
}

interface Group {
  domain: string;
  phase: PhaseName;
  /** Carrying record → the values it carried. */
  records: Map<string, { leak: CanaryLeak; values: string[] }>;
  reports: Set<number>;
}

/** Leaks of the given reports, grouped by destination domain, each carrying record once. */
function byDestination(reports: { report: CanaryReport; index: number; label: (r: CanaryReport) => string }[]): Group[] {
  const groups = new Map<string, Group>();
  for (const { report, index, label } of reports) {
    for (const leak of report.evidence) {
      const domain = domainOf(leak);
      let g = groups.get(domain);
      if (!g) groups.set(domain, (g = { domain, phase: leak.phase, records: new Map(), reports: new Set() }));
      g.reports.add(index);
      const c = leak.capture;
      const key = c ? `${c.list}:${c.index}:${c.http ?? ''}:${c.part}` : `${leak.channel}:${leak.index ?? ''}:${leak.destination}`;
      const rec = g.records.get(key) ?? { leak, values: [] };
      rec.values.push(label(report));
      g.records.set(key, rec);
    }
  }
  return [...groups.values()];
}

function rows(ctx: RuleContext, g: Group, what: string): Evidence[] {
  return [...g.records.values()].map(({ leak, values }) => ({
    kind: LEAK_KIND[leak.channel],
    ...(leak.index !== undefined ? { index: leak.index } : {}),
    summary: `${carrier(ctx, leak)} carried ${values.join(', ')} (${howEncoded(leak)})`,
    key: `${what}:${leak.channel}:${g.domain}:${leak.encoding}:${values.length}`,
  }));
}

const identityLabel = (r: CanaryReport) => `the ${r.planted} "${r.valuePreview ?? ''}"`;

const ADDRESSES = new Set(['public address', 'IPv6 address']);

/**
 * Asking a geolocation service about the machine's own address is profiling (the
 * `exfiltration-channel` finding rates it), not sending the identity away.
 */
export function withoutProfiling(r: CanaryReport): CanaryReport {
  if (r.kind !== 'identity' || !ADDRESSES.has(r.planted)) return r;
  const evidence = r.evidence.filter((e) => {
    const kind = channelOf(normalizeHost(e.destination))?.kind;
    return kind !== 'ip-lookup' && kind !== 'geolocation';
  });
  return { ...r, evidence, leaked: evidence.length > 0 };
}

/** What left the sandbox, profiling lookups of its own address aside. */
function leakedKinds(ctx: RuleContext): { credentials: boolean; identity: boolean; environment: boolean } {
  const leaked = ctx.input.canaries.map(withoutProfiling).filter((c) => c.leaked);
  return {
    credentials: leaked.some((c) => c.kind !== 'identity' && c.kind !== 'environment'),
    identity: leaked.some((c) => c.kind === 'identity'),
    environment: leaked.some((c) => c.kind === 'environment'),
  };
}

/**
 * identity-exfiltration: the persona's own values (hostname, user, home and project paths,
 * machine id, addresses) left the sandbox. One finding per destination domain; a row per
 * carrying lookup or request, with the decoded values and how they were encoded.
 */
export function identityExfiltration(ctx: RuleContext): Draft[] {
  const reports = ctx.input.canaries
    .map((report, index) => ({ report: withoutProfiling(report), index, label: identityLabel }))
    .filter(({ report }) => report.kind === 'identity' && report.evidence.length > 0);
  if (reports.length === 0) return [];
  const leaked = leakedKinds(ctx);
  const severity: Severity = leaked.credentials || leaked.environment ? 'critical' : 'high';
  return byDestination(reports).map((g) => {
    const fields = [...new Set([...g.reports].map((i) => ctx.input.canaries[i]!.planted))];
    const canaryRows: Evidence[] = [...g.reports].map((i) => {
      const r = ctx.input.canaries[i]!;
      const here = r.evidence.filter((e) => domainOf(e) === g.domain);
      return {
        kind: 'canary',
        index: i,
        summary: `${identityLabel(r)} left via ${[...new Set(here.map((e) => e.channel.toUpperCase()))].join(', ')} to ${g.domain} (${[...new Set(here.map(howEncoded))].join('; ')})`,
        key: `identity:${r.planted}:${g.domain}`,
      };
    });
    const also = leaked.credentials ? ' together with planted credentials' : leaked.environment ? ' together with the process environment' : '';
    return {
      rule: 'identity-exfiltration',
      severity,
      phase: g.phase,
      title: `Sends the machine's identity (${fields.join(', ')}) to ${g.domain}`,
      detail: `${fields.length === 1 ? 'A value' : `${fields.length} values`} of this sandbox's randomized identity reached ${g.domain} in ${g.records.size} ${g.records.size === 1 ? 'lookup or request' : 'lookups or requests'}${also}. Only code that collects the machine's identity and sends it out produces this: dependency-confusion probes and stealers do.`,
      evidence: [...canaryRows, ...rows(ctx, g, 'identity-record')],
    };
  });
}

/**
 * environment-exfiltration: most of the process environment sent in one body, path or name
 * (`process.env`, `os.environ`), whatever planted values it holds. One finding per destination.
 */
export function environmentExfiltration(ctx: RuleContext): Draft[] {
  const reports = ctx.input.canaries
    .map((report, index) => ({ report, index, label: () => 'the process environment' }))
    .filter(({ report }) => report.kind === 'environment' && report.leaked);
  if (reports.length === 0) return [];
  const leaked = leakedKinds(ctx);
  const severity: Severity = leaked.credentials || leaked.identity ? 'critical' : 'high';
  const names = reports[0]!.report.valuePreview ?? '';
  return byDestination(reports).map((g) => ({
    rule: 'environment-exfiltration',
    severity,
    phase: g.phase,
    title: `Sends the process environment to ${g.domain}`,
    detail: `A dump of the environment (${names}) reached ${g.domain}. Environments hold tokens and cloud keys; sending one whole is what stealers do.`,
    evidence: [
      ...[...g.reports].map((i) => ({ kind: 'canary' as const, index: i, summary: `environment variables ${names}`, key: `environment:${g.domain}` })),
      ...rows(ctx, g, 'environment-record'),
    ],
  }));
}
