import { PHASES, type PhaseName, type ProcessEntry, type Severity } from '@vetbox/contracts';
import { appendTo, isToolchain, shortArgv, programName, type Draft, type Evidence, type RuleContext } from '../context.js';
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

  const listed = enumeratedProcFiles(ctx);
  ctx.behavior.files.forEach((f, index) => {
    // is-docker and friends stat /.dockerenv rather than open it.
    if ((f.op !== 'read' && f.op !== 'stat') || !ctx.isPackagePid(f.pid)) return;
    const shown = ctx.displayPath(f.path, f.pid);
    // pid 1's file read as one row of a listing of processes (enumeratedProcFiles).
    const pid1File = /^\/proc\/1\/([a-z_]+)$/.exec(shown)?.[1];
    if (pid1File && listed.has(`${f.pid}:${pid1File}`)) return;
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
        ? 'Only common checks were seen (a container marker file as is-docker checks it, a machine serial or UUID as telemetry reads it): low.'
        : 'Specific analysis-environment fingerprinting was seen: medium.',
  }));
}

/**
 * `<pid>:<file>` for processes that read /proc/<n>/<file> of several other processes: `ps` and
 * process-list libraries read pid 1's cmdline or environ as one row of many, which is not a look
 * at init (a container check reads pid 1 alone).
 */
function enumeratedProcFiles(ctx: RuleContext): Set<string> {
  const pidsRead = new Map<string, Set<string>>();
  for (const f of ctx.behavior.files) {
    const m = /^\/proc\/(\d+)\/([a-z_]+)$/.exec(f.path);
    if (!m || m[1] === '1' || Number(m[1]) === f.pid) continue;
    const key = `${f.pid}:${m[2]}`;
    pidsRead.set(key, (pidsRead.get(key) ?? new Set()).add(m[1]!));
  }
  return new Set([...pidsRead].filter(([, pids]) => pids.size >= ENUMERATION_MIN_OTHERS).map(([key]) => key));
}
/** Other processes a lister reads besides pid 1 (a sandbox holds a dozen; a probe reads none). */
const ENUMERATION_MIN_OTHERS = 2;

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

/**
 * background-process: package processes still running when the phase ended, judged by what they
 * do. A build tool's daemon or file watcher that only touches its own and temporary files is
 * reported low; one whose process tree reaches the network, writes elsewhere or runs other
 * programs is medium (and what it did is a finding of its own).
 */
export function backgroundProcess(ctx: RuleContext): Draft[] {
  const byPhase = new Map<PhaseName, { evidence: Evidence[]; active: boolean }>();
  const children = new Map<number, number[]>();
  for (const p of ctx.behavior.processes) if (p.ppid !== null) appendTo(children, p.ppid, p.pid);
  const cut = new Set(ctx.input.phases.filter((p) => p.status === 'error_timeout').map((p) => p.name));
  const byPid = new Map(ctx.behavior.processes.map((p) => [`${p.phase}:${p.pid}`, p]));
  for (const { entry, index } of ctx.packageProcesses()) {
    if (!entry.outlived) continue;
    // The phase hit its time limit with this process still in its foreground (a native build
    // that did not finish): unfinished, which the report's incompleteness says, not left behind.
    if (cut.has(entry.phase) && inForeground(entry, byPid)) continue;
    const doing = daemonActivity(ctx, subtree(entry.pid, children));
    const group = byPhase.get(entry.phase) ?? { evidence: [], active: false };
    group.active ||= doing !== undefined;
    group.evidence.push(ctx.processEvidence(index, `still running after ${entry.phase}: ${shortArgv(entry.argv, 200)}${doing ? ` (${doing})` : ' (nothing observed beyond its own and temporary files)'}`));
    byPhase.set(entry.phase, group);
  }
  return [...byPhase].map(([phase, { evidence, active }]) => ({
    rule: 'background-process',
    severity: active ? 'medium' : 'low',
    phase,
    evidence,
    ...(active ? {} : { detail: 'The process tree left running only read files and wrote its own or temporary ones (a build daemon or watcher): rated low.' }),
  }));
}

/**
 * Whether every ancestor up to the package manager was still running too: a process whose parent
 * had exited was orphaned on purpose (a double fork, `nohup ... &`), a daemon even in a cut phase.
 */
function inForeground(entry: ProcessEntry, byPid: Map<string, ProcessEntry>): boolean {
  for (let p = entry, depth = 0; depth < 64; depth++) {
    if (p.housekeeping) return true;
    const parent = p.ppid === null ? undefined : byPid.get(`${p.phase}:${p.ppid}`);
    if (!parent) return true;
    if (!parent.outlived && !parent.housekeeping) return false;
    p = parent;
  }
  return false;
}

function subtree(root: number, children: Map<number, number[]>): Set<number> {
  const pids = new Set<number>([root]);
  const queue = [root];
  while (queue.length > 0) for (const c of children.get(queue.shift()!) ?? []) if (!pids.has(c)) (pids.add(c), queue.push(c));
  return pids;
}

/** What a left-running process tree did that a quiet daemon does not, or undefined. */
function daemonActivity(ctx: RuleContext, pids: Set<number>): string | undefined {
  const { network } = ctx.behavior;
  if (network.connections.some((c) => pids.has(c.pid)) || network.dns.some((d) => d.pid !== undefined && pids.has(d.pid))) return 'it used the network';
  if (network.http.some((h) => h.pid !== undefined && pids.has(h.pid))) return 'it used the network';
  if (ctx.behavior.processes.some((p) => pids.has(p.pid) && p.exe !== undefined && p.ppid !== null && pids.has(p.ppid) && !isToolchain(p))) return 'it started other programs';
  const wrote = ctx.behavior.files.find((f) => pids.has(f.pid) && f.result === 'ok' && !['read', 'stat', 'exec'].includes(f.op) && !quietPath(ctx, ctx.absolute(f.path, f.pid)));
  return wrote ? `it changed ${ctx.displayPath(wrote.path, wrote.pid)}` : undefined;
}

function quietPath(ctx: RuleContext, abs: string): boolean {
  if (/^\/(tmp|var\/tmp|dev\/shm|proc\/self|dev)\//.test(abs)) return true;
  const home = ctx.sandbox.home.replace(/\/+$/, '');
  if (abs.startsWith(`${home}/.cache/`)) return true;
  return ctx.inPackageArea(abs);
}
