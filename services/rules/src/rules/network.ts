import { PhaseName, registrableDomain, type CanaryReport, type Severity } from '@vetbox/contracts';
import { channelOf, type ChannelPattern } from '../channels.js';
import type { Draft, Evidence, RuleContext } from '../context.js';
import { withoutProfiling } from './exfiltration.js';
import {
  binaryHost,
  hostMatches,
  isIpLiteral,
  isLoopback,
  isPrivateAddress,
  isReleaseArtifactPath,
  looksLikeDnsTunnel,
  normalizeHost,
  RELEASE_HOSTS,
  TOOLCHAIN_HOSTS,
} from '../hosts.js';

/** Everything seen about one destination host. */
interface Destination {
  host: string;
  looked: boolean;
  contacted: boolean;
  /** An upload: POST/PUT with a body, or raw bytes on a stream that is neither HTTP nor TLS. */
  uploaded: boolean;
  rawSent: boolean;
  httpUpload: boolean;
  secured: boolean;
  ports: Set<number>;
  httpPaths: string[];
  requests: { method: string; path: string }[];
}

/** Everything seen about one registrable domain (or one address): one finding. */
interface DomainGroup {
  domain: string;
  phases: Set<PhaseName>;
  hosts: Map<string, Destination>;
  evidence: Evidence[];
}

const POOL_PORTS = new Set([3333, 4444, 5555, 7777, 14444, 45700]);
const IGNORED_FAMILIES = new Set(['unix', 'netlink', 'packet']);
/** More destination domains than this in one analysis is a flood: one finding holds them all. */
export const FLOOD_DOMAINS = 30;

function collectGroups(ctx: RuleContext): DomainGroup[] {
  const groups = new Map<string, DomainGroup>();
  const net = ctx.behavior.network;
  const own = new Set(['localhost', ctx.sandbox.hostname.toLowerCase()]);
  const ignore = (host: string) =>
    own.has(host) || host.endsWith('.arpa') || ctx.registryHosts.some((r) => hostMatches(host, r));
  const at = (phase: PhaseName, host: string, ev: Evidence): Destination => {
    const domain = registrableDomain(host);
    let g = groups.get(domain);
    if (!g) groups.set(domain, (g = { domain, phases: new Set(), hosts: new Map(), evidence: [] }));
    g.phases.add(phase);
    g.evidence.push(ev);
    let d = g.hosts.get(host);
    if (!d) {
      d = { host, looked: false, contacted: false, uploaded: false, rawSent: false, httpUpload: false, secured: false, ports: new Set(), httpPaths: [], requests: [] };
      g.hosts.set(host, d);
    }
    return d;
  };

  net.dns.forEach((q, index) => {
    const host = normalizeHost(q.name);
    if (ignore(host)) return;
    at(q.phase, host, { kind: 'dns', index, summary: `DNS ${q.type} lookup of ${host}`, key: `dns:${host}` }).looked = true;
  });

  net.connections.forEach((c, index) => {
    if (c.protocol === 'unix' || (c.family && IGNORED_FAMILIES.has(c.family))) return;
    if (c.syscall === 'bind' || c.syscall === 'listen') return;
    // A query to the sandbox's own resolver (private or loopback address): the DNS records name
    // what was looked up. Port 53 of a public address is a hard-coded resolver and stays evidence.
    if (c.port === 53 && isPrivateAddress(c.address)) return;
    if (!c.hostname && isLoopback(c.address)) return;
    // A connected UDP socket that never sent is not contact: glibc's getaddrinfo connects one to
    // each answer to choose between IPv4 and IPv6 (RFC 6724), and sends nothing.
    if (c.protocol === 'udp' && c.syscall === 'connect' && !c.sent && !c.sentBytes) return;
    const host = normalizeHost(c.hostname ?? c.address);
    if (ignore(host)) return;
    const dest = `${c.hostname ? `${c.hostname} (${c.address})` : c.address}:${c.port ?? '?'}`;
    const sent = c.sentBytes ? `, sent ${c.sentBytes} bytes` : '';
    const d = at(c.phase, host, {
      kind: 'connection',
      index,
      summary: `${ctx.describeProcess(c.pid)}: ${c.protocol.toUpperCase()} ${c.syscall ?? 'connect'} to ${dest} → ${c.result}${sent}`,
      key: `connection:${c.protocol}:${host}:${c.port ?? ''}`,
    });
    d.contacted = true;
    if (c.port !== null) d.ports.add(c.port);
    if (c.sent || (c.sentBytes ?? 0) > 0) d.rawSent = true;
  });

  net.http.forEach((h, index) => {
    const host = normalizeHost(h.host);
    if (ignore(host)) return;
    const path = h.path.split('?')[0] ?? h.path;
    const d = at(h.phase, host, {
      kind: 'http',
      index,
      summary: `${h.tls ? 'HTTPS' : 'HTTP'} ${h.method} ${host}${h.path}${h.bodyBytes ? ` (${h.bodyBytes}-byte body)` : ''}`,
      key: `http:${h.method}:${host}${ctx.stable(path)}`,
    });
    d.contacted = true;
    d.httpPaths.push(h.path);
    d.requests.push({ method: h.method, path: h.path });
    if (!/^(GET|HEAD|OPTIONS)$/i.test(h.method) && (h.bodyBytes ?? h.bodyPreview.length) > 0) d.httpUpload = true;
  });

  net.tls.forEach((t, index) => {
    const host = normalizeHost(t.sni);
    if (ignore(host)) return;
    const d = at(t.phase, host, { kind: 'tls', index, summary: `TLS handshake with ${host}`, key: `tls:${host}` });
    d.contacted = true;
    d.secured = true;
  });

  // Bytes on an HTTP or TLS stream are the request or the handshake: only the parsed HTTP
  // method and body say whether data was uploaded there.
  for (const g of groups.values()) {
    for (const d of g.hosts.values()) d.uploaded = d.httpUpload || (d.rawSent && d.httpPaths.length === 0 && !d.secured);
  }
  return [...groups.values()];
}

function releaseDownloadNote(ctx: RuleContext, d: Destination): string | undefined {
  // Declared hosts come from the package itself: trusted only for release artifacts (when the
  // paths are unknown, as with an undecrypted TLS stream, the handshake alone is a download).
  const known = ctx.releaseHosts.some((h) => hostMatches(d.host, h)) && d.httpPaths.every(isReleaseArtifactPath);
  const release = RELEASE_HOSTS.some((h) => hostMatches(d.host, h));
  const toolchain = TOOLCHAIN_HOSTS.some((h) => hostMatches(d.host, h));
  const binaries = binaryHost(d.host);
  if (!known && !release && !toolchain && !binaries) return undefined;
  if (binaries && !known && !release) return `${d.host} is a known download host for platform binaries (${binaries})`;
  if (toolchain) return `${d.host} serves Node.js headers and toolchains (node-gyp fetches them to compile addons)`;
  const asset = d.httpPaths.map((p) => /^\/([^/]+\/[^/]+)\/releases\/download\//.exec(p)?.[1]).find(Boolean);
  if (asset) return `the request is a release asset of ${asset} on ${d.host}, which is how packages ship platform binaries`;
  if (known) return `${d.host} is the package's own repository/release host (declared in its metadata)`;
  return `${d.host} hosts project releases (platform binaries are commonly downloaded from there)`;
}

function judge(ctx: RuleContext, d: Destination): { severity: Severity; detail: string } {
  if (looksLikeDnsTunnel(d.host)) {
    return { severity: 'high', detail: `The name ${d.host} carries a long encoded label: data can leave through the DNS query itself.` };
  }
  const release = releaseDownloadNote(ctx, d);
  if (release && !d.uploaded) {
    return {
      severity: 'low',
      detail: `Rated low: ${release}. The download itself is expected; what the downloaded file then does is judged by the other rules.`,
    };
  }
  const pool = [...d.ports].filter((p) => POOL_PORTS.has(p));
  const poolNote = pool.length > 0 ? ` Port ${pool.join(', ')} is also a common mining-pool / reverse-shell port.` : '';
  if (d.uploaded) return { severity: 'high', detail: `Data was sent to ${d.host}.${poolNote}` };
  if (d.contacted) {
    // 198.18.0.0/15 is what the sinkhole answers lookups with: such an address was a name.
    const ip = isIpLiteral(d.host) && !/^198\.1[89]\./.test(d.host) ? ' The address is hard-coded (no DNS lookup), typical of command-and-control.' : '';
    return { severity: 'high', detail: `A connection to ${d.host} was attempted.${ip}${poolNote}` };
  }
  return { severity: 'medium', detail: `Only a DNS lookup of ${d.host} was seen (no connection).` };
}

/**
 * A socket listening on all interfaces: something that waits for a remote party (a bind shell).
 * A server the execute phase asked the package for (vite's `preview()`, an HTTP framework's
 * `listen()`, the `vite` command itself), opened in the very process the call or command ran in,
 * is what the API is for: low. Anywhere else (install, import, a program the package started) it
 * stays medium.
 */
function listeners(ctx: RuleContext): Draft[] {
  const byGroup = new Map<string, { phase: PhaseName; asked: boolean; evidence: Evidence[] }>();
  // Calls run in the harness's worker; a bin call's pid is the package's own command (`vite`).
  const callers = new Set((ctx.behavior.calls ?? []).filter((c) => c.kind === 'call' || c.kind === 'bin').map((c) => `${c.phase}:${c.pid}`));
  ctx.behavior.network.connections.forEach((c, index) => {
    if (c.syscall !== 'listen' || c.protocol === 'unix' || (c.family && IGNORED_FAMILIES.has(c.family))) return;
    if (!/^(0\.0\.0\.0|::|\*|)$/.test(c.address)) return; // loopback-only servers are internal plumbing
    const asked = c.phase === 'execute' && callers.has(`${c.phase}:${c.pid}`);
    const group = byGroup.get(`${c.phase}:${asked}`) ?? { phase: c.phase, asked, evidence: [] };
    group.evidence.push({
      kind: 'connection',
      index,
      summary: `${ctx.describeProcess(c.pid)} listens on ${c.protocol.toUpperCase()} port ${c.port ?? '?'} on all interfaces`,
      key: `listen:${c.protocol}:${c.port ?? ''}`,
    });
    byGroup.set(`${c.phase}:${asked}`, group);
  });
  return [...byGroup.values()].map(({ phase, asked, evidence }) => ({
    rule: 'network-activity',
    severity: (asked ? 'low' : 'medium') as Severity,
    phase,
    evidence,
    title: `Opens a listening socket during ${phase}`,
    detail: asked
      ? "A server started by a call of the package's own API or its own command, in that process (what a dev server or framework does): rated low."
      : 'A socket listening on all interfaces waits for a remote party to connect: the shape of a bind shell or backdoor.',
  }));
}

/**
 * network-activity: one finding per destination domain (every lookup, connection and request
 * under it an evidence row), or one for all of them when the package floods; destinations that
 * are a known exfiltration channel are `exfiltration-channel` findings instead. Plus listening
 * sockets.
 */
export function networkActivity(ctx: RuleContext): Draft[] {
  return [...destinationFindings(ctx), ...listeners(ctx)];
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

/** The earliest phase of a group, in pipeline order. */
function firstPhase(phases: Set<PhaseName>): PhaseName {
  return PhaseName.options.find((p) => phases.has(p)) ?? [...phases][0]!;
}

function shortHost(host: string): string {
  // DNS-tunnel names run to hundreds of characters: the title stays readable, evidence has it all.
  return host.length > 64 ? `…${host.slice(-63)}` : host;
}

/** The worst host of a group decides its severity; the title names the host or counts the names. */
function judgeGroup(ctx: RuleContext, g: DomainGroup): Draft {
  const judged = [...g.hosts.values()].map((d) => ({ d, ...judge(ctx, d) }));
  judged.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
  const worst = judged[0]!;
  const phase = firstPhase(g.phases);
  const contacted = judged.some((j) => j.d.contacted);
  const verb = contacted ? 'Contacts' : 'Looks up';
  const names = g.hosts.size;
  const title = names === 1 ? `${verb} ${shortHost(worst.d.host)} during ${phase}` : `${verb} ${names} names under ${g.domain} during ${phase}`;
  const detail = names === 1 ? worst.detail : `${names} names under ${g.domain} were looked up or contacted. Worst: ${worst.detail}`;
  return { rule: 'network-activity', severity: worst.severity, phase, title, detail, evidence: g.evidence };
}

function destinationFindings(ctx: RuleContext): Draft[] {
  const groups = collectGroups(ctx);
  const channels: Draft[] = [];
  const plain: DomainGroup[] = [];
  const leaks = ctx.input.canaries.map(withoutProfiling).filter((c) => c.leaked);
  const sentAnything = groups.some((g) => [...g.hosts.values()].some((d) => d.uploaded)) || leaks.length > 0;
  for (const g of groups) {
    const channel = channelOfGroup(g);
    if (channel) channels.push(channelFinding(g, channel, leaks, sentAnything));
    else plain.push(g);
  }
  if (plain.length <= FLOOD_DOMAINS) return [...channels, ...plain.map((g) => judgeGroup(ctx, g))];
  // A flood: one finding, every row kept; the worst destination decides the severity.
  const judged = plain.map((g) => judgeGroup(ctx, g)).sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
  const phases = new Set(plain.flatMap((g) => [...g.phases]));
  const rows = plain.reduce((n, g) => n + g.evidence.length, 0);
  const top = plain
    .map((g) => [g.domain, g.evidence.length] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([d, n]) => `${d} (${n})`);
  return [
    ...channels,
    {
      rule: 'network-activity',
      severity: judged[0]!.severity,
      phase: firstPhase(phases),
      title: `Floods the network: ${plain.length} destinations during ${firstPhase(phases)}`,
      detail: `${rows} lookups, connections and requests to ${plain.length} domains; most to ${top.join(', ')}. Worst: ${judged[0]!.title}: ${judged[0]!.detail}`,
      evidence: plain.flatMap((g) => g.evidence),
    },
  ];
}

function channelOfGroup(g: DomainGroup): ChannelPattern | undefined {
  for (const d of g.hosts.values()) {
    for (const r of d.requests) {
      const c = channelOf(d.host, r);
      if (c) return c;
    }
  }
  for (const d of g.hosts.values()) {
    const c = channelOf(d.host);
    if (c) return c;
  }
  return undefined;
}

const PROFILING = new Set(['ip-lookup', 'geolocation']);

/**
 * exfiltration-channel: a destination that is a known channel for stolen data, named. What the
 * machine sent there decides how much it weighs: a planted credential, the persona or the
 * environment makes it critical; any upload high; a public-IP or geolocation lookup is low
 * alone and medium when the package also sent data somewhere (victim profiling before a send).
 */
function channelFinding(g: DomainGroup, channel: ChannelPattern, leaks: CanaryReport[], sentAnything: boolean): Draft {
  const hosts = [...g.hosts.values()];
  const phase = firstPhase(g.phases);
  const uploaded = hosts.some((d) => d.uploaded);
  const contacted = hosts.some((d) => d.contacted);
  const leaked = leaks.filter((c) => c.evidence.some((e) => registrableDomain(normalizeHost(e.destination)) === g.domain));
  const what = [...new Set(leaked.map((c) => (c.kind === 'identity' ? c.planted : c.kind === 'environment' ? 'the environment' : `a ${c.kind} credential`)))];
  let severity: Severity;
  let detail: string;
  if (what.length > 0) {
    severity = 'critical';
    detail = `${capitalize(channel.name)} received ${what.join(', ')} from the sandbox.`;
  } else if (PROFILING.has(channel.kind)) {
    severity = sentAnything ? 'medium' : 'low';
    detail = sentAnything
      ? `The package asked ${channel.name} (${g.domain}) where the machine is and also sent data out: victim profiling before a send.`
      : `The package asked ${channel.name} (${g.domain}) for the machine's public address or location; nothing else left.`;
  } else if (uploaded) {
    severity = 'high';
    detail = `Data was sent to ${channel.name} (${g.domain}).`;
  } else if (channel.kind === 'out-of-band') {
    severity = 'high';
    detail = `${capitalize(channel.name)} logs every lookup of its names: the lookup itself tells the attacker the code ran (and its labels can carry data).`;
  } else {
    severity = 'medium';
    detail = `${capitalize(channel.name)} (${g.domain}) was ${contacted ? 'contacted' : 'looked up'}; nothing was seen being sent.`;
  }
  const verb = uploaded || what.length > 0 ? 'Sends to' : contacted ? 'Contacts' : 'Looks up';
  return {
    rule: 'exfiltration-channel',
    severity,
    phase,
    title: `${verb} ${channel.name} (${g.domain}) during ${phase}`,
    detail: `${detail} Channel pattern "${channel.id}" (source: ${channel.source}).`,
    evidence: g.evidence,
  };
}

function capitalize(s: string): string {
  return s[0]!.toUpperCase() + s.slice(1);
}
