import type { PhaseName, ProcessEntry } from '@vetbox/contracts';
import type { ExecEvent, ProcessExitEvent, SpawnEvent } from '@vetbox/trace';
import { harnessStepArgv, isHarnessShell, isPackageManagerHelper, isRunnerReexec } from '../classify.js';
import type { Housekeeping } from './housekeeping.js';

export interface Proc {
  pid: number;
  ppid: number | null;
  argv: string[];
  exe?: string;
  cwd: string | null;
  startMs: number;
  endMs: number | null;
  exit: { code: number | null; signal: string | null } | null;
  /** A package-manager process: what it touches is housekeeping. */
  pm: boolean;
  /** The harness's own shell that runs a phase's steps (isHarnessShell): ours, not the package's. */
  harness?: boolean;
  stdioSocket?: boolean;
  /** The declared dependency whose code this is (see dependencyOf). */
  dependency?: string;
  /**
   * Started, directly or not, by a process that is not the package manager's (package code):
   * a package manager package code runs cannot vouch for what it starts (no attribution).
   */
  underCode?: boolean;
}

/**
 * The phase's processes: created by spawn events, named by exec, ended by exit. A pid first
 * seen without a spawn is a root (the phase's command) or an orphan whose parent is not traced.
 */
export class ProcessTable {
  private readonly procs = new Map<number, Proc>();
  /** Finished processes whose pid was reused later in the phase. */
  private readonly retired: Proc[] = [];
  /** Processes past the cap: their activity counts as their parent's. */
  private readonly alias = new Map<number, number>();
  private rootPid: number | null = null;

  constructor(
    private readonly phase: PhaseName,
    private readonly isPm: (argv: readonly string[]) => boolean,
    private readonly maxProcesses: number,
    private readonly housekeeping: Housekeeping,
    /** A package-manager child's dependency, from its working directory and argv. */
    private readonly attribute: (cwd: string | null, argv: readonly string[]) => string | undefined = () => undefined,
  ) {}

  /** The process an event of `pid` belongs to (created when first seen). */
  of(pid: number, tMs: number): Proc {
    const owner = this.alias.get(pid) ?? pid;
    let p = this.procs.get(owner);
    if (p === undefined) {
      p = newProc(owner, null, tMs);
      this.procs.set(owner, p);
      if (this.rootPid === null) this.rootPid = owner;
    }
    return p;
  }

  spawn(ev: SpawnEvent, parent: Proc): void {
    const child = ev.child;
    const old = this.procs.get(child);
    if (old !== undefined && old.endMs !== null) {
      this.retired.push(old); // pid reused after an exit
      this.procs.delete(child);
    }
    if (this.procs.has(child)) return;
    this.alias.delete(child);
    if (this.procs.size >= this.maxProcesses) {
      this.housekeeping.fold('dropped-processes', String(child));
      this.alias.set(child, parent.pid);
      return;
    }
    // A fork runs the parent's program until it execs.
    const p = newProc(child, parent.pid, ev.tMs);
    p.argv = parent.argv;
    p.exe = parent.exe;
    p.cwd = parent.cwd;
    p.pm = parent.pm;
    if (parent.harness === true) p.harness = true;
    // The harness's shell starts the steps as a phase starts its command: what they run is not under package code.
    if (parent.underCode === true || (!parent.pm && parent.harness !== true)) p.underCode = true;
    if (parent.dependency !== undefined) p.dependency = parent.dependency;
    this.procs.set(child, p);
  }

  exec(ev: ExecEvent, proc: Proc): void {
    if (ev.argv === undefined || proc.pid !== (this.alias.get(ev.pid) ?? ev.pid)) return;
    const parent = proc.ppid !== null ? this.procs.get(proc.ppid) : undefined;
    // The steps runner executing itself again as plain `bash`: the report keeps what it was started with.
    if (proc.harness === true && parent === undefined && isRunnerReexec(proc.argv, ev.argv)) {
      proc.exe = ev.path;
      return;
    }
    // A step of the runner: its child, or the runner itself executing its only step (`exec python3`).
    const runner = parent?.harness === true ? parent.argv : parent === undefined && proc.harness === true ? proc.argv : undefined;
    proc.argv = runner !== undefined ? harnessStepArgv(runner, ev.argv) : ev.argv;
    proc.exe = ev.path;
    proc.pm = this.isPm(proc.argv) || (parent?.pm === true && isPackageManagerHelper(proc.argv));
    proc.harness = parent === undefined && isHarnessShell(proc.argv);
    if (parent?.pm === true && !proc.pm && proc.underCode !== true) {
      const dependency = this.attribute(proc.cwd, proc.argv);
      if (dependency !== undefined) proc.dependency = dependency;
    }
    if (ev.stdioSocket) proc.stdioSocket = true;
  }

  exit(ev: ProcessExitEvent, proc: Proc): void {
    if (proc.pid !== ev.pid) return; // an aliased process's exit is not its parent's
    proc.endMs = ev.tMs;
    proc.exit = { code: ev.code, signal: ev.signal };
  }

  entries(): ProcessEntry[] {
    const root = this.rootPid !== null ? this.procs.get(this.rootPid) : undefined;
    const rootEnd = root?.endMs ?? null;
    const out: ProcessEntry[] = [];
    for (const p of [...this.retired, ...this.procs.values()]) {
      const e: ProcessEntry = { pid: p.pid, ppid: p.ppid, phase: this.phase, argv: p.argv, cwd: p.cwd, startMs: p.startMs, endMs: p.endMs, exit: p.exit };
      if (p.exe !== undefined) e.exe = p.exe;
      if (p !== root && rootEnd !== null && (p.endMs === null || p.endMs > rootEnd)) e.outlived = true;
      if (p.pm || p.harness === true) e.housekeeping = true;
      if (p.stdioSocket) e.stdioSocket = true;
      if (p.dependency !== undefined) e.dependency = p.dependency;
      out.push(e);
    }
    return out.sort((a, b) => a.startMs - b.startMs || a.pid - b.pid);
  }
}

function newProc(pid: number, ppid: number | null, ms: number): Proc {
  return { pid, ppid, argv: [], cwd: null, startMs: ms, endMs: null, exit: null, pm: false };
}
