import type {
  Connection,
  DnsQuery,
  FileAccess,
  FileOp,
  HousekeepingSummary,
  PhaseName,
  ProcessEntry,
} from '@vetbox/contracts';
import {
  AT_FDCWD,
  decodeQuotedBytes,
  field,
  parseArgs,
  parseFdDecoration,
  parseSockaddr,
  type SockAddr,
  type SyscallEvent,
  type TraceEvent,
  type TraceValue,
} from '@vetbox/trace';
import { classifyFile, isPackageManagerArgv, isPackageManagerHelper, type ClassifyContext } from './classify.js';
import { decodeDnsQuery } from './dns.js';
import { resolvePath } from './paths.js';

/**
 * One phase's behavior, built event by event. Times are EPOCH MILLISECONDS everywhere in the
 * output (startMs, endMs, tMs), the same clock as the sinkhole capture, so the two join
 * without conversion; a reader wanting offsets subtracts the phase's start.
 *
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

interface Proc {
  pid: number;
  ppid: number | null;
  argv: string[];
  exe?: string;
  cwd: string | null;
  startMs: number;
  endMs: number | null;
  exit: { code: number | null; signal: string | null } | null;
  pm: boolean;
}

interface SocketInfo {
  protocol: Connection['protocol'];
  family: Connection['family'];
  remote?: { address: string; port: number | null };
  /** Connection awaiting its source port from a later `-yy` decoration. */
  conn?: Connection;
}

interface PathInfo {
  /** Category memo by slot: 1 read, 2 stat (0 unused); undefined = not yet known. */
  cats: [string | null | undefined, string | null | undefined, string | null | undefined];
  entries: FileAccess[] | undefined;
}

function newPathInfo(): PathInfo {
  return { cats: [undefined, undefined, undefined], entries: undefined };
}

interface Housekeeping {
  count: number;
  examples: string[];
}

const MAX_QUEUED_EVENTS = 50_000;
const MAX_MEMO_PATHS = 200_000;
const MAX_EXAMPLES = 5;
const MAX_DNS = 5_000;
/** Calls handled beyond counting; everything else only bumps syscallCounts. */
const FILE_CALLS = new Set([
  'open', 'openat', 'openat2', 'creat', 'stat', 'lstat', 'newfstatat', 'fstatat64', 'statx', 'access', 'faccessat', 'faccessat2',
  'readlink', 'readlinkat', 'unlink', 'unlinkat', 'rmdir', 'rename', 'renameat', 'renameat2', 'chmod', 'fchmod', 'fchmodat',
  'mkdir', 'mkdirat', 'link', 'linkat', 'symlink', 'symlinkat', 'truncate', 'execve', 'execveat', 'chdir', 'fchdir',
]);
const NET_CALLS = new Set(['socket', 'connect', 'sendto', 'sendmsg', 'sendmmsg', 'bind', 'listen']);
const PROC_CALLS = new Set(['clone', 'clone3', 'fork', 'vfork']);

export class PhaseModel {
  readonly counts = new Map<string, number>();
  private readonly procs = new Map<number, Proc>();
  /** Finished processes whose pid was reused later in the phase. */
  private readonly retired: Proc[] = [];
  /** Thread id → the process (thread group leader) it belongs to. */
  private readonly threadOf = new Map<number, number>();
  /** Events of pids whose creating clone has not returned yet (strace shows the child first). */
  private readonly queued = new Map<number, TraceEvent[]>();
  private queuedCount = 0;
  private rootPid: number | null = null;
  /** Per path: memoised housekeeping category (pm / read / stat) and the evidence entries. */
  private readonly paths = new Map<string, PathInfo>();
  private fileCount = 0;
  private readonly enoent = new Set<string>();
  private readonly housekeeping = new Map<string, Housekeeping>();
  readonly connections: Connection[] = [];
  private readonly udpSeen = new Map<string, Connection>();
  /** Sockets per process, by fd (small-integer keys on both levels keep lookups cheap). */
  private readonly sockets = new Map<number, Map<number, SocketInfo>>();
  /** Sockets whose connection still lacks a source port; the hot path looks only when > 0. */
  private awaitingPort = 0;
  readonly dns: DnsQuery[] = [];
  firstMs: number | null = null;
  lastMs: number | null = null;
  private readonly isPm: (argv: readonly string[]) => boolean;
  private readonly maxFiles: number;
  private readonly maxConnections: number;
  private readonly maxProcesses: number;

  constructor(
    readonly phase: PhaseName,
    private readonly ctx: ClassifyContext,
    private readonly opts: ModelOptions = {},
  ) {
    this.isPm = opts.isPackageManager ?? isPackageManagerArgv;
    this.maxFiles = opts.maxFiles ?? 20_000;
    this.maxConnections = opts.maxConnections ?? 5_000;
    this.maxProcesses = opts.maxProcesses ?? 5_000;
  }

  add(ev: TraceEvent): void {
    const ms = ev.time * 1000;
    if (this.firstMs === null) this.firstMs = ms;
    this.lastMs = ms;
    if (ev.type === 'syscall') {
      const n = this.counts.get(ev.name);
      if (n === undefined) this.counts.set(detach(ev.name), 1);
      else this.counts.set(ev.name, n + 1);
    }
    this.dispatch(ev);
  }

  private dispatch(ev: TraceEvent): void {
    const pid = ev.pid;
    if (this.rootPid === null) {
      this.rootPid = pid;
      this.procs.set(pid, newProc(pid, null, ev.time * 1000));
    } else if (!this.procs.has(pid) && !this.threadOf.has(pid)) {
      this.enqueue(ev);
      return;
    }
    const owner = this.threadOf.get(pid) ?? pid;
    const proc = this.procs.get(owner)!;
    if (ev.type === 'exit') {
      if (owner === pid) {
        proc.endMs = ev.time * 1000;
        proc.exit = { code: ev.code, signal: ev.signal };
      }
      return;
    }
    if (ev.type === 'signal') return;
    const name = ev.name;
    if (this.awaitingPort > 0) this.learnSourcePort(owner, ev);
    if (name === 'close') {
      if (this.sockets.size > 0) this.closeFd(owner, ev.args);
      return;
    }
    if (FILE_CALLS.has(name)) this.fileCall(proc, ev);
    else if (NET_CALLS.has(name)) this.netCall(proc, ev);
    else if (PROC_CALLS.has(name)) this.spawnCall(owner, ev);
  }

  // ---- processes -------------------------------------------------------------------------

  private enqueue(ev: TraceEvent): void {
    if (this.queuedCount >= MAX_QUEUED_EVENTS) {
      // A parent that never returns from clone: adopt the pid as an orphan rather than buffer.
      this.adoptOrphan(ev.pid, ev.time * 1000);
      this.dispatch(ev);
      return;
    }
    const list = this.queued.get(ev.pid);
    if (list === undefined) this.queued.set(ev.pid, [ev]);
    else list.push(ev);
    this.queuedCount++;
  }

  private adoptOrphan(pid: number, ms: number): void {
    if (this.procs.has(pid) || this.threadOf.has(pid)) return;
    this.procs.set(pid, newProc(pid, null, ms));
    this.flushQueued(pid);
  }

  private flushQueued(pid: number): void {
    const list = this.queued.get(pid);
    if (list === undefined) return;
    this.queued.delete(pid);
    this.queuedCount -= list.length;
    for (const ev of list) this.dispatch(ev);
  }

  // `clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 9047`
  // `clone3({flags=CLONE_VM|...|CLONE_THREAD|..., exit_signal=0, ...} => {parent_tid=[27919]}, 88) = 27919`
  // `vfork() = 9048`
  private spawnCall(owner: number, ev: SyscallEvent): void {
    const child = ev.ret;
    if (child === null || child <= 0) return;
    const old = this.procs.get(child);
    if (old !== undefined && old.endMs !== null && !this.queued.has(child)) {
      // Pid reused after an exit: keep the finished process, track the new one.
      this.retired.push(old);
      this.procs.delete(child);
    }
    if (this.procs.has(child) || this.threadOf.has(child)) return;
    if (ev.name.startsWith('clone') && ev.args.includes('CLONE_THREAD')) {
      this.threadOf.set(child, owner);
    } else {
      const parent = this.procs.get(owner)!;
      if (this.procs.size >= this.maxProcesses) {
        this.fold('dropped-processes', String(child));
        this.threadOf.set(child, owner); // attribute its activity to the parent
      } else {
        const p = newProc(child, owner, ev.time * 1000);
        // A fork runs the parent's program until it execs.
        p.argv = parent.argv;
        p.exe = parent.exe;
        p.cwd = parent.cwd;
        p.pm = parent.pm;
        this.procs.set(child, p);
      }
    }
    this.flushQueued(child);
  }

  // ---- files -----------------------------------------------------------------------------

  private fileCall(proc: Proc, ev: SyscallEvent): void {
    const result = ev.errno ?? (ev.ret === null ? (ev.incomplete ? 'unknown' : 'ok') : ev.ret < 0 ? 'error' : 'ok');
    const ms = ev.time * 1000;
    const name = ev.name;
    if (this.fastFileCall(proc, ev, name, result, ms)) return;
    const args = parseArgs(ev.args);
    switch (name) {
      // `openat(AT_FDCWD</home/u>, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3</etc/passwd>`
      case 'open':
      case 'openat':
      case 'openat2':
      case 'creat': {
        const at = name === 'openat' || name === 'openat2';
        const path = this.pathArg(proc, at ? args[0] : undefined, args[at ? 1 : 0]);
        if (path === null) return;
        let flags = '';
        if (name === 'creat') flags = 'O_CREAT|O_WRONLY|O_TRUNC';
        else {
          const f = args[at ? 2 : 1];
          flags = name === 'openat2' ? symbolText(field(f, 'flags')) : symbolText(f);
        }
        this.openAccess(proc, path, flags, 0, result, ms);
        return;
      }
      // `newfstatat(AT_FDCWD</w>, "/.dockerenv", 0x7ffd, 0) = -1 ENOENT`, `access("/etc/shadow", R_OK) = -1 EACCES`
      case 'stat':
      case 'lstat':
      case 'access':
      case 'readlink': {
        const path = this.pathArg(proc, undefined, args[0]);
        if (path !== null) this.statAccess(proc, path, result, ms);
        return;
      }
      case 'newfstatat':
      case 'fstatat64':
      case 'statx':
      case 'faccessat':
      case 'faccessat2':
      case 'readlinkat': {
        const p = args[1];
        if (p?.kind === 'string' && p.value === '') return; // AT_EMPTY_PATH: an fstat of an open fd
        const path = this.pathArg(proc, args[0], p);
        if (path !== null) this.statAccess(proc, path, result, ms);
        return;
      }
      // `unlink("b.txt") = 0`, `unlinkat(3</tmp>, "x", AT_REMOVEDIR) = 0`, `rmdir("/tmp/d") = 0`
      case 'unlink':
      case 'rmdir': {
        const path = this.pathArg(proc, undefined, args[0]);
        if (path !== null) this.addFile(proc, path, 'delete', result, ms);
        return;
      }
      case 'unlinkat': {
        const path = this.pathArg(proc, args[0], args[1]);
        if (path !== null) this.addFile(proc, path, 'delete', result, ms);
        return;
      }
      // `rename("/w/a.txt", "/w/b.txt") = 0`, `renameat2(AT_FDCWD</w>, "a", AT_FDCWD</w>, "b", RENAME_NOREPLACE) = 0`
      case 'rename': {
        const from = this.pathArg(proc, undefined, args[0]);
        const to = this.pathArg(proc, undefined, args[1]);
        if (from !== null) this.addFile(proc, from, 'rename', result, ms, to ?? undefined);
        return;
      }
      case 'renameat':
      case 'renameat2': {
        const from = this.pathArg(proc, args[0], args[1]);
        const to = this.pathArg(proc, args[2], args[3]);
        if (from !== null) this.addFile(proc, from, 'rename', result, ms, to ?? undefined);
        return;
      }
      // `chmod("/w/b.txt", 0755) = 0`, `fchmod(3</w/x>, 0755) = 0`, `fchmodat(AT_FDCWD</w>, "x", 0700) = 0`
      case 'chmod': {
        const path = this.pathArg(proc, undefined, args[0]);
        if (path !== null) this.addFile(proc, path, 'chmod', result, ms, undefined, modeText(args[1]));
        return;
      }
      case 'fchmod': {
        const fd = args[0];
        if (fd?.kind !== 'fd') return;
        const info = parseFdDecoration(fd.decoration);
        if (info.type === 'path') this.addFile(proc, info.path, 'chmod', result, ms, undefined, modeText(args[1]));
        return;
      }
      case 'fchmodat': {
        const path = this.pathArg(proc, args[0], args[1]);
        if (path !== null) this.addFile(proc, path, 'chmod', result, ms, undefined, modeText(args[2]));
        return;
      }
      // `mkdir("/tmp/vetbox-work/sub", 0777) = 0`, `mkdirat(AT_FDCWD</w>, "d", 0755) = 0`
      case 'mkdir': {
        const path = this.pathArg(proc, undefined, args[0]);
        if (path !== null) this.addFile(proc, path, 'mkdir', result, ms);
        return;
      }
      case 'mkdirat': {
        const path = this.pathArg(proc, args[0], args[1]);
        if (path !== null) this.addFile(proc, path, 'mkdir', result, ms);
        return;
      }
      // `symlink("/etc/passwd", "/w/x") = 0`, `symlinkat("t", AT_FDCWD</w>, "l") = 0`, `linkat(...)`
      case 'symlink':
      case 'link': {
        const target = args[0]?.kind === 'string' ? args[0].value : undefined;
        const path = this.pathArg(proc, undefined, args[1]);
        if (path !== null) this.addFile(proc, path, 'create', result, ms, target);
        return;
      }
      case 'symlinkat': {
        const target = args[0]?.kind === 'string' ? args[0].value : undefined;
        const path = this.pathArg(proc, args[1], args[2]);
        if (path !== null) this.addFile(proc, path, 'create', result, ms, target);
        return;
      }
      case 'linkat': {
        const target = this.pathArg(proc, args[0], args[1]) ?? undefined;
        const path = this.pathArg(proc, args[2], args[3]);
        if (path !== null) this.addFile(proc, path, 'create', result, ms, target);
        return;
      }
      case 'truncate': {
        const path = this.pathArg(proc, undefined, args[0]);
        if (path !== null) this.addFile(proc, path, 'write', result, ms);
        return;
      }
      // `execve("/bin/sh", ["sh", "-c", "node install.js"], 0x7ffd /* 12 vars */) = 0`
      case 'execve':
      case 'execveat': {
        const at = name === 'execveat';
        const path = this.pathArg(proc, at ? args[0] : undefined, args[at ? 1 : 0]);
        if (path === null) return;
        if (result === 'ok') {
          const argvVal = args[at ? 2 : 1];
          proc.argv = argvVal?.kind === 'array' ? argvVal.items.map((v) => detach(valueText(v))) : [];
          if (argvVal?.kind === 'array' && argvVal.truncated) proc.argv.push('...');
          proc.exe = detach(path);
          const parent = proc.ppid !== null ? this.procs.get(proc.ppid) : undefined;
          proc.pm = this.isPm(proc.argv) || (parent?.pm === true && isPackageManagerHelper(proc.argv));
        }
        this.addFile(proc, path, 'exec', result, ms);
        return;
      }
      // `chdir("/tmp/vetbox-work/sub") = 0`, `fchdir(3</w/sub>) = 0`
      case 'chdir': {
        const path = this.pathArg(proc, undefined, args[0]);
        if (path !== null && result === 'ok') proc.cwd = detach(path);
        return;
      }
      case 'fchdir': {
        const fd = args[0];
        if (fd?.kind === 'fd' && result === 'ok') {
          const info = parseFdDecoration(fd.decoration);
          if (info.type === 'path') proc.cwd = detach(info.path);
        }
        return;
      }
    }
  }

  /**
   * Fast path for the shapes that make up most of a trace, read without building a value
   * tree: `openat(AT_FDCWD</w>, "/p", O_RDONLY|O_CLOEXEC)`, `open("/p", O_RDONLY)`,
   * `newfstatat(3</x>, "", {...}, AT_EMPTY_PATH)`, `statx(AT_FDCWD</w>, "p", ...)`,
   * `access("/p", R_OK)`. Anything unusual (escapes, truncation, odd dirfd) returns false and
   * takes the general path.
   */
  private fastFileCall(proc: Proc, ev: SyscallEvent, name: string, result: string, ms: number): boolean {
    let hasDirfd: boolean;
    let isOpen = false;
    switch (name) {
      case 'openat':
        hasDirfd = true;
        isOpen = true;
        break;
      case 'open':
        hasDirfd = false;
        isOpen = true;
        break;
      case 'newfstatat':
      case 'fstatat64':
      case 'statx':
      case 'faccessat':
      case 'faccessat2':
      case 'readlinkat':
        hasDirfd = true;
        break;
      case 'stat':
      case 'lstat':
      case 'access':
      case 'readlink':
        hasDirfd = false;
        break;
      default:
        return false;
    }
    const a = ev.args;
    let i = 0;
    let base: string | null = proc.cwd;
    if (hasDirfd) {
      let isCwd = false;
      if (a.startsWith('AT_FDCWD')) {
        i = 8;
        isCwd = true;
      } else {
        while (i < a.length && a.charCodeAt(i) >= 48 && a.charCodeAt(i) <= 57) i++;
        if (i === 0) return false;
      }
      if (a.charCodeAt(i) === 60 /* < */) {
        const end = a.indexOf('>, "', i);
        if (end < 0 || a.charCodeAt(i + 1) !== 47 /* / */) return false;
        const cwd = proc.cwd;
        if (isCwd && cwd !== null && end - i - 1 === cwd.length && a.startsWith(cwd, i + 1)) {
          base = cwd; // the usual case: no slice, no allocation
        } else {
          const dec = a.slice(i + 1, end);
          if (dec.indexOf('<') >= 0 || dec.indexOf('\\') >= 0) return false; // device suffix or escapes
          base = dec;
          if (isCwd) proc.cwd = detach(dec);
        }
        i = end + 1;
      } else if (!isCwd) {
        base = null;
      }
      if (!a.startsWith(', "', i)) return false;
      i += 3;
    } else {
      if (a.charCodeAt(0) !== 34) return false;
      i = 1;
    }
    const close = a.indexOf('"', i);
    if (close < 0) return false;
    const raw = a.slice(i, close);
    if (raw.indexOf('\\') >= 0 || a.startsWith('...', close + 1)) return false;
    if (raw === '' && hasDirfd) return true; // AT_EMPTY_PATH: an fstat of an open fd
    const path = resolvePath(base, raw);
    if (!isOpen) {
      this.statAccess(proc, path, result, ms);
      return true;
    }
    // Flags: the rest of the args (flags, then an octal mode) read in place, no slice.
    if (!a.startsWith(', ', close + 1)) return false;
    this.openAccess(proc, path, a, close + 3, result, ms);
    return true;
  }

  /** `flags` holds the open flags from index `from` on (only the mode may follow them). */
  private openAccess(proc: Proc, path: string, flags: string, from: number, result: string, ms: number): void {
    let op: FileOp = 'read';
    const creat = flags.indexOf('O_CREAT', from) >= 0;
    if (creat && (flags.indexOf('O_EXCL', from) >= 0 || this.opts.addedPaths?.has(path) || this.enoent.has(path))) op = 'create';
    else if (creat || flags.indexOf('O_WRONLY', from) >= 0 || flags.indexOf('O_RDWR', from) >= 0 || flags.indexOf('O_TRUNC', from) >= 0) op = 'write';
    if (result === 'ENOENT') this.rememberMissing(path);
    this.addFile(proc, path, op, result, ms);
  }

  /**
   * Absolute path of a (dirfd, path) pair. The `-yy` decoration of the dirfd is the truth
   * (`AT_FDCWD</home/u>` is the cwd at that moment, and refreshes what chdir tracking knew).
   */
  private pathArg(proc: Proc, dirfd: TraceValue | undefined, pathVal: TraceValue | undefined): string | null {
    if (pathVal === undefined || pathVal.kind !== 'string') return null;
    const p = pathVal.value;
    let base: string | null = proc.cwd;
    if (dirfd !== undefined && dirfd.kind === 'fd') {
      const info = parseFdDecoration(dirfd.decoration);
      if (info.type === 'path') {
        base = info.path;
        if (dirfd.fd === AT_FDCWD && proc.cwd !== info.path) proc.cwd = detach(info.path);
      } else if (dirfd.fd !== AT_FDCWD) base = null;
    } else if (dirfd !== undefined && dirfd.kind === 'number' && !p.startsWith('/')) {
      base = null; // a dirfd without decoration: unknown directory
    }
    return resolvePath(base, p);
  }

  private statAccess(proc: Proc, path: string, result: string, ms: number): void {
    if (result === 'ENOENT') this.rememberMissing(path);
    this.addFile(proc, path, 'stat', result, ms);
  }

  private rememberMissing(path: string): void {
    if (this.enoent.size < 50_000) this.enoent.add(detach(path));
  }

  private addFile(proc: Proc, path: string, op: FileOp, result: string, ms: number, target?: string, mode?: string): void {
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
      this.fold(category, path);
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
      this.fold('dropped-file-entries', path);
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

  private fold(category: string, example: string): void {
    let h = this.housekeeping.get(category);
    if (h === undefined) {
      h = { count: 0, examples: [] };
      this.housekeeping.set(category, h);
    }
    h.count++;
    if (h.examples.length < MAX_EXAMPLES && !h.examples.includes(example)) h.examples.push(detach(example));
  }

  // ---- network ---------------------------------------------------------------------------

  private netCall(proc: Proc, ev: SyscallEvent): void {
    const args = parseArgs(ev.args);
    const result = ev.errno ?? (ev.ret === null ? 'unknown' : ev.ret < 0 ? 'error' : 'ok');
    const ms = ev.time * 1000;
    const fdVal = args[0];
    const fdKey = fdVal !== undefined && (fdVal.kind === 'fd' || fdVal.kind === 'number') ? (fdVal.kind === 'fd' ? fdVal.fd : fdVal.value) : null;
    switch (ev.name) {
      // `socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 19<TCP:[55373]>`
      case 'socket': {
        if (ev.ret === null || ev.ret < 0) return;
        const domain = symbolText(args[0]);
        const type = symbolText(args[1]);
        const family = familyOf(domain);
        this.setSocket(proc.pid, ev.ret, { family, protocol: protocolOf(family, type) });
        return;
      }
      // `connect(19<TCP:[55376]>, {sa_family=AF_INET, sin_port=htons(4444), sin_addr=inet_addr("192.0.2.10")}, 16) = -1 ENETUNREACH`
      case 'connect': {
        const addr = parseSockaddr(args[1]);
        if (addr === null) return;
        const sock = this.socketFor(proc.pid, fdKey, fdVal, addr);
        if (addr.family === 'unspec') return; // disconnecting a UDP socket
        if (addr.family === 'netlink') return this.fold('netlink', 'connect');
        if (addr.family === 'unix' && /nscd\/socket$/.test(addr.address)) return this.fold('nscd', addr.address);
        sock.remote = { address: detach(addr.address), port: addr.port };
        const conn = this.addConnection(proc, 'connect', sock, addr, result, ms);
        if (conn !== null && (sock.protocol === 'tcp' || sock.protocol === 'udp') && conn.sourcePort === undefined) {
          if (sock.conn === undefined) this.awaitingPort++;
          sock.conn = conn;
        }
        return;
      }
      // `sendto(4<UDP:[55412]>, "\0224\1\0...", 30, 0, {sa_family=AF_INET, sin_port=htons(53), ...}, 16) = 30`
      case 'sendto': {
        const addr = parseSockaddr(args[4]);
        const sock = this.socketFor(proc.pid, fdKey, fdVal, addr);
        const dest = addr ?? remoteAddr(sock);
        if (dest === null) return;
        if (dest.port === 53) this.dnsFromPayload(proc, ev.args, 'first', ms, sock.protocol === 'tcp');
        if (addr !== null) this.addDatagram(proc, 'sendto', sock, fdVal, addr, result, ms);
        return;
      }
      // `sendmsg(18<UDP:[0.0.0.0:54372]>, {msg_name={sa_family=AF_INET, sin_port=htons(53), ...}, msg_iov=[{iov_base="...", iov_len=33}], ...}, 0) = 33`
      case 'sendmsg': {
        const addr = parseSockaddr(field(args[1], 'msg_name'));
        const sock = this.socketFor(proc.pid, fdKey, fdVal, addr);
        const dest = addr ?? remoteAddr(sock);
        if (dest === null) return;
        if (dest.port === 53) this.dnsFromPayload(proc, ev.args, 'iov', ms, sock.protocol === 'tcp');
        if (addr !== null) this.addDatagram(proc, 'sendmsg', sock, fdVal, addr, result, ms);
        return;
      }
      // `sendmmsg(3<UDP:[10.0.0.2:41000->10.0.0.1:53]>, [{msg_hdr={msg_name=NULL, ..., msg_iov=[{iov_base="...", ...}], ...}, msg_len=29}, ...], 2, MSG_NOSIGNAL) = 2`
      case 'sendmmsg': {
        const sock = this.socketFor(proc.pid, fdKey, fdVal, null);
        const dest = remoteAddr(sock);
        if (dest?.port === 53) this.dnsFromPayload(proc, ev.args, 'iov', ms, sock.protocol === 'tcp');
        return;
      }
      // `bind(18<UDP:[55372]>, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr("0.0.0.0")}, 16) = 0`
      case 'bind': {
        const addr = parseSockaddr(args[1]);
        if (addr === null) return;
        if (addr.family === 'netlink') return this.fold('netlink', 'bind');
        if ((addr.family === 'inet' || addr.family === 'inet6') && addr.port === 0) return this.fold('ephemeral-bind', `${addr.address}:0`);
        const sock = this.socketFor(proc.pid, fdKey, fdVal, addr);
        this.addConnection(proc, 'bind', sock, addr, result, ms);
        return;
      }
      // `listen(19<TCP:[127.0.0.1:37415]>, 511) = 0`
      case 'listen': {
        if (fdVal?.kind !== 'fd') return;
        const info = parseFdDecoration(fdVal.decoration);
        const sock = this.socketFor(proc.pid, fdKey, fdVal, null);
        const local = info.type === 'socket' ? info.local : undefined;
        const addr: SockAddr = { family: sock.family === 'inet6' ? 'inet6' : sock.family === 'unix' ? 'unix' : 'inet', address: local?.address ?? (info.type === 'socket' ? (info.path ?? '') : ''), port: local?.port ?? null };
        this.addConnection(proc, 'listen', sock, addr, result, ms);
        return;
      }
    }
  }

  /** What we know of the socket behind an fd: socket() record, else its `-yy` decoration, else the address. */
  private setSocket(pid: number, fd: number, info: SocketInfo): void {
    let m = this.sockets.get(pid);
    if (m === undefined) {
      m = new Map();
      this.sockets.set(pid, m);
    }
    m.set(fd, info);
  }

  private socketFor(pid: number, key: number | null, fdVal: TraceValue | undefined, addr: SockAddr | null): SocketInfo {
    const known = key !== null ? this.sockets.get(pid)?.get(key) : undefined;
    if (known !== undefined) return known;
    let protocol: Connection['protocol'] = 'other';
    let family: Connection['family'] = addr !== null ? familyFromAddr(addr) : 'other';
    if (fdVal?.kind === 'fd') {
      const info = parseFdDecoration(fdVal.decoration);
      if (info.type === 'socket') {
        const p = info.proto;
        if (p.startsWith('TCP')) protocol = 'tcp';
        else if (p.startsWith('UDP')) protocol = 'udp';
        else if (p.startsWith('UNIX')) protocol = 'unix';
        else if (p.startsWith('RAW')) protocol = 'raw';
        if (p.endsWith('v6')) family = 'inet6';
        else if (protocol === 'tcp' || protocol === 'udp') family = family === 'other' ? 'inet' : family;
        else if (protocol === 'unix') family = 'unix';
      }
    }
    if (protocol === 'other' && family === 'unix') protocol = 'unix';
    const info: SocketInfo = { protocol, family };
    if (key !== null) this.setSocket(pid, key, info);
    return info;
  }

  private addConnection(proc: Proc, syscall: string, sock: SocketInfo, addr: SockAddr, result: string, ms: number): Connection | null {
    if (this.connections.length >= this.maxConnections) {
      this.fold('dropped-connections', `${addr.address}:${addr.port ?? ''}`);
      return null;
    }
    const conn: Connection = {
      phase: this.phase,
      pid: proc.pid,
      protocol: sock.protocol === 'other' && addr.family === 'unix' ? 'unix' : sock.protocol,
      family: familyFromAddr(addr),
      syscall,
      address: detach(addr.address),
      port: addr.port,
      result: detach(result),
      tMs: ms,
    };
    this.connections.push(conn);
    return conn;
  }

  /** Datagrams repeat (retries, floods): one entry per (pid, syscall, destination, result). */
  private addDatagram(proc: Proc, syscall: string, sock: SocketInfo, fdVal: TraceValue | undefined, addr: SockAddr, result: string, ms: number): void {
    if (addr.family === 'netlink') return this.fold('netlink', syscall);
    const key = `${proc.pid}|${syscall}|${addr.address}|${addr.port}|${result}`;
    if (this.udpSeen.has(key)) return;
    const conn = this.addConnection(proc, syscall, sock, addr, result, ms);
    if (conn === null) return;
    this.udpSeen.set(detach(key), conn);
    if (sock.protocol !== 'udp' && sock.protocol !== 'tcp') return;
    // A bound socket's decoration already names the client port: `sendmsg(18<UDP:[0.0.0.0:54372]>, ...)`.
    const info = fdVal?.kind === 'fd' ? parseFdDecoration(fdVal.decoration) : null;
    if (info?.type === 'socket' && info.local !== undefined && info.local.port > 0) conn.sourcePort = info.local.port;
    else {
      if (sock.conn === undefined) this.awaitingPort++;
      sock.conn = conn;
    }
  }

  /** DNS question(s) in the payload the process sent to port 53 (the name even when offline). */
  private dnsFromPayload(proc: Proc, rawArgs: string, where: 'first' | 'iov', ms: number, tcp: boolean): void {
    const starts: number[] = [];
    if (where === 'first') {
      const q = rawArgs.indexOf('"');
      if (q >= 0) starts.push(q);
    } else {
      for (let i = rawArgs.indexOf('iov_base="'); i >= 0 && starts.length < 16; i = rawArgs.indexOf('iov_base="', i + 10)) starts.push(i + 9);
    }
    for (const s of starts) {
      const q = decodeDnsQuery(decodeQuotedBytes(rawArgs, s).bytes, tcp);
      if (q !== null && this.dns.length < MAX_DNS) this.dns.push({ phase: this.phase, name: detach(q.name), type: q.type, pid: proc.pid, tMs: ms });
    }
  }

  /**
   * Source port of a connected socket, from any later call's `-yy` decoration of the fd:
   * `write(18<TCP:[10.0.0.2:43518->198.51.100.9:4444]>, ...)`. It joins the connection to
   * the sinkhole's stream (the sinkhole sees the same client port).
   */
  private learnSourcePort(owner: number, ev: SyscallEvent): void {
    const a = ev.args;
    const lt = a.indexOf('<');
    if (lt <= 0 || lt > 10 || a.charCodeAt(lt + 1) === 47 /* / */) return;
    if (!a.startsWith('TCP', lt + 1) && !a.startsWith('UDP', lt + 1)) return;
    const end = a.indexOf(']>', lt);
    if (end < 0) return;
    const fd = Number(a.slice(0, lt));
    const sock = this.sockets.get(owner)?.get(fd);
    if (sock?.conn === undefined) return;
    const info = parseFdDecoration(a.slice(lt + 1, end + 1));
    // Connected sockets show `local->remote`; a bound UDP socket shows its local end only.
    if (info.type !== 'socket' || info.local === undefined || info.local.port === 0) return;
    sock.conn.sourcePort = info.local.port;
    sock.conn = undefined;
    this.awaitingPort--;
  }

  private closeFd(owner: number, args: string): void {
    const m = this.sockets.get(owner);
    if (m === undefined) return;
    let fd = 0;
    let i = 0;
    for (; i < args.length; i++) {
      const c = args.charCodeAt(i);
      if (c < 48 || c > 57) break;
      fd = fd * 10 + (c - 48);
    }
    if (i === 0) return;
    const sock = m.get(fd);
    if (sock === undefined) return;
    if (sock.conn !== undefined) this.awaitingPort--;
    m.delete(fd);
  }

  // ---- output ----------------------------------------------------------------------------

  /** Ends the phase: queued pids whose parent never said so become orphans of the root. */
  finish(): void {
    for (const pid of [...this.queued.keys()]) {
      const first = this.queued.get(pid)?.[0];
      if (first !== undefined) this.adoptOrphan(pid, first.time * 1000);
    }
  }

  processes(): ProcessEntry[] {
    const root = this.rootPid !== null ? this.procs.get(this.rootPid) : undefined;
    const rootEnd = root?.endMs ?? null;
    const out: ProcessEntry[] = [];
    for (const p of [...this.retired, ...this.procs.values()]) {
      const e: ProcessEntry = {
        pid: p.pid,
        ppid: p.ppid,
        phase: this.phase,
        argv: p.argv,
        cwd: p.cwd,
        startMs: p.startMs,
        endMs: p.endMs,
        exit: p.exit,
      };
      if (p.exe !== undefined) e.exe = p.exe;
      if (p !== root && rootEnd !== null && (p.endMs === null || p.endMs > rootEnd)) e.outlived = true;
      if (p.pm) e.housekeeping = true;
      out.push(e);
    }
    return out.sort((a, b) => a.startMs - b.startMs || a.pid - b.pid);
  }

  fileAccesses(): FileAccess[] {
    const out: FileAccess[] = [];
    for (const info of this.paths.values()) if (info.entries !== undefined) out.push(...info.entries);
    return out.sort((a, b) => (a.tMs ?? 0) - (b.tMs ?? 0));
  }

  housekeepingSummaries(): HousekeepingSummary[] {
    return [...this.housekeeping]
      .map(([category, h]) => ({ phase: this.phase, category, count: h.count, examples: h.examples }))
      .sort((a, b) => b.count - a.count);
  }

  syscallCounts(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort((a, b) => b[1] - a[1]));
  }
}

/**
 * A copy of `s` that does not keep its source alive. Strings sliced from a trace line point
 * into the whole 1 MiB read chunk; storing one would pin that chunk in memory.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

function newProc(pid: number, ppid: number | null, ms: number): Proc {
  return { pid, ppid, argv: [], cwd: null, startMs: ms, endMs: null, exit: null, pm: false };
}


function symbolText(v: TraceValue | undefined): string {
  if (v === undefined) return '';
  if (v.kind === 'symbol') return v.raw;
  if (v.kind === 'number') return v.raw;
  return '';
}

function modeText(v: TraceValue | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (v.kind === 'number') return v.raw.startsWith('0') ? v.raw : `0${v.value.toString(8)}`;
  if (v.kind === 'symbol') return v.raw;
  return undefined;
}

function valueText(v: TraceValue): string {
  if (v.kind === 'string') return v.truncated ? `${v.value}...` : v.value;
  if (v.kind === 'number') return v.raw;
  if (v.kind === 'symbol') return v.raw;
  return '';
}

function familyOf(domain: string): Connection['family'] {
  if (domain === 'AF_INET') return 'inet';
  if (domain === 'AF_INET6') return 'inet6';
  if (domain === 'AF_UNIX' || domain === 'AF_LOCAL') return 'unix';
  if (domain === 'AF_NETLINK') return 'netlink';
  if (domain === 'AF_PACKET') return 'packet';
  return 'other';
}

function familyFromAddr(a: SockAddr): Connection['family'] {
  if (a.family === 'unspec') return 'other';
  return a.family;
}

function protocolOf(family: Connection['family'], type: string): Connection['protocol'] {
  if (type.includes('SOCK_RAW') || family === 'packet') return 'raw';
  if (family === 'unix') return 'unix';
  if (family !== 'inet' && family !== 'inet6') return 'other';
  if (type.includes('SOCK_STREAM')) return 'tcp';
  if (type.includes('SOCK_DGRAM')) return 'udp';
  return 'other';
}

function remoteAddr(sock: SocketInfo): SockAddr | null {
  if (sock.remote === undefined) return null;
  return { family: sock.family === 'inet6' ? 'inet6' : 'inet', address: sock.remote.address, port: sock.remote.port };
}
