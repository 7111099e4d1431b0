import type { ExitEvent, SignalEvent, SyscallEvent, TraceEvent, TraceStats } from './types.js';

/** An `<unfinished ...>` call waiting for its `<... resumed>` line; at most one per pid. */
interface PendingCall {
  name: string;
  time: number;
  /** Argument text printed before the interruption (may end with `, `). */
  prefix: string;
}

/**
 * Everything a parse remembers between lines: only the unfinished calls per pid, so memory
 * stays flat however long the trace is.
 */
export class TraceParserState {
  readonly pending = new Map<number, PendingCall>();
  /** Interned syscall names by hash (see internName). */
  readonly names = new Map<number, string>();
  readonly stats: TraceStats = { lines: 0, bytes: 0, events: 0, malformed: 0, malformedSamples: [] };
  /** Lines longer than this are hostile or corrupt: counted as malformed, not parsed. */
  maxLineLength = 4 * 1024 * 1024;
}

const MAX_MALFORMED_SAMPLES = 5;
const UNFINISHED = ' <unfinished ...>';
const DETACHED = ' <detached ...>';
const RESUMED_OPEN = '<... ';
const RESUMED_CLOSE = ' resumed>';

const CH_SPACE = 32;
const CH_0 = 48;
const CH_9 = 57;
const CH_DOT = 46;
const CH_LPAREN = 40;
const CH_RPAREN = 41;
const CH_LT = 60;
const CH_GT = 62;
const CH_MINUS = 45;
const CH_PLUS = 43;
const CH_QUESTION = 63;
const CH_LBRACKET = 91;
const CH_E = 69;

function malformed(state: TraceParserState, line: string): void {
  state.stats.malformed++;
  if (state.stats.malformedSamples.length < MAX_MALFORMED_SAMPLES) {
    // Copied, so a sample never pins the read chunk its line was sliced from.
    state.stats.malformedSamples.push(line.length > 200 ? `${line.slice(0, 200)}...` : (' ' + line).slice(1));
  }
}

/**
 * Parses one line and appends the events it completes to `out` (an exit line also flushes
 * that pid's call left unfinished). Returns the number of events appended. Never throws on
 * bad input.
 */
export function parseLineInto(line: string, state: TraceParserState, out: TraceEvent[]): number {
  const end = line.length > 0 && line.charCodeAt(line.length - 1) === 13 ? line.length - 1 : line.length; // CRLF
  return parseRange(line, 0, end, state, out);
}

/**
 * `parseLineInto` for the line text[s, e) of a larger string (a read chunk): the hot path
 * parses in place, without slicing each line out first.
 */
export function parseRange(text: string, s: number, e: number, state: TraceParserState, out: TraceEvent[]): number {
  const stats = state.stats;
  stats.lines++;
  stats.bytes += e - s + 1;
  if (e <= s) return 0;
  if (e - s > state.maxLineLength) return badRange(state, text, s, e);

  let i = s;
  let pid = 0;
  // `[pid  1234] ` prefix: strace without -o interleaves that way; accept it too.
  if (text.charCodeAt(s) === CH_LBRACKET && text.startsWith('[pid', s)) {
    i = s + 4;
    while (i < e && text.charCodeAt(i) === CH_SPACE) i++;
    const start = i;
    while (i < e && isDigit(text.charCodeAt(i))) pid = pid * 10 + (text.charCodeAt(i++) - CH_0);
    if (i === start || text.charCodeAt(i) !== 93 /* ] */) return badRange(state, text, s, e);
    i++;
    while (i < e && text.charCodeAt(i) === CH_SPACE) i++;
  } else {
    // `1234 1700000000.123456 ...`: the pid column (from -f with -o).
    while (i < e && isDigit(text.charCodeAt(i))) pid = pid * 10 + (text.charCodeAt(i++) - CH_0);
    if (i === s) return badRange(state, text, s, e);
    if (text.charCodeAt(i) === CH_DOT) {
      // No pid column (a single-process trace): the number was the timestamp.
      i = s;
      pid = 0;
    } else {
      if (text.charCodeAt(i) !== CH_SPACE) return badRange(state, text, s, e);
      while (i < e && text.charCodeAt(i) === CH_SPACE) i++;
    }
  }

  // Timestamp `1700000000.123456` (-ttt). Parsed by hand: no slice, no parseFloat.
  let secs = 0;
  const tStart = i;
  while (i < e && isDigit(text.charCodeAt(i))) secs = secs * 10 + (text.charCodeAt(i++) - CH_0);
  if (i === tStart) return badRange(state, text, s, e);
  let time = secs;
  if (text.charCodeAt(i) === CH_DOT) {
    i++;
    let frac = 0;
    let scale = 1;
    while (i < e && isDigit(text.charCodeAt(i))) {
      frac = frac * 10 + (text.charCodeAt(i++) - CH_0);
      scale *= 10;
    }
    time = secs + frac / scale;
  }
  if (i >= e || text.charCodeAt(i) !== CH_SPACE) return badRange(state, text, s, e);
  i++;

  const c = text.charCodeAt(i);
  // Signals and exits are rare: they get their own string.
  if (c === CH_MINUS) return parseSignal(text.slice(s, e), i - s, pid, time, state, out);
  if (c === CH_PLUS) return parseExit(text.slice(s, e), i - s, pid, time, state, out);
  if (c === CH_LT) return parseResumed(text, i, s, e, pid, time, state, out);
  return parseCall(text, i, s, e, pid, time, state, out);
}

/** Convenience wrapper of `parseLineInto` that returns the events of one line. */
export function parseLine(line: string, state: TraceParserState): TraceEvent[] {
  const out: TraceEvent[] = [];
  parseLineInto(line, state, out);
  return out;
}

/** Ends the parse: calls still unfinished become `incomplete: 'eof'` events. */
export function flushPending(state: TraceParserState, out: TraceEvent[]): number {
  let n = 0;
  for (const [pid, p] of state.pending) {
    out.push(incompleteEvent(pid, p, 'eof'));
    n++;
  }
  state.pending.clear();
  state.stats.events += n;
  return n;
}

function bad(state: TraceParserState, line: string): number {
  malformed(state, line);
  return 0;
}

function badRange(state: TraceParserState, text: string, s: number, e: number): number {
  malformed(state, text.slice(s, Math.min(e, s + 201)));
  return 0;
}

function isDigit(c: number): boolean {
  return c >= CH_0 && c <= CH_9;
}

function incompleteEvent(pid: number, p: PendingCall, why: 'exited' | 'detached' | 'eof'): SyscallEvent {
  const ev = newCall(pid, p.time, p.name, trimArgs(p.prefix));
  ev.incomplete = why;
  return ev;
}

/** An interrupted call's args may end with the `, ` strace printed before the next argument. */
function trimArgs(prefix: string): string {
  let end = prefix.length;
  while (end > 0 && prefix.charCodeAt(end - 1) === CH_SPACE) end--;
  if (end > 0 && prefix.charCodeAt(end - 1) === 44 /* , */) end--;
  return end === prefix.length ? prefix : prefix.slice(0, end);
}

// `1234 1700000000.1 openat(AT_FDCWD</home/u>, "/etc/passwd", O_RDONLY) = 3</etc/passwd>`
// `1234 1700000000.1 read(3</tmp/x>,  <unfinished ...>`
// `1234 1700000000.1 read(0,  <detached ...>`
function parseCall(
  text: string,
  i: number,
  s: number,
  e: number,
  pid: number,
  time: number,
  state: TraceParserState,
  out: TraceEvent[],
): number {
  const open = text.indexOf('(', i);
  if (open <= i || open >= e) return badRange(state, text, s, e);
  const name = internName(state, text, i, open);
  if (name === null) return badRange(state, text, s, e);

  if (e - UNFINISHED.length > open && text.startsWith(UNFINISHED, e - UNFINISHED.length)) {
    // A second unfinished call for the same pid means the first never resumed (lost line).
    const prev = state.pending.get(pid);
    if (prev !== undefined) pushEvent(state, out, incompleteEvent(pid, prev, 'eof'));
    state.pending.set(pid, { name, time, prefix: text.slice(open + 1, e - UNFINISHED.length) });
    return prev !== undefined ? 1 : 0;
  }
  if (e - DETACHED.length > open && text.startsWith(DETACHED, e - DETACHED.length)) {
    const p: PendingCall = { name, time, prefix: text.slice(open + 1, e - DETACHED.length) };
    return pushEvent(state, out, incompleteEvent(pid, p, 'detached'));
  }
  const ev = callWithResult(text, open + 1, e, pid, time, name);
  if (ev === null) return badRange(state, text, s, e);
  return pushEvent(state, out, ev);
}

// `1234 1700000000.2 <... read resumed>"hi\n", 131072) = 3`
// `1234 1700000000.2 <... clone3 resumed> => {parent_tid=[27921]}, 88) = 27921`
// `1234 1700000000.2 <... exit resumed>) = ?`
function parseResumed(
  text: string,
  i: number,
  s: number,
  e: number,
  pid: number,
  time: number,
  state: TraceParserState,
  out: TraceEvent[],
): number {
  if (!text.startsWith(RESUMED_OPEN, i)) return badRange(state, text, s, e);
  const nameStart = i + RESUMED_OPEN.length;
  const close = text.indexOf(RESUMED_CLOSE, nameStart);
  if (close < 0 || close >= e) return badRange(state, text, s, e);
  const name = internName(state, text, nameStart, close);
  if (name === null) return badRange(state, text, s, e);
  const rest = text.slice(close + RESUMED_CLOSE.length, e);
  const p = state.pending.get(pid);
  if (p === undefined || p.name !== name) {
    // Resumed half without its start (trace began mid-call, or a line was lost).
    let n = 0;
    if (p !== undefined) {
      state.pending.delete(pid);
      n += pushEvent(state, out, incompleteEvent(pid, p, 'eof'));
    }
    const ev = callWithResult(rest, 0, rest.length, pid, time, name);
    if (ev === null) return n + badRange(state, text, s, e);
    ev.incomplete = 'unmatched';
    return n + pushEvent(state, out, ev);
  }
  state.pending.delete(pid);
  // Joined text is exactly what the uninterrupted line holds after `name(`.
  const joined = p.prefix + rest;
  const ev = callWithResult(joined, 0, joined.length, pid, p.time, name);
  if (ev === null) return badRange(state, text, s, e);
  ev.resumedTime = time;
  return pushEvent(state, out, ev);
}

/**
 * Splits `args) = result` starting at `argStart`. The result is found from the end (the last
 * ` = `), so quoted strings holding ` = ` or `)` never confuse it; strace pads the return
 * column with spaces (`exit_group(0)   = ?`).
 */
function callWithResult(text: string, argStart: number, end: number, pid: number, time: number, name: string): SyscallEvent | null {
  // A returned fd's decoration is file-system text (`= 3</tmp/x) = -1 ENOENT (>`): search for
  // ` = ` only before it, so no file name can forge a result.
  let searchEnd = end;
  if (text.charCodeAt(end - 1) === CH_GT) {
    const lt = matchAngleBack(text, end - 1, argStart);
    if (lt > argStart) searchEnd = lt;
  }
  const eq = text.lastIndexOf(' = ', searchEnd - 3);
  if (eq < argStart) return null;
  let close = eq;
  while (close > argStart && text.charCodeAt(close - 1) === CH_SPACE) close--;
  if (close <= argStart || text.charCodeAt(close - 1) !== CH_RPAREN) return null;
  const ev = newCall(pid, time, name, text.slice(argStart, close - 1));
  if (!parseResult(text, eq + 3, end, ev)) return null;
  return ev;
}

// Results: `= 0`, `= 3</etc/passwd>`, `= 0x7f2a5c000000`, `= -1 ENOENT (No such file or directory)`,
// `= ?`, `= ? ERESTARTSYS (To be restarted if SA_RESTART is set)`, `= 1 ([{fd=3, revents=POLLIN}])`,
// `= 0 (Timeout)`, `= 18<TCP:[4041236]>`.
function parseResult(text: string, j: number, end: number, ev: SyscallEvent): boolean {
  const len = end;
  if (j >= len) return false;
  let c = text.charCodeAt(j);
  if (c === CH_QUESTION) {
    j++;
  } else {
    let neg = false;
    if (c === CH_MINUS) {
      neg = true;
      j++;
      c = text.charCodeAt(j);
    }
    if (!isDigit(c)) return false;
    let v = 0;
    if (c === CH_0 && (text.charCodeAt(j + 1) | 32) === 120 /* x */) {
      j += 2;
      while (j < len) {
        const h = hexValue(text.charCodeAt(j));
        if (h < 0) break;
        v = v * 16 + h;
        j++;
      }
    } else {
      while (j < len && isDigit(text.charCodeAt(j))) v = v * 10 + (text.charCodeAt(j++) - CH_0);
    }
    ev.ret = neg ? -v : v;
    if (j < len && text.charCodeAt(j) === CH_LT) {
      const close = matchAngle(text, j, len);
      if (close < 0) return false;
      ev.retDecoration = text.slice(j + 1, close);
      j = close + 1;
    }
  }
  // errno after a failed call: ` ENOENT (No such file or directory)`.
  if (j + 1 < len && text.charCodeAt(j) === CH_SPACE && text.charCodeAt(j + 1) === CH_E && (ev.ret === null || ev.ret < 0)) {
    let k = j + 1;
    while (k < len && isErrnoChar(text.charCodeAt(k))) k++;
    ev.errno = text.slice(j + 1, k);
  }
  return true;
}

/** Index of the `>` closing the `<` at `start`, counting nesting (`0</dev/pts/0<char 136:0>>`). */
export function matchAngle(text: string, start: number, end: number = text.length): number {
  let depth = 0;
  const len = end;
  for (let k = start; k < len; k++) {
    const c = text.charCodeAt(k);
    if (c === CH_LT) depth++;
    else if (c === CH_GT && text.charCodeAt(k - 1) !== CH_MINUS /* `->` inside TCP:[a->b] */) {
      depth--;
      if (depth === 0) return k;
    } else if (c === 92 /* \ */) k++; // strace escapes `<`/`>` in paths; skip escaped chars
  }
  return -1;
}

/** Index of the `<` opening the `>` at `close`, scanning back (the mirror of matchAngle). */
function matchAngleBack(text: string, close: number, floor: number): number {
  let depth = 0;
  for (let k = close; k >= floor; k--) {
    const c = text.charCodeAt(k);
    if (c === CH_GT && text.charCodeAt(k - 1) !== CH_MINUS) depth++;
    else if (c === CH_LT) {
      depth--;
      if (depth === 0) return k;
    }
  }
  return -1;
}

function hexValue(c: number): number {
  if (c >= CH_0 && c <= CH_9) return c - CH_0;
  const l = c | 32;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

function isErrnoChar(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= CH_0 && c <= CH_9) || c === 95;
}

/**
 * Every syscall event has the same fields in the same order (absent ones undefined): one
 * hidden class, so the consumers' property reads stay monomorphic.
 */
function newCall(pid: number, time: number, name: string, args: string): SyscallEvent {
  return { type: 'syscall', pid, time, name, args, ret: null, errno: undefined, retDecoration: undefined, resumedTime: undefined, incomplete: undefined };
}

/**
 * The syscall name at line[start, end), validated, as a shared string: a few hundred names
 * cover every trace, so reusing them saves an allocation per line and lets every Map/Set
 * lookup on the name reuse its cached hash. Null when the text is not a syscall name.
 */
function internName(state: TraceParserState, line: string, start: number, end: number): string | null {
  const len = end - start;
  if (len <= 0 || len > 40) return null;
  let h = len;
  for (let k = start; k < end; k++) {
    const c = line.charCodeAt(k);
    // lower-case, digits, `_`; `???` for unknown calls; `syscall_0x1c3` for unnamed ones.
    if (!((c >= 97 && c <= 122) || (c >= CH_0 && c <= CH_9) || c === 95 || c === CH_QUESTION)) return null;
    h = (Math.imul(h, 31) + c) | 0;
  }
  const cached = state.names.get(h);
  if (cached !== undefined && cached.length === len && line.startsWith(cached, start)) return cached;
  const name = (' ' + line.slice(start, end)).slice(1); // own copy: never pins the read chunk
  if (state.names.size < 4096) state.names.set(h, name);
  return name;
}

function pushEvent(state: TraceParserState, out: TraceEvent[], ev: TraceEvent): number {
  out.push(ev);
  state.stats.events++;
  return 1;
}

// `1234 1700000000.3 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=1235, ...} ---`
// `1234 1700000000.3 --- stopped by SIGSTOP ---`
function parseSignal(
  line: string,
  i: number,
  pid: number,
  time: number,
  state: TraceParserState,
  out: TraceEvent[],
): number {
  if (!line.startsWith('--- ', i) || !line.endsWith(' ---')) return bad(state, line);
  const body = line.slice(i + 4, line.length - 4);
  if (body.startsWith('stopped by ')) {
    const ev: SignalEvent = { type: 'signal', pid, time, signal: 'stopped', info: body.slice(11) };
    return pushEvent(state, out, ev);
  }
  const sp = body.indexOf(' ');
  const signal = sp < 0 ? body : body.slice(0, sp);
  if (!signal.startsWith('SIG')) return bad(state, line);
  const ev: SignalEvent = { type: 'signal', pid, time, signal, info: sp < 0 ? '' : body.slice(sp + 1) };
  return pushEvent(state, out, ev);
}

// `1234 1700000000.4 +++ exited with 0 +++`
// `1234 1700000000.4 +++ killed by SIGKILL +++`
// `1234 1700000000.4 +++ killed by SIGSEGV (core dumped) +++`
// `1234 1700000000.4 +++ superseded by execve in pid 1233 +++` (a thread exec'd; not an exit)
function parseExit(
  line: string,
  i: number,
  pid: number,
  time: number,
  state: TraceParserState,
  out: TraceEvent[],
): number {
  if (!line.startsWith('+++ ', i) || !line.endsWith(' +++')) return bad(state, line);
  const body = line.slice(i + 4, line.length - 4);
  let ev: ExitEvent;
  if (body.startsWith('exited with ')) {
    const code = Number(body.slice(12));
    if (!Number.isInteger(code)) return bad(state, line);
    ev = { type: 'exit', pid, time, code, signal: null };
  } else if (body.startsWith('killed by ')) {
    let sig = body.slice(10);
    const core = sig.endsWith(' (core dumped)');
    if (core) sig = sig.slice(0, -14);
    ev = { type: 'exit', pid, time, code: null, signal: sig };
    if (core) ev.coreDumped = true;
  } else if (body.startsWith('superseded by execve')) {
    return 0;
  } else {
    return bad(state, line);
  }
  let n = 0;
  const p = state.pending.get(pid);
  if (p !== undefined) {
    state.pending.delete(pid);
    n += pushEvent(state, out, incompleteEvent(pid, p, 'exited'));
  }
  return n + pushEvent(state, out, ev);
}
