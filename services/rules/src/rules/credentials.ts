import type { CanaryLeak, EvidenceRef, PhaseName } from '@vetbox/contracts';
import { appendTo, shortArgv, isPackageManager, type Draft, type Evidence, type RuleContext } from '../context.js';
import { CREDENTIAL_STORES, classify } from '../paths.js';

const LEAK_KIND: Record<CanaryLeak['channel'], EvidenceRef['kind']> = {
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

/** credential-store-read: package processes opening secret stores. */
export function credentialStoreRead(ctx: RuleContext): Draft[] {
  const byPhase = new Map<PhaseName, Evidence[]>();
  const add = (phase: PhaseName, ev: Evidence) => appendTo(byPhase, phase, ev);

  ctx.behavior.files.forEach((f, index) => {
    // A stat counts: in the sandbox most stores do not exist, so a stealer's probing is all there is to see.
    if ((f.op !== 'read' && f.op !== 'stat') || !ctx.isPackagePid(f.pid)) return;
    const shown = ctx.displayPath(f.path, f.pid);
    const environ = OTHER_ENVIRON.exec(shown);
    if (environ && Number(environ[1]) !== f.pid) {
      add(f.phase, ctx.fileEvidence(index, `${ctx.describeProcess(f.pid)} read ${shown} (another process's environment)`));
      return;
    }
    const store = classify(shown, CREDENTIAL_STORES);
    if (!store) return;
    const proc = ctx.process(f.pid);
    // A package manager started by a script (`npm run build`) reads its own config as usual.
    if (proc && isPackageManager(proc) && /^~\/\.(npmrc|yarnrc(\.yml)?)$/.test(shown)) return;
    const outcome = f.result === 'ok' ? '' : ` (${f.result})`;
    const verb = f.op === 'stat' ? 'checked for' : 'read';
    add(f.phase, ctx.fileEvidence(index, `${ctx.describeProcess(f.pid)} ${verb} ${shown}: ${store.label}${outcome}`));
  });

  for (const { entry, index } of ctx.packageProcesses()) {
    if (isPackageManager(entry) && TOKEN_VIA_CLI.test(entry.argv.join(' '))) {
      add(entry.phase, ctx.processEvidence(index, `asked the package manager for a token: ${shortArgv(entry.argv, 200)}`));
    }
  }

  // canaries[].read is not used here: the package manager itself opens the ~/.npmrc canary, and
  // only the trace's per-process records tell housekeeping from package code.

  return [...byPhase].map(([phase, evidence]) => ({ rule: 'credential-store-read', severity: 'high', phase, evidence }));
}
