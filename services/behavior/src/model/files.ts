import type { FileAccess, FileOp, PhaseName } from '@vetbox/contracts';
import { detach, type FileEvent } from '@vetbox/trace';
import { classifyFile, type ClassifyContext } from '../classify.js';
import type { Housekeeping } from './housekeeping.js';
import type { Proc } from './processes.js';

interface PathInfo {
  /** Category memo by slot: 1 read, 2 stat (0 unused); undefined = not yet known. */
  cats: [string | null | undefined, string | null | undefined, string | null | undefined];
  entries: FileAccess[] | undefined;
}

const MAX_MEMO_PATHS = 200_000;
const MAX_MISSING = 50_000;

/**
 * The phase's file accesses: one entry per (process, path, op, result), repeated calls counted;
 * what classify calls housekeeping folded into counts instead.
 */
export class FileRecorder {
  /** Per path: memoised housekeeping category (read / stat) and the evidence entries. */
  private readonly paths = new Map<string, PathInfo>();
  private fileCount = 0;
  /** Paths seen missing: an O_CREAT open of one creates it. */
  private readonly missing = new Set<string>();

  constructor(
    private readonly phase: PhaseName,
    private readonly ctx: ClassifyContext,
    private readonly housekeeping: Housekeeping,
    private readonly maxFiles: number,
    /** Paths the snapshot diff saw added: an O_CREAT open of one of them is a `create`. */
    private readonly addedPaths: ReadonlySet<string> | undefined,
  ) {}

  add(proc: Proc, ev: FileEvent): void {
    const { path, result } = ev;
    switch (ev.op) {
      case 'open': {
        const f = ev.flags;
        let op: FileOp = 'read';
        if (f?.creat && (f.excl || this.addedPaths?.has(path) || this.missing.has(path))) op = 'create';
        else if (f?.creat || f?.write) op = 'write';
        if (result === 'ENOENT') this.rememberMissing(path);
        return this.record(proc, path, op, result, ev.tMs);
      }
      case 'stat':
        if (result === 'ENOENT') this.rememberMissing(path);
        return this.record(proc, path, 'stat', result, ev.tMs);
      case 'link':
        return this.record(proc, path, 'create', result, ev.tMs, ev.target);
      case 'rename':
        return this.record(proc, path, 'rename', result, ev.tMs, ev.target);
      case 'chmod':
        return this.record(proc, path, 'chmod', result, ev.tMs, undefined, ev.mode);
      default:
        return this.record(proc, path, ev.op, result, ev.tMs);
    }
  }

  /** An exec attempt is a file access too (`exec`, with its result). */
  exec(proc: Proc, path: string, result: string, tMs: number): void {
    this.record(proc, path, 'exec', result, tMs);
  }

  private rememberMissing(path: string): void {
    if (this.missing.size < MAX_MISSING) this.missing.add(detach(path));
  }

  private record(proc: Proc, path: string, op: FileOp, result: string, ms: number, target?: string, mode?: string): void {
    let info: PathInfo | undefined;
    let category: string | null;
    if (proc.pm) {
      category = this.category(undefined, proc, path, op, result);
      if (category === null) info = this.paths.get(path);
    } else {
      info = this.paths.get(path);
      category = this.category(info, proc, path, op, result);
    }
    if (category !== null) {
      this.housekeeping.fold(category, path);
      return;
    }
    const list = info?.entries;
    if (list !== undefined) {
      for (const e of list) {
        if (e.pid === proc.pid && e.op === op && e.result === result && e.target === target && e.mode === mode) {
          e.count = (e.count ?? 1) + 1;
          return;
        }
      }
    }
    if (this.fileCount >= this.maxFiles) {
      this.housekeeping.fold('dropped-file-entries', path);
      return;
    }
    const entry: FileAccess = { phase: this.phase, pid: proc.pid, path: detach(path), op, result: detach(result), count: 1, tMs: ms };
    if (target !== undefined) entry.target = detach(target);
    if (mode !== undefined) entry.mode = detach(mode);
    if (info === undefined) {
      info = newPathInfo();
      this.paths.set(entry.path, info);
    }
    if (info.entries === undefined) info.entries = [entry];
    else info.entries.push(entry);
    this.fileCount++;
  }

  /**
   * classifyFile, memoised per path for the path-only cases (the same files are opened again
   * and again). One map holds both the memo and the entries, so a call costs one lookup.
   */
  private category(info: PathInfo | undefined, proc: Proc, path: string, op: FileOp, result: string): string | null {
    // Package-manager processes (most of an install's calls) classify with a few prefix
    // checks, cheaper than a memo lookup; so do writes and /proc paths.
    if (proc.pm || (op !== 'read' && op !== 'stat') || path.startsWith('/proc/')) {
      return classifyFile(this.ctx, proc.pm, proc.pid, path, op, result);
    }
    const slot = op === 'read' ? 1 : 2;
    if (info !== undefined) {
      const c = info.cats[slot];
      if (c !== undefined) return c;
    }
    const c = classifyFile(this.ctx, proc.pm, proc.pid, path, op, result);
    if (info === undefined) {
      // Bounded memo: past the cap, new paths are classified every time (still correct).
      if (this.paths.size >= MAX_MEMO_PATHS) return c;
      info = newPathInfo();
      this.paths.set(detach(path), info);
    }
    info.cats[slot] = c;
    return c;
  }

  entries(): FileAccess[] {
    const out: FileAccess[] = [];
    for (const info of this.paths.values()) if (info.entries !== undefined) out.push(...info.entries);
    return out.sort((a, b) => (a.tMs ?? 0) - (b.tMs ?? 0));
  }
}

function newPathInfo(): PathInfo {
  return { cats: [undefined, undefined, undefined], entries: undefined };
}
