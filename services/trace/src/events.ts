/**
 * Tracer-neutral events: what the strace adapter (strace/normalize.ts) and the eBPF reader
 * (ebpf/session.ts) both produce, and all that services/behavior reads.
 *
 * - pids are the sandbox's process ids (threads folded into their process);
 * - paths are absolute where the tracer could know the directory (cwd and dirfds resolved,
 *   fds mapped to the paths they were opened with), lexically normalised;
 * - times are epoch milliseconds (the sinkhole's clock);
 * - `result` is `ok`, an errno name (`ENOENT`), `error` (failed, errno unknown) or `unknown`
 *   (the call never returned: the process exited or the trace ended).
 * `syscall` names the call an event came from (for the per-phase counts), when it came from one.
 */
export type TracedEvent =
  | SpawnEvent
  | ExecEvent
  | ProcessExitEvent
  | CwdEvent
  | FileEvent
  | NetEvent
  | SourcePortEvent
  | CallEvent
  | FloodEvent;

interface Base {
  pid: number;
  tMs: number;
  syscall?: string;
}

/** `pid` started process `child` (fork, vfork, clone without CLONE_THREAD). */
export interface SpawnEvent extends Base {
  kind: 'spawn';
  child: number;
}

/**
 * An exec attempt. `argv` is set when it succeeded (the process now runs `path`); a PATH search
 * shows as failed attempts first. `stdioSocket`: fd 0, 1 or 2 was an inet socket at the exec.
 */
export interface ExecEvent extends Base {
  kind: 'exec';
  path: string;
  result: string;
  argv?: string[];
  /** The argv was cut (tracer limit); `argv` ends with `...`. */
  argvTruncated?: boolean;
  stdioSocket?: boolean;
}

export interface ProcessExitEvent extends Base {
  kind: 'exit';
  code: number | null;
  signal: string | null;
  coreDumped?: boolean;
}

/** The process's working directory is (now) `path`: after chdir, or learnt from the tracer. */
export interface CwdEvent extends Base {
  kind: 'cwd';
  path: string;
}

export type FileEventOp = 'open' | 'stat' | 'delete' | 'rename' | 'chmod' | 'mkdir' | 'link' | 'write';

/**
 * A file system call. `open` carries its flags (the behavior model decides read/write/create);
 * `rename` and `link` carry `target` (the new name; for a symlink, the text it points to);
 * `chmod` carries `mode` (octal text). `write` is truncate(2).
 */
export interface FileEvent extends Base {
  kind: 'file';
  op: FileEventOp;
  path: string;
  result: string;
  flags?: OpenFlags;
  target?: string;
  mode?: string;
}

export interface OpenFlags {
  creat: boolean;
  excl: boolean;
  /** O_WRONLY, O_RDWR or O_TRUNC. */
  write: boolean;
}

export type NetProtocol = 'tcp' | 'udp' | 'unix' | 'raw' | 'other';
export type NetFamily = 'inet' | 'inet6' | 'unix' | 'netlink' | 'packet' | 'unspec' | 'other';

/**
 * A socket call. `address`/`port`: for connect and bind the address given; for listen the local
 * address; for sends the destination given (`explicit`) or else the connected peer (null when
 * neither is known). `payloads`: first bytes of what was sent (one per message), for DNS.
 * `sourcePort`: the socket's local port when the tracer knew it at the call (else a later
 * `source-port` event may tell it).
 */
export interface NetEvent extends Base {
  kind: 'net';
  syscall: 'connect' | 'bind' | 'listen' | 'sendto' | 'sendmsg' | 'sendmmsg';
  fd: number | null;
  protocol: NetProtocol;
  family: NetFamily;
  address: string | null;
  port: number | null;
  explicit: boolean;
  result: string;
  sourcePort?: number;
  payloads?: Uint8Array[];
}

/** The local port of socket `fd`, learnt after its connect or first send. */
export interface SourcePortEvent extends Base {
  kind: 'source-port';
  fd: number;
  port: number;
}

/** A call that matters only for the counts (read, write, ptrace, ...). */
export interface CallEvent extends Base {
  kind: 'call';
  syscall: string;
}

/**
 * The process made so many `syscall` calls that the tracer stopped recording them one by one
 * (a flood): `suppressed` more were counted, not recorded. The phase's record is incomplete.
 */
export interface FloodEvent extends Base {
  kind: 'flood';
  syscall: string;
  recorded: number;
  suppressed: number;
}
