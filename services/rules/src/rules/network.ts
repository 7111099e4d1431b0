import type { PhaseName, Severity } from '@vetbox/contracts';
import type { Draft, Evidence, RuleContext } from '../context.js';
import {
  binaryHost,
  hostMatches,
  isExfilService,
  isIpLiteral,
  isLoopback,
  isPrivateAddress,
  isReleaseArtifactPath,
  looksLikeDnsTunnel,
  normalizeHost,
  RELEASE_HOSTS,
  TOOLCHAIN_HOSTS,
} from '../hosts.js';

/** Everything seen in one phase about one destination host. */
interface Destination {
  phase: PhaseName;
  host: string;
  evidence: Evidence[];
  looked: boolean;
  contacted: boolean;
  /** An upload: POST/PUT with a body, or raw bytes on a stream that is neither HTTP nor TLS. */
  uploaded: boolean;
  rawSent: boolean;
  httpUpload: boolean;
  secured: boolean;
  ports: Set<number>;
  httpPaths: string[];
}

const POOL_PORTS = new Set([3333, 4444, 5555, 7777, 14444, 45700]);
const IGNORED_FAMILIES = new Set(['unix', 'netlink', 'packet']);

function collectDestinations(ctx: RuleContext): Destination[] {
  const map = new Map<string, Destination>();
  const net = ctx.behavior.network;
  const own = new Set(['localhost', ctx.sandbox.hostname.toLowerCase()]);
  const ignore = (host: string) =>
    own.has(host) || host.endsWith('.arpa') || ctx.registryHosts.some((r) => hostMatches(host, r));
  const at = (phase: PhaseName, host: string): Destination => {
    const id = `${phase}\u0000${host}`;
    let d = map.get(id);
    if (!d) {
      d = { phase, host, evidence: [], looked: false, contacted: false, uploaded: false, rawSent: false, httpUpload: false, secured: false, ports: new Set(), httpPaths: [] };
      map.set(id, d);
    }
    return d;
  };

  net.dns.forEach((q, index) => {
    const host = normalizeHost(q.name);
    if (ignore(host)) return;
    const d = at(q.phase, host);
    d.looked = true;
    d.evidence.push({ kind: 'dns', index, summary: `DNS ${q.type} lookup of ${host}`, key: `dns:${host}` });
  });

  net.connections.forEach((c, index) => {
    if (c.protocol === 'unix' || (c.family && IGNORED_FAMILIES.has(c.family))) return;
    if (c.syscall === 'bind' || c.syscall === 'listen') return;
    // A query to the sandbox's own resolver (private or loopback address): the DNS records name
    // what was looked up. Port 53 of a public address is a hard-coded resolver and stays evidence.
    if (c.port === 53 && isPrivateAddress(c.address)) return;
    if (!c.hostname && isLoopback(c.address)) return;
    const host = normalizeHost(c.hostname ?? c.address);
    if (ignore(host)) return;
    const d = at(c.phase, host);
    d.contacted = true;
    if (c.port !== null) d.ports.add(c.port);
    if (c.sent || (c.sentBytes ?? 0) > 0) d.rawSent = true;
    const dest = `${c.hostname ? `${c.hostname} (${c.address})` : c.address}:${c.port ?? '?'}`;
    const sent = c.sentBytes ? `, sent ${c.sentBytes} bytes` : '';
    d.evidence.push({
      kind: 'connection',
      index,
      summary: `${ctx.describeProcess(c.pid)}: ${c.protocol.toUpperCase()} ${c.syscall ?? 'connect'} to ${dest} → ${c.result}${sent}`,
      key: `connection:${c.protocol}:${host}:${c.port ?? ''}`,
    });
  });

  net.http.forEach((h, index) => {
    const host = normalizeHost(h.host);
    if (ignore(host)) return;
    const d = at(h.phase, host);
    d.contacted = true;
    d.httpPaths.push(h.path);
    if (!/^(GET|HEAD|OPTIONS)$/i.test(h.method) && (h.bodyBytes ?? h.bodyPreview.length) > 0) d.httpUpload = true;
    const path = h.path.split('?')[0] ?? h.path;
    d.evidence.push({
      kind: 'http',
      index,
      summary: `${h.tls ? 'HTTPS' : 'HTTP'} ${h.method} ${host}${h.path}${h.bodyBytes ? ` (${h.bodyBytes}-byte body)` : ''}`,
      key: `http:${h.method}:${host}${ctx.stable(path)}`,
    });
  });

  net.tls.forEach((t, index) => {
    const host = normalizeHost(t.sni);
    if (ignore(host)) return;
    const d = at(t.phase, host);
    d.contacted = true;
    d.secured = true;
    d.evidence.push({ kind: 'tls', index, summary: `TLS handshake with ${host}`, key: `tls:${host}` });
  });

  // Bytes on an HTTP or TLS stream are the request or the handshake: only the parsed HTTP
  // method and body say whether data was uploaded there.
  for (const d of map.values()) {
    d.uploaded = d.httpUpload || (d.rawSent && d.httpPaths.length === 0 && !d.secured);
  }
  return [...map.values()];
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
  if (isExfilService(d.host)) {
    return { severity: 'high', detail: `${d.host} is a service commonly used to collect stolen data (request bins, OAST, chat webhooks).` };
  }
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

/** A socket listening on all interfaces: something that waits for a remote party (a bind shell). */
function listeners(ctx: RuleContext): Draft[] {
  const byPhase = new Map<PhaseName, Evidence[]>();
  ctx.behavior.network.connections.forEach((c, index) => {
    if (c.syscall !== 'listen' || c.protocol === 'unix' || (c.family && IGNORED_FAMILIES.has(c.family))) return;
    if (!/^(0\.0\.0\.0|::|\*|)$/.test(c.address)) return; // loopback-only servers are internal plumbing
    const list = byPhase.get(c.phase) ?? [];
    list.push({
      kind: 'connection',
      index,
      summary: `${ctx.describeProcess(c.pid)} listens on ${c.protocol.toUpperCase()} port ${c.port ?? '?'} on all interfaces`,
      key: `listen:${c.protocol}:${c.port ?? ''}`,
    });
    byPhase.set(c.phase, list);
  });
  return [...byPhase].map(([phase, evidence]) => ({
    rule: 'network-activity',
    severity: 'medium' as Severity,
    phase,
    evidence,
    title: `Opens a listening socket during ${phase}`,
    detail: 'A socket listening on all interfaces waits for a remote party to connect: the shape of a bind shell or backdoor.',
  }));
}

/** network-activity: one finding per destination host and phase, plus listening sockets. */
export function networkActivity(ctx: RuleContext): Draft[] {
  return [...destinationFindings(ctx), ...listeners(ctx)];
}

function destinationFindings(ctx: RuleContext): Draft[] {
  return collectDestinations(ctx).map((d) => {
    const { severity, detail } = judge(ctx, d);
    const verb = d.contacted ? 'Contacts' : 'Looks up';
    // DNS-tunnel names run to hundreds of characters: the title stays readable, evidence has it all.
    const host = d.host.length > 64 ? `…${d.host.slice(-63)}` : d.host;
    return {
      rule: 'network-activity',
      severity,
      phase: d.phase,
      title: `${verb} ${host} during ${d.phase}`,
      detail,
      evidence: d.evidence,
    };
  });
}
