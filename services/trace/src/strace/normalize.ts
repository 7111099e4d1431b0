import type { FileEventOp, NetEvent, NetFamily, NetProtocol, OpenFlags, TracedEvent } from '../events.js';
import { resolvePath } from '../paths.js';
import type { SyscallEvent, TraceEvent } from '../types.js';
import {
  AT_FDCWD,
  decodeQuotedBytes,
  field,
  parseArgs,
  parseFdDecoration,
  parseSockaddr,
  type SockAddr,
  type TraceValue,
} from '../values.js';

/**
 * Turns strace events (one phase's trace) into tracer-neutral events: threads folded into their
 * process, a child's events held until its parent's clone returns (strace often prints the child
 * first), paths resolved against the cwd and the `-yy` decorations (which are the truth: strace
 * read them from /proc), sockets described from socket() and decorations, source ports learnt
 * from later decorations.
 *
 * Memory: one entry per live process and socket, plus the held events (capped).
 */
export class StraceNormalizer {
  private readonly procs = new Map<number, ProcState>();
  /** Thread id → its process. */
  private readonly threadOf = new Map<number, number>();
  private readonly queued = new Map<number, TraceEvent[]>();
  private queuedCount = 0;
  private rootSeen = false;
  /** Sockets awaiting their source port; the hot path looks at decorations only when > 0. */
  private awaitingPort = 0;
  private out: TracedEvent[] = [];

  /** Events `ev` yields, in order (the array is reused: consume it before the next call). */
  push(ev: TraceEvent): TracedEvent[] {
    this.out = [];
    this.dispatch(ev);
    return this.out;
  }

  /** End of the trace: held events of pids nobody spawned come out as orphans'. */
  finish(): TracedEvent[] {
    this.out = [];
    for (const pid of [...this.queued.keys()]) this.adoptOrphan(pid);
    return this.out;
  }

  private dispatch(ev: TraceEvent): void {
    const pid = ev.pid;
    if (!this.rootSeen) {
      this.rootSeen = true;
      this.procs.set(pid, newProc(null));
    } else if (!this.procs.has(pid) && !this.threadOf.has(pid)) {
      this.enqueue(ev);
      return;
    }
    const owner = this.threadOf.get(pid) ?? pid;
    const proc = this.procs.get(owner)!;
    const tMs = ev.time * 1000;
    if (ev.type === 'exit') {
      if (owner === pid) {
        this.out.push({ kind: 'exit', pid, tMs, code: ev.code, signal: ev.signal, ...(ev.coreDumped ? { coreDumped: true } : {}) });
        proc.exited = true;
      }
      return;
    }
    if (ev.type === 'signal') return;
    const name = ev.name;
    if (this.awaitingPort > 0) this.learnSourcePort(owner, proc, ev, tMs);
    if (FILE_CALLS.has(name)) this.fileCall(owner, proc, ev, tMs);
    else if (NET_CALLS.has(name)) this.netCall(owner, proc, ev, tMs);
    else if (PROC_CALLS.has(name)) this.spawnCall(owner, proc, ev, tMs);
    else {
      if (name === 'close' && proc.sockets !== undefined) this.closeFd(proc, ev.args);
      this.out.push({ kind: 'call', pid: owner, tMs, syscall: name });
    }
  }

  // ---- processes -------------------------------------------------------------------------

  private enqueue(ev: TraceEvent): void {
    if (this.queuedCount >= MAX_QUEUED_EVENTS) {
      // A parent that never returns from clone: adopt the pid as an orphan rather than buffer.
      this.adoptOrphan(ev.pid);
      this.dispatch(ev);
      return;
    }
    const list = this.queued.get(ev.pid);
    if (list === undefined) this.queued.set(ev.pid, [ev]);
    else list.push(ev);
    this.queuedCount++;
  }

  private adoptOrphan(pid: number): void {
    if (!this.procs.has(pid) && !this.threadOf.has(pid)) this.procs.set(pid, newProc(null));
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
  private spawnCall(owner: number, parent: ProcState, ev: SyscallEvent, tMs: number): void {
    const child = ev.ret;
    const old = child !== null ? this.procs.get(child) : undefined;
    if (child !== null && old !== undefined && old.exited && !this.queued.has(child)) this.procs.delete(child); // pid reused
    if (child === null || child <= 0 || this.procs.has(child) || this.threadOf.has(child)) return this.call(owner, tMs, ev.name);
    if (ev.name.startsWith('clone') && ev.args.includes('CLONE_THREAD')) {
      this.threadOf.set(child, owner);
      this.call(owner, tMs, ev.name);
    } else {
      this.procs.set(child, newProc(parent.cwd));
      this.out.push({ kind: 'spawn', pid: owner, tMs, child, syscall: ev.name });
    }
    this.flushQueued(child);
  }

  private setCwd(pid: number, proc: ProcState, path: string, tMs: number): void {
    if (proc.cwd === path) return;
    proc.cwd = detach(path);
    this.out.push({ kind: 'cwd', pid, tMs, path: proc.cwd });
  }

  // ---- files -----------------------------------------------------------------------------

  private file(pid: number, tMs: number, syscall: string, op: FileEventOp, path: string, result: string, extra?: { target?: string; mode?: string; flags?: OpenFlags }): void {
    this.out.push({ kind: 'file', pid, tMs, syscall, op, path: detach(path), result, ...extra });
  }

  private fileCall(pid: number, proc: ProcState, ev: SyscallEvent, tMs: number): void {
    const result = resultOf(ev, 'ok');
    const name = ev.name;
    if (this.fastFileCall(pid, proc, ev, name, result, tMs)) return;
    const args = parseArgs(ev.args);
    switch (name) {
      // `openat(AT_FDCWD</home/u>, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3</etc/passwd>`
      case 'open':
      case 'openat':
      case 'openat2':
      case 'creat': {
        const at = name === 'openat' || name === 'openat2';
        const path = this.pathArg(pid, proc, tMs, at ? args[0] : undefined, args[at ? 1 : 0]);
        if (path === null) return this.call(pid, tMs, name);
        let flags: string;
        if (name === 'creat') flags = 'O_CREAT|O_WRONLY|O_TRUNC';
        else {
          const f = args[at ? 2 : 1];
          flags = name === 'openat2' ? symbolText(field(f, 'flags')) : symbolText(f);
        }
        this.file(pid, tMs, name, 'open', path, result, { flags: openFlags(flags, 0) });
        return;
      }
      // `newfstatat(AT_FDCWD</w>, "/.dockerenv", 0x7ffd, 0) = -1 ENOENT`, `access("/etc/shadow", R_OK) = -1 EACCES`
      case 'stat':
      case 'lstat':
      case 'access':
      case 'readlink':
        return this.pathOp(pid, proc, tMs, name, 'stat', result, undefined, args[0]);
      case 'newfstatat':
      case 'fstatat64':
      case 'statx':
      case 'faccessat':
      case 'faccessat2':
      case 'readlinkat': {
        const p = args[1];
        if (p?.kind === 'string' && p.value === '') return this.call(pid, tMs, name); // AT_EMPTY_PATH: an fstat of an open fd
        return this.pathOp(pid, proc, tMs, name, 'stat', result, args[0], p);
      }
      // `unlink("b.txt") = 0`, `unlinkat(3</tmp>, "x", AT_REMOVEDIR) = 0`, `rmdir("/tmp/d") = 0`
      case 'unlink':
      case 'rmdir':
        return this.pathOp(pid, proc, tMs, name, 'delete', result, undefined, args[0]);
      case 'unlinkat':
        return this.pathOp(pid, proc, tMs, name, 'delete', result, args[0], args[1]);
      // `rename("/w/a.txt", "/w/b.txt") = 0`, `renameat2(AT_FDCWD</w>, "a", AT_FDCWD</w>, "b", RENAME_NOREPLACE) = 0`
      case 'rename': {
        const to = this.pathArg(pid, proc, tMs, undefined, args[1]);
        return this.pathOp(pid, proc, tMs, name, 'rename', result, undefined, args[0], { target: to ?? undefined });
      }
      case 'renameat':
      case 'renameat2': {
        const to = this.pathArg(pid, proc, tMs, args[2], args[3]);
        return this.pathOp(pid, proc, tMs, name, 'rename', result, args[0], args[1], { target: to ?? undefined });
      }
      // `chmod("/w/b.txt", 0755) = 0`, `fchmod(3</w/x>, 0755) = 0`, `fchmodat(AT_FDCWD</w>, "x", 0700) = 0`
      case 'chmod':
        return this.pathOp(pid, proc, tMs, name, 'chmod', result, undefined, args[0], { mode: modeText(args[1]) });
      case 'fchmod': {
        const fd = args[0];
        const info = fd?.kind === 'fd' ? parseFdDecoration(fd.decoration) : null;
        if (info?.type === 'path') this.file(pid, tMs, name, 'chmod', info.path, result, { mode: modeText(args[1]) });
        else this.call(pid, tMs, name);
        return;
      }
      case 'fchmodat':
      case 'fchmodat2':
        return this.pathOp(pid, proc, tMs, name, 'chmod', result, args[0], args[1], { mode: modeText(args[2]) });
      // `mkdir("/tmp/vetbox-work/sub", 0777) = 0`, `mkdirat(AT_FDCWD</w>, "d", 0755) = 0`
      case 'mkdir':
        return this.pathOp(pid, proc, tMs, name, 'mkdir', result, undefined, args[0]);
      case 'mkdirat':
        return this.pathOp(pid, proc, tMs, name, 'mkdir', result, args[0], args[1]);
      // `symlink("/etc/passwd", "/w/x") = 0`, `symlinkat("t", AT_FDCWD</w>, "l") = 0`, `linkat(...)`
      case 'symlink':
      case 'link':
        return this.pathOp(pid, proc, tMs, name, 'link', result, undefined, args[1], { target: stringValue(args[0]) });
      case 'symlinkat':
        return this.pathOp(pid, proc, tMs, name, 'link', result, args[1], args[2], { target: stringValue(args[0]) });
      case 'linkat': {
        const target = this.pathArg(pid, proc, tMs, args[0], args[1]) ?? undefined;
        return this.pathOp(pid, proc, tMs, name, 'link', result, args[2], args[3], { target });
      }
      case 'truncate':
        return this.pathOp(pid, proc, tMs, name, 'write', result, undefined, args[0]);
      // `execve("/bin/sh", ["sh", "-c", "node install.js"], 0x7ffd /* 12 vars */) = 0`
      case 'execve':
      case 'execveat': {
        const at = name === 'execveat';
        const path = this.pathArg(pid, proc, tMs, at ? args[0] : undefined, args[at ? 1 : 0]);
        if (path === null) return this.call(pid, tMs, name);
        const exec: TracedEvent = { kind: 'exec', pid, tMs, syscall: name, path: detach(path), result };
        if (result === 'ok') {
          const argvVal = args[at ? 2 : 1];
          exec.argv = argvVal?.kind === 'array' ? argvVal.items.map((v) => detach(valueText(v))) : [];
          if (argvVal?.kind === 'array' && argvVal.truncated) {
            exec.argv.push('...');
            exec.argvTruncated = true;
          }
        }
        this.out.push(exec);
        return;
      }
      // `chdir("/tmp/vetbox-work/sub") = 0`, `fchdir(3</w/sub>) = 0`
      case 'chdir': {
        const path = this.pathArg(pid, proc, tMs, undefined, args[0]);
        this.call(pid, tMs, name);
        if (path !== null && result === 'ok') this.setCwd(pid, proc, path, tMs);
        return;
      }
      case 'fchdir': {
        const fd = args[0];
        this.call(pid, tMs, name);
        if (fd?.kind === 'fd' && result === 'ok') {
          const info = parseFdDecoration(fd.decoration);
          if (info.type === 'path') this.setCwd(pid, proc, info.path, tMs);
        }
        return;
      }
      default:
        this.call(pid, tMs, name);
    }
  }

  private call(pid: number, tMs: number, syscall: string): void {
    this.out.push({ kind: 'call', pid, tMs, syscall });
  }

  private pathOp(
    pid: number, proc: ProcState, tMs: number, syscall: string, op: FileEventOp, result: string,
    dirfd: TraceValue | undefined, pathVal: TraceValue | undefined, extra?: { target?: string; mode?: string },
  ): void {
    const path = this.pathArg(pid, proc, tMs, dirfd, pathVal);
    if (path === null) return this.call(pid, tMs, syscall);
    const clean = extra === undefined ? undefined : Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined));
    this.file(pid, tMs, syscall, op, path, result, clean);
  }

  /**
   * Fast path for the shapes that make up most of a trace, read without building a value
   * tree: `openat(AT_FDCWD</w>, "/p", O_RDONLY|O_CLOEXEC)`, `open("/p", O_RDONLY)`,
   * `newfstatat(3</x>, "", {...}, AT_EMPTY_PATH)`, `statx(AT_FDCWD</w>, "p", ...)`,
   * `access("/p", R_OK)`. Anything unusual (escapes, truncation, odd dirfd) returns false and
   * takes the general path.
   */
  private fastFileCall(pid: number, proc: ProcState, ev: SyscallEvent, name: string, result: string, tMs: number): boolean {
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
          if (isCwd) this.setCwd(pid, proc, dec, tMs);
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
    if (raw === '' && hasDirfd) {
      this.call(pid, tMs, name); // AT_EMPTY_PATH: an fstat of an open fd
      return true;
    }
    const path = resolvePath(base, raw);
    if (!isOpen) {
      this.file(pid, tMs, name, 'stat', path, result);
      return true;
    }
    // Flags: the rest of the args (flags, then an octal mode) read in place, no slice.
    if (!a.startsWith(', ', close + 1)) return false;
    this.file(pid, tMs, name, 'open', path, result, { flags: openFlags(a, close + 3) });
    return true;
  }

  /**
   * Absolute path of a (dirfd, path) pair. The `-yy` decoration of the dirfd is the truth
   * (`AT_FDCWD</home/u>` is the cwd at that moment, and refreshes what chdir tracking knew).
   */
  private pathArg(pid: number, proc: ProcState, tMs: number, dirfd: TraceValue | undefined, pathVal: TraceValue | undefined): string | null {
    if (pathVal === undefined || pathVal.kind !== 'string') return null;
    const p = pathVal.value;
    let base: string | null = proc.cwd;
    if (dirfd !== undefined && dirfd.kind === 'fd') {
      const info = parseFdDecoration(dirfd.decoration);
      if (info.type === 'path') {
        base = info.path;
        if (dirfd.fd === AT_FDCWD) this.setCwd(pid, proc, info.path, tMs);
      } else if (dirfd.fd !== AT_FDCWD) base = null;
    } else if (dirfd !== undefined && dirfd.kind === 'number' && !p.startsWith('/')) {
      base = null; // a dirfd without decoration: unknown directory
    }
    return resolvePath(base, p);
  }

  // ---- network ---------------------------------------------------------------------------

  private netCall(pid: number, proc: ProcState, ev: SyscallEvent, tMs: number): void {
    const args = parseArgs(ev.args);
    const result = resultOf(ev, 'unknown');
    const fdVal = args[0];
    const fd = fdVal?.kind === 'fd' ? fdVal.fd : fdVal?.kind === 'number' ? fdVal.value : null;
    const name = ev.name;
    switch (name) {
      // `socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 19<TCP:[55373]>`
      case 'socket': {
        this.call(pid, tMs, name);
        if (ev.ret === null || ev.ret < 0) return;
        const family = familyOf(symbolText(args[0]));
        this.setSocket(proc, ev.ret, { family, protocol: protocolOf(family, symbolText(args[1])) });
        return;
      }
      // `connect(19<TCP:[55376]>, {sa_family=AF_INET, sin_port=htons(4444), sin_addr=inet_addr("192.0.2.10")}, 16) = -1 ENETUNREACH`
      case 'connect':
      case 'bind': {
        const addr = parseSockaddr(args[1]);
        if (addr === null) return this.call(pid, tMs, name);
        const sock = this.socketFor(proc, fd, fdVal, addr);
        this.net(pid, proc, tMs, name, fd, sock, addr.family, addr.address, addr.port, true, result, fdVal);
        if (name === 'connect' && addr.family !== 'unspec') sock.remote = { address: detach(addr.address), port: addr.port };
        return;
      }
      // `sendto(4<UDP:[55412]>, "\0224\1\0...", 30, 0, {sa_family=AF_INET, sin_port=htons(53), ...}, 16) = 30`
      // `sendmsg(18<UDP:[0.0.0.0:54372]>, {msg_name={sa_family=AF_INET, sin_port=htons(53), ...}, msg_iov=[{iov_base="...", iov_len=33}], ...}, 0) = 33`
      // `sendmmsg(3<UDP:[10.0.0.2:41000->10.0.0.1:53]>, [{msg_hdr={msg_name=NULL, ..., msg_iov=[{iov_base="...", ...}], ...}, msg_len=29}, ...], 2, MSG_NOSIGNAL) = 2`
      case 'sendto':
      case 'sendmsg':
      case 'sendmmsg': {
        const addr = name === 'sendto' ? parseSockaddr(args[4]) : name === 'sendmsg' ? parseSockaddr(field(args[1], 'msg_name')) : null;
        const sock = this.socketFor(proc, fd, fdVal, addr);
        const dest = addr ?? (sock.remote !== undefined ? { family: sock.family, address: sock.remote.address, port: sock.remote.port } : null);
        if (dest === null) return this.call(pid, tMs, name);
        const ev2 = this.net(pid, proc, tMs, name, fd, sock, dest.family as NetFamily, dest.address, dest.port, addr !== null, result, fdVal);
        // Payloads are decoded only where someone reads them: DNS questions.
        if (dest.port === 53) ev2.payloads = payloadsOf(ev.args, name === 'sendto' ? 'first' : 'iov');
        return;
      }
      // `listen(19<TCP:[127.0.0.1:37415]>, 511) = 0`
      case 'listen': {
        if (fdVal?.kind !== 'fd') return this.call(pid, tMs, name);
        const info = parseFdDecoration(fdVal.decoration);
        const sock = this.socketFor(proc, fd, fdVal, null);
        const local = info.type === 'socket' ? info.local : undefined;
        const family: NetFamily = sock.family === 'inet6' ? 'inet6' : sock.family === 'unix' ? 'unix' : 'inet';
        this.net(pid, proc, tMs, name, fd, sock, family, local?.address ?? (info.type === 'socket' ? (info.path ?? '') : ''), local?.port ?? null, true, result, fdVal);
        return;
      }
    }
  }

  private net(
    pid: number, proc: ProcState, tMs: number, syscall: NetEvent['syscall'], fd: number | null, sock: SocketInfo,
    family: NetFamily, address: string, port: number | null, explicit: boolean, result: string, fdVal: TraceValue | undefined,
  ): NetEvent {
    const protocol = sock.protocol === 'other' && family === 'unix' ? 'unix' : sock.protocol;
    const ev: NetEvent = { kind: 'net', pid, tMs, syscall, fd, protocol, family, address: detach(address), port, explicit, result };
    if ((protocol === 'tcp' || protocol === 'udp') && syscall !== 'bind' && syscall !== 'listen' && fd !== null) {
      // A bound socket's decoration already names the client port: `sendmsg(18<UDP:[0.0.0.0:54372]>, ...)`.
      const info = fdVal?.kind === 'fd' ? parseFdDecoration(fdVal.decoration) : null;
      if (info?.type === 'socket' && info.local !== undefined && info.local.port > 0) ev.sourcePort = info.local.port;
      else if (!sock.awaitingPort) {
        sock.awaitingPort = true;
        this.awaitingPort++;
      }
    }
    this.out.push(ev);
    return ev;
  }

  private setSocket(proc: ProcState, fd: number, info: SocketInfo): void {
    if (proc.sockets === undefined) proc.sockets = new Map();
    const old = proc.sockets.get(fd);
    if (old?.awaitingPort) this.awaitingPort--;
    proc.sockets.set(fd, info);
  }

  /** What we know of the socket behind an fd: socket() record, else its `-yy` decoration, else the address. */
  private socketFor(proc: ProcState, fd: number | null, fdVal: TraceValue | undefined, addr: SockAddr | null): SocketInfo {
    const known = fd !== null ? proc.sockets?.get(fd) : undefined;
    if (known !== undefined) return known;
    let protocol: NetProtocol = 'other';
    let family: NetFamily = addr !== null ? addr.family : 'other';
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
    if (fd !== null) this.setSocket(proc, fd, info);
    return info;
  }

  /**
   * Source port of a connected socket, from any later call's `-yy` decoration of the fd:
   * `write(18<TCP:[10.0.0.2:43518->198.51.100.9:4444]>, ...)`. It joins the connection to
   * the sinkhole's stream (the sinkhole sees the same client port).
   */
  private learnSourcePort(pid: number, proc: ProcState, ev: SyscallEvent, tMs: number): void {
    const a = ev.args;
    const lt = a.indexOf('<');
    if (lt <= 0 || lt > 10 || a.charCodeAt(lt + 1) === 47 /* / */) return;
    if (!a.startsWith('TCP', lt + 1) && !a.startsWith('UDP', lt + 1)) return;
    const end = a.indexOf(']>', lt);
    if (end < 0) return;
    const fd = Number(a.slice(0, lt));
    const sock = proc.sockets?.get(fd);
    if (sock === undefined || !sock.awaitingPort) return;
    const info = parseFdDecoration(a.slice(lt + 1, end + 1));
    // Connected sockets show `local->remote`; a bound UDP socket shows its local end only.
    if (info.type !== 'socket' || info.local === undefined || info.local.port === 0) return;
    sock.awaitingPort = false;
    this.awaitingPort--;
    this.out.push({ kind: 'source-port', pid, tMs, fd, port: info.local.port });
  }

  private closeFd(proc: ProcState, args: string): void {
    let fd = 0;
    let i = 0;
    for (; i < args.length; i++) {
      const c = args.charCodeAt(i);
      if (c < 48 || c > 57) break;
      fd = fd * 10 + (c - 48);
    }
    if (i === 0) return;
    const sock = proc.sockets!.get(fd);
    if (sock === undefined) return;
    if (sock.awaitingPort) this.awaitingPort--;
    proc.sockets!.delete(fd);
  }
}

interface ProcState {
  cwd: string | null;
  exited: boolean;
  sockets?: Map<number, SocketInfo>;
}

interface SocketInfo {
  protocol: NetProtocol;
  family: NetFamily;
  remote?: { address: string; port: number | null };
  awaitingPort?: boolean;
}

function newProc(cwd: string | null): ProcState {
  return { cwd, exited: false };
}

const MAX_QUEUED_EVENTS = 50_000;
/** Calls that become file, exec or cwd events; everything else is counted only. */
const FILE_CALLS = new Set([
  'open', 'openat', 'openat2', 'creat', 'stat', 'lstat', 'newfstatat', 'fstatat64', 'statx', 'access', 'faccessat', 'faccessat2',
  'readlink', 'readlinkat', 'unlink', 'unlinkat', 'rmdir', 'rename', 'renameat', 'renameat2', 'chmod', 'fchmod', 'fchmodat', 'fchmodat2',
  'mkdir', 'mkdirat', 'link', 'linkat', 'symlink', 'symlinkat', 'truncate', 'execve', 'execveat', 'chdir', 'fchdir',
]);
const NET_CALLS = new Set(['socket', 'connect', 'sendto', 'sendmsg', 'sendmmsg', 'bind', 'listen']);
const PROC_CALLS = new Set(['clone', 'clone3', 'fork', 'vfork']);

/** `ok`, the errno name, `error`, or `unknown` for a call that never returned. */
function resultOf(ev: SyscallEvent, noRet: 'ok' | 'unknown'): string {
  if (ev.errno !== undefined) return ev.errno;
  if (ev.ret === null) return ev.incomplete ? 'unknown' : noRet;
  return ev.ret < 0 ? 'error' : 'ok';
}

/** Open flags in `text` from index `from` on (only the mode may follow them). */
export function openFlags(text: string, from: number): OpenFlags {
  return {
    creat: text.indexOf('O_CREAT', from) >= 0,
    excl: text.indexOf('O_EXCL', from) >= 0,
    write: text.indexOf('O_WRONLY', from) >= 0 || text.indexOf('O_RDWR', from) >= 0 || text.indexOf('O_TRUNC', from) >= 0,
  };
}

/** DNS payloads: the buffer of a sendto, or each `iov_base` of a sendmsg/sendmmsg (up to 16). */
function payloadsOf(rawArgs: string, where: 'first' | 'iov'): Uint8Array[] {
  const starts: number[] = [];
  if (where === 'first') {
    const q = rawArgs.indexOf('"');
    if (q >= 0) starts.push(q);
  } else {
    for (let i = rawArgs.indexOf('iov_base="'); i >= 0 && starts.length < 16; i = rawArgs.indexOf('iov_base="', i + 10)) starts.push(i + 9);
  }
  return starts.map((s) => decodeQuotedBytes(rawArgs, s).bytes);
}

/**
 * A copy of `s` that does not keep its source alive. Strings sliced from a trace line point
 * into the whole read chunk; storing one would pin that chunk in memory.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

function stringValue(v: TraceValue | undefined): string | undefined {
  return v?.kind === 'string' ? v.value : undefined;
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

function familyOf(domain: string): NetFamily {
  if (domain === 'AF_INET') return 'inet';
  if (domain === 'AF_INET6') return 'inet6';
  if (domain === 'AF_UNIX' || domain === 'AF_LOCAL') return 'unix';
  if (domain === 'AF_NETLINK') return 'netlink';
  if (domain === 'AF_PACKET') return 'packet';
  return 'other';
}

function protocolOf(family: NetFamily, type: string): NetProtocol {
  if (type.includes('SOCK_RAW') || family === 'packet') return 'raw';
  if (family === 'unix') return 'unix';
  if (family !== 'inet' && family !== 'inet6') return 'other';
  if (type.includes('SOCK_STREAM')) return 'tcp';
  if (type.includes('SOCK_DGRAM')) return 'udp';
  return 'other';
}
