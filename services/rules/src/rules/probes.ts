import { PHASES, type PhaseName, type Severity } from '@vetbox/contracts';
import { appendTo, shortArgv, programName, type Draft, type Evidence, type RuleContext } from '../context.js';
import { classify, STRONG_PROBES, WEAK_PROBES } from '../paths.js';

const VIRT_TOOLS = /^(systemd-detect-virt|virt-what|dmidecode|imvirt|lshw|hostnamectl)$/;

/** sandbox-probe: fingerprinting the container, VM or tracer. */
export function sandboxProbe(ctx: RuleContext): Draft[] {
  const byPhase = new Map<PhaseName, { severity: Severity; evidence: Evidence[]; seen: Set<string> }>();
  const add = (phase: PhaseName, severity: Severity, ev: Evidence, what: string) => {
    const g = byPhase.get(phase) ?? { severity: 'low' as Severity, evidence: [], seen: new Set<string>() };
    if (severity === 'medium') g.severity = 'medium';
    if (g.seen.has(what)) return;
    g.seen.add(what);
    g.evidence.push(ev);
    byPhase.set(phase, g);
  };

  ctx.behavior.files.forEach((f, index) => {
    // is-docker and friends stat /.dockerenv rather than open it.
    if ((f.op !== 'read' && f.op !== 'stat') || !ctx.isPackagePid(f.pid)) return;
    const shown = ctx.displayPath(f.path, f.pid);
    const strong = classify(shown, STRONG_PROBES);
    const weak = strong ? undefined : classify(shown, WEAK_PROBES);
    const probe = strong ?? weak;
    if (!probe) return;
    add(f.phase, strong ? 'medium' : 'low', ctx.fileEvidence(index, `${ctx.describeProcess(f.pid)} read ${shown}: ${probe.label}`), shown);
  });

  for (const { entry, index } of ctx.packageProcesses()) {
    const text = entry.argv.join(' ');
    // Runtimes read /proc/self/status for ordinary reasons; asking for TracerPid is the tell.
    if (/TracerPid/.test(text)) {
      add(entry.phase, 'medium', ctx.processEvidence(index, `checks for a debugger/tracer: ${shortArgv(entry.argv, 200)}`), `tracer:${index}`);
    } else if (VIRT_TOOLS.test(programName(entry))) {
      add(entry.phase, 'medium', ctx.processEvidence(index, `ran ${programName(entry)} (virtualization detection)`), programName(entry));
    }
  }

  return [...byPhase].map(([phase, g]) => ({
    rule: 'sandbox-probe',
    severity: g.severity,
    phase,
    evidence: g.evidence,
    detail:
      g.severity === 'low'
        ? 'Only a Docker/container marker check was seen (common in helpers like is-docker): low.'
        : 'Specific analysis-environment fingerprinting was seen: medium.',
  }));
}

const MEMORY_SYSCALLS = ['ptrace', 'process_vm_writev', 'process_vm_readv'];
const PROC_MEM = /^\/proc\/(\d+)\/mem$/;

/** process-injection: reading or writing another process's memory. */
export function processInjection(ctx: RuleContext): Draft[] {
  const byPhase = new Map<PhaseName, Evidence[]>();
  const add = (phase: PhaseName, ev: Evidence) => appendTo(byPhase, phase, ev);

  // Per-phase counts carry no pid, but neither the package managers nor the runtimes call these
  // (the tracer itself is not traced), so any call is the package's doing.
  for (const [phase, counts] of Object.entries(ctx.behavior.syscallCounts)) {
    for (const name of MEMORY_SYSCALLS) {
      const n = counts[name] ?? 0;
      if (n > 0) add(phase as PhaseName, { kind: 'process', summary: `${name} called ${n} time(s) during ${phase}`, key: `syscall:${name}` });
    }
  }

  ctx.behavior.files.forEach((f, index) => {
    const m = PROC_MEM.exec(f.path);
    if (!m || Number(m[1]) === f.pid || !ctx.isPackagePid(f.pid)) return;
    const verb = f.op === 'read' ? 'read' : 'wrote';
    add(f.phase, ctx.fileEvidence(index, `${ctx.describeProcess(f.pid)} ${verb} the memory of process ${m[1]} (${f.path})`));
  });

  return [...byPhase]
    .filter(([phase]) => (PHASES as readonly string[]).includes(phase))
    .map(([phase, evidence]) => ({ rule: 'process-injection', severity: 'high', phase, evidence }));
}

/** background-process: package processes still running when the phase ended. */
export function backgroundProcess(ctx: RuleContext): Draft[] {
  const byPhase = new Map<PhaseName, Evidence[]>();
  for (const { entry, index } of ctx.packageProcesses()) {
    if (!entry.outlived) continue;
    const list = byPhase.get(entry.phase) ?? [];
    list.push(ctx.processEvidence(index, `still running after ${entry.phase}: ${shortArgv(entry.argv, 200)}`));
    byPhase.set(entry.phase, list);
  }
  return [...byPhase].map(([phase, evidence]) => ({ rule: 'background-process', severity: 'medium', phase, evidence }));
}
