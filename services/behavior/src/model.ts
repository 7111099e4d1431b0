import type { Connection, DnsQuery, FileAccess, HousekeepingSummary, PhaseName, ProcessEntry, TraceFlood } from '@vetbox/contracts';
import { detach, type TracedEvent } from '@vetbox/trace';
import { isPackageManagerArgv, type ClassifyContext } from './classify.js';
import { dependencyOf } from './model/dependencies.js';
import { FileRecorder } from './model/files.js';
import { Housekeeping } from './model/housekeeping.js';
import { NetworkRecorder } from './model/network.js';
import { ProcessTable } from './model/processes.js';

/**
 * One phase's behavior, built from tracer-neutral events (services/trace's TracedEvent, the
 * same from strace and eBPF). Times are EPOCH MILLISECONDS everywhere in the output (startMs,
 * endMs, tMs), the same clock as the sinkhole capture, so the two join without conversion.
 *
 * Split by concern: model/processes.ts (the process tree, package-manager processes),
 * model/files.ts (file accesses and what is housekeeping), model/network.ts (connections, DNS).
 * Memory: proportional to what the package did (distinct processes, file entries,
 * connections), each list capped; never to the trace length.
 */

export interface ModelOptions {
  /** Decides which processes are the package manager (default: isPackageManagerArgv). */
  isPackageManager?: (argv: readonly string[]) => boolean;
  /** Caps on distinct entries (hostile traces): beyond them, entries are only counted. */
  maxFiles?: number;
  maxConnections?: number;
  maxProcesses?: number;
  /** Paths the snapshot diff saw added: an O_CREAT open of one of them is a `create`. */
  addedPaths?: ReadonlySet<string>;
}

export class PhaseModel {
  readonly counts = new Map<string, number>();
  readonly floods: TraceFlood[] = [];
  firstMs: number | null = null;
  lastMs: number | null = null;
  private readonly housekeeping = new Housekeeping();
  private readonly procs: ProcessTable;
  private readonly files: FileRecorder;
  private readonly network: NetworkRecorder;

  constructor(
    readonly phase: PhaseName,
    ctx: ClassifyContext,
    opts: ModelOptions = {},
  ) {
    this.procs = new ProcessTable(phase, opts.isPackageManager ?? isPackageManagerArgv, opts.maxProcesses ?? 5_000, this.housekeeping, (cwd, argv) => dependencyOf(cwd, argv, ctx));
    this.files = new FileRecorder(phase, ctx, this.housekeeping, opts.maxFiles ?? 20_000, opts.addedPaths);
    this.network = new NetworkRecorder(phase, this.housekeeping, opts.maxConnections ?? 5_000);
  }

  add(ev: TracedEvent): void {
    const ms = ev.tMs;
    if (this.firstMs === null) this.firstMs = ms;
    this.lastMs = ms;
    if (ev.syscall !== undefined) this.count(ev.syscall, 1);
    const proc = this.procs.of(ev.pid, ms);
    switch (ev.kind) {
      case 'file':
        return this.files.add(proc, ev);
      case 'exec':
        this.procs.exec(ev, proc);
        return this.files.exec(proc, ev.path, ev.result, ms);
      case 'net':
        return this.network.add(proc, ev);
      case 'source-port':
        return this.network.sourcePort(proc, ev);
      case 'spawn':
        return this.procs.spawn(ev, proc);
      case 'exit':
        return this.procs.exit(ev, proc);
      case 'cwd':
        if (proc.pid === ev.pid) proc.cwd = ev.path;
        return;
      case 'flood':
        return this.flood(proc.pid, ev.syscall, ev.recorded, ev.suppressed, ms);
      case 'call':
        return;
    }
  }

  /** A tracer may tell a flood twice (when it starts, when the process ends): keep the totals. */
  private flood(pid: number, syscall: string, recorded: number, suppressed: number, tMs: number): void {
    const known = this.floods.find((f) => f.pid === pid && f.syscall === syscall);
    if (known === undefined) {
      this.floods.push({ phase: this.phase, pid, syscall, recorded, suppressed, tMs });
      this.count(syscall, suppressed);
      return;
    }
    this.count(syscall, Math.max(0, suppressed - known.suppressed));
    known.recorded = Math.max(known.recorded, recorded);
    known.suppressed = Math.max(known.suppressed, suppressed);
  }

  private count(name: string, n: number): void {
    const c = this.counts.get(name);
    if (c === undefined) this.counts.set(detach(name), n);
    else this.counts.set(name, c + n);
  }

  /** Kept for callers of the strace-era model: the normalizer finishes the trace now. */
  finish(): void {}

  get connections(): Connection[] {
    return this.network.connections;
  }

  get dns(): DnsQuery[] {
    return this.network.dns;
  }

  processes(): ProcessEntry[] {
    return this.procs.entries();
  }

  fileAccesses(): FileAccess[] {
    return this.files.entries();
  }

  housekeepingSummaries(): HousekeepingSummary[] {
    return this.housekeeping.summaries(this.phase);
  }

  syscallCounts(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort((a, b) => b[1] - a[1]));
  }
}


