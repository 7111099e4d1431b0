/**
 * Events of an `strace -f -ttt -yy -s 4096 -o FILE` trace, one per system call (an
 * `<unfinished ...>` line and its `<... resumed>` line are joined into one), signal or exit.
 *
 * Times are epoch seconds as strace prints them with `-ttt` (microsecond precision).
 * Arguments are kept as raw text; `parseArgs` (values.ts) decodes them on demand, so the hot
 * path never builds a tree for the `read`/`mmap`/`futex` calls nobody looks at.
 */
export interface SyscallEvent {
  type: 'syscall';
  pid: number;
  time: number;
  name: string;
  /** Raw text between the call's parentheses; both halves of an unfinished call joined. */
  args: string;
  /** Return value; null when strace printed `?` or the call never returned. */
  ret: number | null;
  /** errno name when the call failed: `= -1 ENOENT (No such file or directory)`. */
  errno?: string;
  /** `-yy` decoration of a returned fd: `= 3</etc/passwd>` gives `/etc/passwd`. */
  retDecoration?: string;
  /** Time of the `<... resumed>` line when the call was interrupted by another pid's line. */
  resumedTime?: number;
  /**
   * The call has no result line: the process exited or was killed first (`exited`), strace
   * detached (`detached`), the trace ended (`eof`), or a `resumed` line came without its
   * `unfinished` half (`unmatched`, args then hold only the resumed part).
   */
  incomplete?: 'exited' | 'detached' | 'eof' | 'unmatched';
}

/** `1234 1700000000.123456 --- SIGCHLD {si_signo=SIGCHLD, ...} ---` */
export interface SignalEvent {
  type: 'signal';
  pid: number;
  time: number;
  /** `SIGCHLD`, or `stopped` for `--- stopped by SIGSTOP ---`. */
  signal: string;
  /** Raw text after the signal name (the siginfo structure), without the closing `---`. */
  info: string;
}

/** `+++ exited with 0 +++` or `+++ killed by SIGKILL (core dumped) +++`. */
export interface ExitEvent {
  type: 'exit';
  pid: number;
  time: number;
  code: number | null;
  signal: string | null;
  coreDumped?: boolean;
}

export type TraceEvent = SyscallEvent | SignalEvent | ExitEvent;

/** Counters a parse keeps; malformed lines are counted and skipped, never thrown. */
export interface TraceStats {
  lines: number;
  bytes: number;
  events: number;
  malformed: number;
  /** First few malformed lines (truncated), for debugging a new strace version. */
  malformedSamples: string[];
}
