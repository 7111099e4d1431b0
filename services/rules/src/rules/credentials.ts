import type { CanaryLeak, EvidenceRef, PhaseName } from '@vetbox/contracts';
import { appendTo, shortArgv, isPackageManager, programName, type Draft, type Evidence, type RuleContext } from '../context.js';
import { CREDENTIAL_STORES, classify } from '../paths.js';
import { binaryHost, hostMatches, isReleaseArtifactPath, RELEASE_HOSTS } from '../hosts.js';

/** The behavior list a canary leak's carrying record lives in (its `index` points into it). */
export const LEAK_KIND: Record<CanaryLeak['channel'], EvidenceRef['kind']> = {
  dns: 'dns',
  http: 'http',
  https: 'http',
  tcp: 'connection',
  udp: 'connection',
};

/** credential-exfiltration: a canary value was seen leaving in captured traffic. */
export function credentialExfiltration(ctx: RuleContext): Draft[] {
  const byPhase = new Map<PhaseName | null, Evidence[]>();
  ctx.input.canaries.forEach((canary, index) => {
    // The persona and the environment are judged by their own rules (identity-, environment-exfiltration).
    if (!canary.leaked || canary.kind === 'identity' || canary.kind === 'environment') return;
    const channels = [...new Set(canary.evidence.map((e) => `${e.channel} to ${e.destination} (${e.encoding})`))];
    const phase = canary.evidence[0]?.phase ?? null;
    const list = byPhase.get(phase) ?? [];
    list.push({
      kind: 'canary',
      index,
      summary: `${canary.kind} canary (${canary.planted}) leaked via ${channels.join(', ') || 'captured traffic'}`,
      // Planted paths sit in the randomized home: the key keeps them run-independent.
      key: `canary:${canary.kind}:${ctx.stable(canary.planted)}`,
    });
    for (const leak of canary.evidence) {
      list.push({
        kind: LEAK_KIND[leak.channel],
        index: leak.index,
        summary: `${leak.channel.toUpperCase()} to ${leak.destination} carried the ${canary.kind} value (${leak.encoding})`,
        key: `leak:${canary.kind}:${leak.channel}:${leak.destination}:${leak.encoding}`,
      });
    }
    byPhase.set(phase, list);
  });
  return [...byPhase].map(([phase, evidence]) => ({ rule: 'credential-exfiltration', severity: 'critical', phase, evidence }));
}

// `npm config get //registry.npmjs.org/:_authToken`, `npm token list`: a token read through the CLI.
const TOKEN_VIA_CLI = /\b(config\s+(get|list|ls)\b.*(auth|token|password)|token\s+(list|ls)\b)/i;
// Another process's environment holds its secrets (CI tokens, cloud keys).
const OTHER_ENVIRON = /^\/proc\/(\d+)\/environ$/;
// Process listers. procps' `ps` opens every listed process's environ whatever it is asked to
// show; asking for environments is BSD syntax's `e` (`ps eww`, `ps auxe`), a harvest.
const PROCESS_LISTER = /^(ps|top|pgrep|pkill|pidof|pstree|pstree\.x11|w|htop|btop)$/;
const ASKS_FOR_ENVIRONMENTS = /^[a-zA-Z]*e[a-zA-Z]*$/;

/** `ps` listing processes, not harvesting their environments (which `ps e` would print). */
function listsProcesses(ctx: RuleContext, pid: number): boolean {
  const proc = ctx.process(pid);
  if (!proc || !PROCESS_LISTER.test(programName(proc))) return false;
  return !proc.argv.slice(1).some((arg) => ASKS_FOR_ENVIRONMENTS.test(arg));
}

/** credential-store-read: package processes opening secret stores. */
export function credentialStoreRead(ctx: RuleContext): Draft[] {
  const byPhase = new Map<PhaseName, Evidence[]>();
  const add = (phase: PhaseName, ev: Evidence) => appendTo(byPhase, phase, ev);
  // Phases whose evidence is all package-manager configuration files (~/.npmrc and friends).
  const configOnly = new Map<PhaseName, boolean>();
  const note = (phase: PhaseName, config: boolean) => configOnly.set(phase, (configOnly.get(phase) ?? true) && config);

  ctx.behavior.files.forEach((f, index) => {
    // A stat counts: in the sandbox most stores do not exist, so a stealer's probing is all there is to see.
    if ((f.op !== 'read' && f.op !== 'stat') || !ctx.isPackagePid(f.pid)) return;
    const shown = ctx.displayPath(f.path, f.pid);
    const environ = OTHER_ENVIRON.exec(shown);
    if (environ) {
      // Its own environment, or one row of a process listing (ps), is no theft.
      if (Number(environ[1]) !== f.pid && !listsProcesses(ctx, f.pid)) add(f.phase, ctx.fileEvidence(index, `${ctx.describeProcess(f.pid)} read ${shown} (another process's environment)`));
      return;
    }
    const store = classify(shown, CREDENTIAL_STORES);
    if (!store) return;
    const proc = ctx.process(f.pid);
    // A package manager started by a script (`npm run build`) reads its own config as usual.
    if (proc && isPackageManager(proc) && /^~\/\.(npmrc|yarnrc(\.yml)?)$/.test(shown)) return;
    const outcome = f.result === 'ok' ? '' : ` (${f.result})`;
    const verb = f.op === 'stat' ? 'checked for' : 'read';
    note(f.phase, PACKAGE_MANAGER_CONFIG.test(shown) || PACKAGE_MANAGER_CONFIG.test(ctx.absolute(f.path, f.pid)));
    add(f.phase, ctx.fileEvidence(index, `${ctx.describeProcess(f.pid)} ${verb} ${shown}: ${store.label}${outcome}`));
  });

  for (const { entry, index } of ctx.packageProcesses()) {
    if (isPackageManager(entry) && TOKEN_VIA_CLI.test(entry.argv.join(' '))) {
      note(entry.phase, false);
      add(entry.phase, ctx.processEvidence(index, `asked the package manager for a token: ${shortArgv(entry.argv, 200)}`));
    }
  }

  // canaries[].read is not used here: the package manager itself opens the ~/.npmrc canary, and
  // only the trace's per-process records tell housekeeping from package code.

  // A tool reading the package manager's configuration (proxy, registry, cafile live there beside
  // the token) is weighed against everything else: with no canary leaving and no package traffic
  // beyond the registry and release hosts, the read is low. Anything else keeps it high.
  const quiet = !ctx.input.canaries.some((c) => c.leaked) && !packageEgress(ctx);
  return [...byPhase].map(([phase, evidence]) =>
    quiet && configOnly.get(phase)
      ? {
          rule: 'credential-store-read',
          severity: 'low' as const,
          phase,
          evidence,
          detail: 'Only package-manager configuration was read (it also holds proxy and registry settings), no planted credential left and the package sent nothing beyond the registry and release hosts: rated low.',
        }
      : { rule: 'credential-store-read', severity: 'high' as const, phase, evidence },
  );
}

/** npm/yarn/pip configuration files: settings (proxy, registry, cafile) beside any token. */
const PACKAGE_MANAGER_CONFIG = /(^~|\/)(\.npmrc|\.yarnrc|\.yarnrc\.yml|\.config\/pip\/pip\.conf|\.pip\/pip\.conf)$/;

/** Whether package code talked to anything but the registry and known release hosts. */
function packageEgress(ctx: RuleContext): boolean {
  // Hosts that serve platform binaries (binaries.prisma.sh for prisma's engines) count when the
  // package only fetched release artifacts from them: a request carrying data is egress.
  const declared = (host: string) => [...ctx.registryHosts, ...ctx.releaseHosts, ...RELEASE_HOSTS].some((d) => hostMatches(host, d));
  const known = (host: string | undefined) => host !== undefined && (declared(host) || binaryHost(host) !== undefined);
  const { dns, connections, http, tls } = ctx.behavior.network;
  const fetchOnly = (h: (typeof http)[number]) => /^(GET|HEAD)$/i.test(h.method) && !h.bodyPreview && !h.bodyBytes && isReleaseArtifactPath(h.path);
  return (
    dns.some((d) => ctx.isPackagePid(d.pid) && !known(d.name)) ||
    http.some((h) => ctx.isPackagePid(h.pid) && !declared(h.host) && !(binaryHost(h.host) !== undefined && fetchOnly(h))) ||
    tls.some((t) => ctx.isPackagePid(t.pid) && !known(t.sni)) ||
    connections.some((c) => ctx.isPackagePid(c.pid) && (c.family === 'inet' || c.family === 'inet6') && c.port !== 53 && !known(c.hostname))
  );
}
