import type { FileEventOp, NetEvent, NetFamily, NetProtocol, TracedEvent } from '../events.js';
import { errnoName, signalName } from '../errno.js';
import { resolvePath } from '../paths.js';
import { FIELD, FIELD_FAULT, FIELD_TRUNCATED, KIND, SYSCALLS, argInt, fieldsOf, i64, readRecords, retOf, u64, type Field, type RecordStats, type VbtRecord } from './records.js';

export interface PhasedEvent {
  /** Index of the phase whose command started the event's process (the worker's marks). */
  phase: number;
  event: TracedEvent;
}

export interface PhaseCounters {
  /** Records the ring buffer had no room for. */
  lost: number;
  /** Calls counted but not recorded (floods past a budget). */
  suppressed: number;
  /** Records the session file had no room for. */
  dropped: number;
}

export interface EbpfSessionOptions {
  /** Working directory of each phase's command (the root processes' cwd), by phase index. */
  phaseCwd?: (phase: number) => string | null;
}

const AT_FDCWD = -100;
const AT_EMPTY_PATH = 0x1000;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_CREAT = 0x40;
const O_EXCL = 0x80;
const O_TRUNC = 0x200;
const O_CLOEXEC = 0x80000;
const F_DUPFD_CLOEXEC = 1030;

interface FdEntry {
  path: string;
  cloexec: boolean;
}

interface Proc {
  phase: number;
  cwd: string | null;
  fds: Map<number, FdEntry>;
  exited: boolean;
  /**
   * The harness's own processes running as the sandbox user, whose events are not the package's:
   * 'setup' was first seen before any mark (the workstation's user daemons, started while the
   * sandbox was prepared), for good; 'launcher' was first seen after a mark without a fork and has
   * not exec'd yet (the login session's "-bash" that starts the command), and so are its forks
   * until they exec: the first exec is the phase's command.
   */
  harness?: 'setup' | 'launcher';
}

/**
 * Turns an eBPF session (one container, every phase) into tracer-neutral events, each tagged
 * with its phase: a process belongs to the phase whose command started it, wherever its events
 * fall in time; a process first seen without a fork starts a phase's command (its first exec is
 * the command; until then it is the harness's launcher, not recorded), and the latest mark says
 * which phase. Processes seen before the first mark are the harness's and never recorded.
 *
 * User space does what the kernel side leaves out: the cwd of each process (inherited at fork,
 * changed by chdir), fd → path from open/dup/close (copied at fork, close-on-exec honoured), paths
 * resolved against them, wait statuses and errnos named. Pids are already the sandbox's (the
 * kernel side reads them from the task's pid namespace).
 */
export class EbpfSession {
  readonly stats: RecordStats = { records: 0, bytes: 0, malformed: 0 };
  /** The loader's cumulative counters at each mark, with the phase current before it. */
  private readonly marks: Array<{ phase: number; lost: number; suppressed: number; dropped: number }> = [];
  private readonly procs = new Map<number, Proc>();
  private phase = 0;
  private offsetNs = 0;
  private out: PhasedEvent[] = [];

  constructor(private readonly opts: EbpfSessionOptions = {}) {}

  /** Reads a session file, streaming, in batches of phased events. */
  async *read(path: string): AsyncGenerator<PhasedEvent[]> {
    for await (const batch of readRecords(path, this.stats)) {
      this.out = [];
      for (const r of batch) this.record(r);
      if (this.out.length > 0) yield this.out;
    }
  }

  /**
   * What the tracer lost while each phase was current: the loader's counters are cumulative
   * and come with every mark, so each difference belongs to the phase current before the mark.
   */
  phaseCounters(phases: number): PhaseCounters[] {
    const out: PhaseCounters[] = Array.from({ length: phases }, () => ({ lost: 0, suppressed: 0, dropped: 0 }));
    let prev = { lost: 0, suppressed: 0, dropped: 0 };
    for (const m of this.marks) {
      const target = out[Math.min(phases - 1, m.phase)];
      if (target !== undefined) {
        target.lost += m.lost - prev.lost;
        target.suppressed += m.suppressed - prev.suppressed;
        target.dropped += m.dropped - prev.dropped;
      }
      prev = m;
    }
    return out;
  }

  private ms(ts: number): number {
    return (ts + this.offsetNs) / 1e6;
  }

  private emit(proc: Proc, event: TracedEvent): void {
    if (proc.harness !== undefined) return;
    this.out.push({ phase: proc.phase, event });
  }

  private procOf(pid: number, tMs: number): Proc {
    let p = this.procs.get(pid);
    if (p === undefined) {
      // First seen without a fork: what starts the current phase's command, in its directory.
      const harness = this.marks.length === 0 ? 'setup' : 'launcher';
      p = { phase: this.phase, cwd: this.opts.phaseCwd?.(this.phase) ?? null, fds: new Map(), exited: false, harness };
      this.procs.set(pid, p);
    }
    return p;
  }

  private record(r: VbtRecord): void {
    switch (r.kind) {
      case KIND.hello:
        this.offsetNs = i64(r.buf, r.at + 48);
        return;
      case KIND.mark:
      case KIND.end: {
        const o = r.at + 40;
        this.offsetNs = i64(r.buf, o + 8);
        // A checkpoint: counters so far (they belong to the phase current until now), then the
        // phase that processes first seen from here on belong to.
        this.marks.push({ phase: this.phase, lost: u64(r.buf, o + 24), suppressed: u64(r.buf, o + 32), dropped: u64(r.buf, o + 40) });
        if (r.kind === KIND.mark) this.phase = r.buf.readUInt32LE(o);
        return;
      }
      case KIND.fork:
        return this.fork(r);
      case KIND.exec:
        return this.exec(r);
      case KIND.exit:
        return this.exit(r);
      case KIND.flood:
        return this.flood(r);
      case KIND.syscall:
        return this.syscall(r);
    }
  }

  private fork(r: VbtRecord): void {
    const o = r.at + 40;
    const child = r.buf.readUInt32LE(o);
    const thread = r.buf.readUInt32LE(o + 16) === 1;
    const tMs = this.ms(r.ts);
    const parent = this.procOf(r.pid, tMs);
    if (thread) {
      this.emit(parent, { kind: 'call', pid: r.pid, tMs, syscall: 'clone' });
      return;
    }
    // A pid reused after an exit starts afresh.
    this.procs.set(child, { phase: parent.phase, cwd: parent.cwd, fds: new Map(parent.fds), exited: false, ...(parent.harness !== undefined ? { harness: parent.harness } : {}) });
    this.emit(parent, { kind: 'spawn', pid: r.pid, tMs, child, syscall: 'clone' });
  }

  private exec(r: VbtRecord): void {
    const tMs = this.ms(r.ts);
    const proc = this.procOf(r.pid, tMs);
    if (proc.harness === 'launcher') {
      // The launcher's first exec: from here on this process is the phase's command.
      delete proc.harness;
      if (proc.cwd !== null) this.emit(proc, { kind: 'cwd', pid: r.pid, tMs, path: proc.cwd });
    }
    const stdioSocket = r.buf.readUInt32LE(r.at + 44) === 1;
    let path = '';
    let argv: string[] = [];
    let truncated = false;
    for (const f of fieldsOf(r)) {
      if (f.type === FIELD.filename) path = f.bytes.toString('utf8');
      else if (f.type === FIELD.argv) {
        argv = splitArgv(f.bytes);
        truncated = (f.flags & FIELD_TRUNCATED) !== 0;
      }
    }
    if (truncated) argv.push('...');
    for (const [fd, e] of proc.fds) if (e.cloexec) proc.fds.delete(fd);
    const ev: TracedEvent = { kind: 'exec', pid: r.pid, tMs: this.ms(r.ts), syscall: 'execve', path: resolvePath(proc.cwd, path), result: 'ok', argv };
    if (truncated) ev.argvTruncated = true;
    if (stdioSocket) ev.stdioSocket = true;
    this.emit(proc, ev);
  }

  private exit(r: VbtRecord): void {
    const proc = this.procOf(r.pid, this.ms(r.ts));
    const status = r.buf.readUInt32LE(r.at + 40);
    const sig = status & 0x7f;
    proc.exited = true;
    this.emit(proc, {
      kind: 'exit',
      pid: r.pid,
      tMs: this.ms(r.ts),
      code: sig === 0 ? (status >> 8) & 0xff : null,
      signal: sig === 0 ? null : signalName(sig),
      ...((status & 0x80) !== 0 ? { coreDumped: true } : {}),
    });
  }

  private flood(r: VbtRecord): void {
    const o = r.at + 40;
    this.emit(this.procOf(r.pid, this.ms(r.ts)), {
      kind: 'flood',
      pid: r.pid,
      tMs: this.ms(r.ts),
      syscall: SYSCALLS[r.sys]?.name || `sys${r.sys}`,
      recorded: u64(r.buf, o),
      suppressed: u64(r.buf, o + 8),
    });
  }

  private syscall(r: VbtRecord): void {
    const spec = SYSCALLS[r.sys];
    if (spec === undefined || spec.name === '') return;
    const tMs = this.ms(r.ts);
    const proc = this.procOf(r.pid, tMs);
    const syscall = spec.name;
    const ret = retOf(r);
    const result = ret < 0 ? errnoName(-ret) : 'ok';
    const pid = r.pid;
    const fields = fieldsOf(r);
    const str = (arg: number): string | null => {
      const f = fields.find((x) => x.type === FIELD.str && x.arg === arg);
      return f === undefined || (f.flags & FIELD_FAULT) !== 0 ? null : f.bytes.toString('utf8');
    };
    // (dirfd, path) → absolute path; null when the path could not be read.
    const at = (dirArg: number | null, pathArg: number): string | null => {
      const p = str(pathArg);
      if (p === null) return null;
      return resolvePath(this.dirOf(proc, dirArg === null ? AT_FDCWD : argInt(r, dirArg)), p);
    };
    const file = (op: FileEventOp, path: string | null, extra?: { target?: string; mode?: string }): void => {
      if (path === null) return this.emit(proc, { kind: 'call', pid, tMs, syscall });
      this.emit(proc, { kind: 'file', pid, tMs, syscall, op, path, result, ...extra });
    };
    const mode = (arg: number): string => `0${(argInt(r, arg) & 0o7777).toString(8)}`;

    switch (syscall) {
      case 'open':
      case 'openat':
      case 'openat2':
      case 'creat': {
        const path = syscall === 'open' || syscall === 'creat' ? at(null, 0) : at(0, 1);
        let flags = syscall === 'creat' ? O_CREAT | O_WRONLY | O_TRUNC : syscall === 'open' ? argInt(r, 1) : syscall === 'openat' ? argInt(r, 2) : 0;
        if (syscall === 'openat2') {
          const how = fields.find((f) => f.type === FIELD.u64);
          flags = how !== undefined && how.bytes.length >= 4 ? how.bytes.readUInt32LE(0) : 0;
        }
        if (path !== null && ret >= 0) proc.fds.set(ret, { path, cloexec: (flags & O_CLOEXEC) !== 0 });
        if (path === null) return this.emit(proc, { kind: 'call', pid, tMs, syscall });
        const write = (flags & 3) === O_WRONLY || (flags & 3) === O_RDWR || (flags & O_TRUNC) !== 0;
        this.emit(proc, { kind: 'file', pid, tMs, syscall, op: 'open', path, result, flags: { creat: (flags & O_CREAT) !== 0, excl: (flags & O_EXCL) !== 0, write } });
        return;
      }
      case 'stat':
      case 'lstat':
      case 'access':
      case 'readlink':
        return file('stat', at(null, 0));
      case 'newfstatat':
      case 'statx':
      case 'faccessat':
      case 'faccessat2':
      case 'readlinkat': {
        const p = str(1);
        const flagArg = syscall === 'newfstatat' ? 3 : syscall === 'statx' ? 2 : syscall === 'faccessat2' ? 3 : -1;
        if (p === '' && (flagArg < 0 || (argInt(r, flagArg) & AT_EMPTY_PATH) !== 0)) return this.emit(proc, { kind: 'call', pid, tMs, syscall });
        return file('stat', at(0, 1));
      }
      case 'unlink':
      case 'rmdir':
        return file('delete', at(null, 0));
      case 'unlinkat':
        return file('delete', at(0, 1));
      case 'rename':
        return file('rename', at(null, 0), optional({ target: at(null, 1) }));
      case 'renameat':
      case 'renameat2':
        return file('rename', at(0, 1), optional({ target: at(2, 3) }));
      case 'chmod':
        return file('chmod', at(null, 0), { mode: mode(1) });
      case 'fchmod':
        return file('chmod', proc.fds.get(argInt(r, 0))?.path ?? null, { mode: mode(1) });
      case 'fchmodat':
      case 'fchmodat2':
        return file('chmod', at(0, 1), { mode: mode(2) });
      case 'mkdir':
        return file('mkdir', at(null, 0));
      case 'mkdirat':
        return file('mkdir', at(0, 1));
      case 'link':
        return file('link', at(null, 1), optional({ target: at(null, 0) }));
      case 'linkat':
        return file('link', at(2, 3), optional({ target: at(0, 1) }));
      case 'symlink':
        return file('link', at(null, 1), optional({ target: str(0) }));
      case 'symlinkat':
        return file('link', at(1, 2), optional({ target: str(0) }));
      case 'truncate':
        return file('write', at(null, 0));
      case 'chdir':
      case 'fchdir': {
        const path = syscall === 'chdir' ? at(null, 0) : (proc.fds.get(argInt(r, 0))?.path ?? null);
        this.emit(proc, { kind: 'call', pid, tMs, syscall });
        if (path !== null && ret === 0 && path !== proc.cwd) {
          proc.cwd = path;
          this.emit(proc, { kind: 'cwd', pid, tMs, path });
        }
        return;
      }
      case 'execve':
      case 'execveat': {
        // Only failures come as syscall records (a success is an exec record).
        const path = syscall === 'execve' ? at(null, 0) : at(0, 1);
        if (path === null) return this.emit(proc, { kind: 'call', pid, tMs, syscall });
        return this.emit(proc, { kind: 'exec', pid, tMs, syscall, path, result });
      }
      case 'dup':
      case 'dup2':
      case 'dup3':
      case 'fcntl': {
        const from = proc.fds.get(argInt(r, 0));
        if (ret >= 0) {
          const to = syscall === 'dup' || syscall === 'fcntl' ? ret : argInt(r, 1);
          const cloexec = syscall === 'dup3' ? (argInt(r, 2) & O_CLOEXEC) !== 0 : syscall === 'fcntl' && argInt(r, 1) === F_DUPFD_CLOEXEC;
          if (from !== undefined) proc.fds.set(to, { path: from.path, cloexec });
          else proc.fds.delete(to);
        }
        return this.emit(proc, { kind: 'call', pid, tMs, syscall });
      }
      case 'close':
        proc.fds.delete(argInt(r, 0));
        return this.emit(proc, { kind: 'call', pid, tMs, syscall });
      case 'close_range': {
        const first = argInt(r, 0) >>> 0;
        const last = argInt(r, 1) >>> 0;
        if (ret === 0 && (argInt(r, 2) & 4 /* CLOSE_RANGE_CLOEXEC */) === 0) for (const fd of [...proc.fds.keys()]) if (fd >= first && fd <= last) proc.fds.delete(fd);
        return this.emit(proc, { kind: 'call', pid, tMs, syscall });
      }
      case 'connect':
      case 'bind':
      case 'listen':
      case 'sendto':
      case 'sendmsg':
      case 'sendmmsg':
        return this.net(proc, r, syscall, result, tMs, fields);
      default:
        return this.emit(proc, { kind: 'call', pid, tMs, syscall });
    }
  }

  /** The directory a dirfd names: the cwd for AT_FDCWD, else what the fd was opened as. */
  private dirOf(proc: Proc, dirfd: number): string | null {
    if (dirfd === AT_FDCWD) return proc.cwd;
    return proc.fds.get(dirfd)?.path ?? null;
  }

  private net(proc: Proc, r: VbtRecord, syscall: NetEvent['syscall'], result: string, tMs: number, fields: Field[]): void {
    const sockField = fields.find((f) => f.type === FIELD.sock);
    const sock = sockField !== undefined ? readSock(sockField.bytes) : null;
    const addrField = fields.find((f) => f.type === FIELD.sockaddr);
    const addr = addrField !== undefined ? readSockaddr(addrField.bytes) : null;
    let family: NetFamily = addr?.family ?? sock?.family ?? 'other';
    let address: string | null = addr?.address ?? null;
    let port: number | null = addr?.port ?? null;
    if (syscall === 'listen' && sock !== null) {
      address = sock.local;
      port = sock.lport;
    } else if (addr === null && sock !== null && sock.rport > 0 && (syscall === 'sendto' || syscall === 'sendmsg' || syscall === 'sendmmsg')) {
      address = sock.remote; // a send on a connected socket goes to its peer
      port = sock.rport;
      family = sock.family;
    }
    if (addr === null && syscall !== 'listen' && address === null) return this.emit(proc, { kind: 'call', pid: r.pid, tMs, syscall });
    const protocol: NetProtocol = sock?.protocol ?? (family === 'unix' ? 'unix' : 'other');
    const ev: NetEvent = { kind: 'net', pid: r.pid, tMs, syscall, fd: argInt(r, 0), protocol, family, address: address ?? '', port, explicit: addr !== null || syscall === 'listen', result };
    if (sock !== null && sock.lport > 0 && (protocol === 'tcp' || protocol === 'udp')) ev.sourcePort = sock.lport;
    const payloads = fields.filter((f) => f.type === FIELD.data).map((f) => new Uint8Array(f.bytes));
    if (payloads.length > 0) ev.payloads = payloads;
    this.emit(proc, ev);
  }
}

function optional<T extends Record<string, string | null>>(o: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null)) as { [K in keyof T]?: string };
}

function splitArgv(b: Buffer): string[] {
  const s = b.toString('utf8');
  const parts = s.split('\0');
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

const FAMILIES: Record<number, NetFamily> = { 0: 'unspec', 1: 'unix', 2: 'inet', 10: 'inet6', 16: 'netlink', 17: 'packet' };

/** `struct sockaddr` bytes as the caller passed them. */
export function readSockaddr(b: Buffer): { family: NetFamily; address: string; port: number | null } | null {
  if (b.length < 2) return null;
  const family = FAMILIES[b.readUInt16LE(0)] ?? 'other';
  if (family === 'inet' && b.length >= 8) return { family, address: `${b[4]}.${b[5]}.${b[6]}.${b[7]}`, port: b.readUInt16BE(2) };
  if (family === 'inet6' && b.length >= 24) return { family, address: ipv6(b.subarray(8, 24)), port: b.readUInt16BE(2) };
  if (family === 'unix') {
    const p = b.subarray(2);
    if (p.length === 0) return { family, address: '', port: null };
    // An abstract socket starts with NUL; strace shows it as @name.
    if (p[0] === 0) return { family, address: `@${p.subarray(1).toString('utf8').replace(/\0+$/, '')}`, port: null };
    const nul = p.indexOf(0);
    return { family, address: p.subarray(0, nul < 0 ? p.length : nul).toString('utf8'), port: null };
  }
  if (family === 'other') return { family, address: `AF_${b.readUInt16LE(0)}`, port: null };
  return { family, address: '', port: null };
}

interface SockInfo {
  family: NetFamily;
  protocol: NetProtocol;
  lport: number;
  rport: number;
  remote: string;
  local: string;
}

/** struct vbt_sock. */
function readSock(b: Buffer): SockInfo | null {
  if (b.length < 44) return null;
  const family = FAMILIES[b.readUInt16LE(0)] ?? 'other';
  const type = b.readUInt16LE(2);
  const addr = (o: number): string => (family === 'inet6' ? ipv6(b.subarray(o, o + 16)) : `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`);
  let protocol: NetProtocol = 'other';
  if (family === 'unix') protocol = 'unix';
  else if (type === 3 || family === 'packet') protocol = 'raw';
  else if (family === 'inet' || family === 'inet6') protocol = type === 1 ? 'tcp' : type === 2 ? 'udp' : 'other';
  return { family, protocol, lport: b.readUInt16LE(6), rport: b.readUInt16LE(8), remote: addr(12), local: addr(28) };
}

/** RFC 5952 text of 16 address bytes (IPv4-mapped shown dotted, as strace does). */
export function ipv6(b: Buffer): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(b.readUInt16BE(i));
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
