import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TraceParserState, parseLine } from './line.js';
import { parseTraceFile, parseTraceLines, parseTraceText } from './stream.js';
import type { SyscallEvent, TraceEvent } from './types.js';
import { parseFdDecoration } from './values.js';

const fixture = (name: string) => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));

function one(line: string, state = new TraceParserState()): TraceEvent {
  const evs = parseLine(line, state);
  expect(evs).toHaveLength(1);
  return evs[0];
}

describe('parseLine: line styles', () => {
  it('reads pid, -ttt time, name, raw args, fd result and its decoration', () => {
    const ev = one('1234 1700000000.123456 openat(AT_FDCWD</home/u>, "/etc/passwd", O_RDONLY) = 3</etc/passwd>');
    expect(ev).toEqual({
      type: 'syscall',
      pid: 1234,
      time: 1700000000.123456,
      name: 'openat',
      args: 'AT_FDCWD</home/u>, "/etc/passwd", O_RDONLY',
      ret: 3,
      retDecoration: '/etc/passwd',
    });
  });

  it('reads errno results', () => {
    const ev = one('7 1.5 openat(AT_FDCWD</>, "/nope", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)');
    expect(ev).toMatchObject({ ret: -1, errno: 'ENOENT' });
  });

  it('reads `= ?` with padding, hex results and restart errnos', () => {
    expect(one('9 1.0 exit_group(0)   = ?')).toMatchObject({ name: 'exit_group', args: '0', ret: null });
    expect(one('9 1.0 mmap(NULL, 8192, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f2a5c000000')).toMatchObject({
      ret: 0x7f2a5c000000,
    });
    expect(one('9 1.0 wait4(-1, 0x7ffc, 0, NULL) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)')).toMatchObject({
      ret: null,
      errno: 'ERESTARTSYS',
    });
  });

  it('keeps strings holding ` = ` and parentheses inside the args', () => {
    const ev = one('5 2.0 write(1</dev/pts/0<char 136:0>>, "a) = 3 (b\\n", 10) = 10') as SyscallEvent;
    expect(ev.args).toBe('1</dev/pts/0<char 136:0>>, "a) = 3 (b\\n", 10');
    expect(ev.ret).toBe(10);
  });

  it('does not let a file name in a result decoration forge the result', () => {
    const ev = one('5 2.0 openat(AT_FDCWD</w>, "/tmp/x) = -1 ENOENT (", O_RDONLY) = 3</tmp/x) = -1 ENOENT (>') as SyscallEvent;
    expect(ev).toMatchObject({ args: 'AT_FDCWD</w>, "/tmp/x) = -1 ENOENT (", O_RDONLY', ret: 3, retDecoration: '/tmp/x) = -1 ENOENT (' });
    expect(ev.errno).toBeUndefined();
  });

  it('is not fooled by a hostile file name: strace escapes <> in decorations (recorded line)', () => {
    const ev = one('9 1.0 openat(AT_FDCWD</tmp/tr>, "x <unfinished ...>", O_RDONLY) = 3</tmp/tr/x \\74unfinished ...\\76>') as SyscallEvent;
    expect(ev).toMatchObject({ name: 'openat', ret: 3, retDecoration: '/tmp/tr/x \\74unfinished ...\\76' });
    expect(parseFdDecoration(ev.retDecoration!)).toEqual({ type: 'path', path: '/tmp/tr/x <unfinished ...>' });
  });

  it('decorates socket results (nested angle brackets too)', () => {
    expect(one('5 2.0 accept4(19<TCP:[127.0.0.1:37415]>, NULL, NULL, SOCK_CLOEXEC) = 21<TCP:[127.0.0.1:37415->127.0.0.1:39086]>')).toMatchObject({
      retDecoration: 'TCP:[127.0.0.1:37415->127.0.0.1:39086]',
    });
    expect(one('5 2.0 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 18<TCP:[55374]>')).toMatchObject({
      retDecoration: 'TCP:[55374]',
    });
    expect(one('5 2.0 dup(0</dev/pts/0<char 136:0>>) = 4</dev/pts/0<char 136:0>>')).toMatchObject({
      retDecoration: '/dev/pts/0<char 136:0>',
    });
  });

  it('joins <unfinished ...> and <... resumed> into one event per call', () => {
    const state = new TraceParserState();
    expect(parseLine('27918 1.1 rt_sigprocmask(SIG_SETMASK, [USR1],  <unfinished ...>', state)).toEqual([]);
    expect(parseLine('27919 1.2 rseq(0x7fa2f933bfe0, 0x20, 0, 0x53053053 <unfinished ...>', state)).toEqual([]);
    const a = parseLine('27919 1.3 <... rseq resumed>) = 0', state);
    const b = parseLine('27918 1.4 <... rt_sigprocmask resumed>NULL, 8) = 0', state);
    expect(a).toEqual([
      { type: 'syscall', pid: 27919, time: 1.2, name: 'rseq', args: '0x7fa2f933bfe0, 0x20, 0, 0x53053053', ret: 0, resumedTime: 1.3 },
    ]);
    expect(b[0]).toMatchObject({ pid: 27918, time: 1.1, args: 'SIG_SETMASK, [USR1], NULL, 8', ret: 0, resumedTime: 1.4 });
    expect(state.pending.size).toBe(0);
  });

  it('joins clone3 whose resumed half starts with ` => `', () => {
    const state = new TraceParserState();
    parseLine('1 1.0 clone3({flags=CLONE_VM|CLONE_THREAD, exit_signal=0} <unfinished ...>', state);
    const [ev] = parseLine('1 1.1 <... clone3 resumed> => {parent_tid=[27921]}, 88) = 27921', state);
    expect(ev).toMatchObject({ args: '{flags=CLONE_VM|CLONE_THREAD, exit_signal=0} => {parent_tid=[27921]}, 88', ret: 27921 });
  });

  it('reads signals, exits and kills; an exit flushes the pid\'s unfinished call', () => {
    expect(one('2 3.0 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=3, si_uid=0, si_status=0} ---')).toEqual({
      type: 'signal',
      pid: 2,
      time: 3,
      signal: 'SIGCHLD',
      info: '{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=3, si_uid=0, si_status=0}',
    });
    expect(one('2 3.0 --- stopped by SIGSTOP ---')).toMatchObject({ signal: 'stopped', info: 'SIGSTOP' });
    expect(one('2 3.0 +++ exited with 7 +++')).toEqual({ type: 'exit', pid: 2, time: 3, code: 7, signal: null });
    expect(one('2 3.0 +++ killed by SIGSEGV (core dumped) +++')).toEqual({
      type: 'exit',
      pid: 2,
      time: 3,
      code: null,
      signal: 'SIGSEGV',
      coreDumped: true,
    });
    const state = new TraceParserState();
    parseLine('4 1.0 read(0,  <unfinished ...>', state);
    const evs = parseLine('4 2.0 +++ killed by SIGKILL +++', state);
    expect(evs).toEqual([
      { type: 'syscall', pid: 4, time: 1, name: 'read', args: '0', ret: null, incomplete: 'exited' },
      { type: 'exit', pid: 4, time: 2, code: null, signal: 'SIGKILL' },
    ]);
  });

  it('reads <detached ...>, `[pid N]` prefixes and pid-less lines', () => {
    expect(one('8 1.0 read(0,  <detached ...>')).toMatchObject({ name: 'read', args: '0', ret: null, incomplete: 'detached' });
    expect(one('[pid  4321] 1.0 getpid() = 4321')).toMatchObject({ pid: 4321, name: 'getpid', args: '', ret: 4321 });
    expect(one('1700000000.5 getuid() = 0')).toMatchObject({ pid: 0, time: 1700000000.5, name: 'getuid' });
  });

  it('marks a resumed line without its start as unmatched instead of failing', () => {
    expect(one('3 1.0 <... read resumed>"x", 1) = 1')).toMatchObject({ name: 'read', args: '"x", 1', incomplete: 'unmatched' });
  });

  it('counts and skips malformed lines, never throws', () => {
    const state = new TraceParserState();
    const junk = [
      'strace: Process 1234 attached',
      '1234',
      '1234 1.0',
      '1234 1.0 openat(AT_FDCWD, "/x", O_RDONLY',
      '1234 1.0 Openat() = 0',
      '1234 1.0 +++ exploded +++',
      '1234 1.0 --- nonsense',
      '1234 1.0 <... read resumed',
      'abc def',
      '',
    ];
    for (const l of junk) expect(parseLine(l, state)).toEqual([]);
    expect(state.stats.malformed).toBe(9);
    expect(state.stats.malformedSamples.length).toBe(5);
  });

  it('flushes calls that never resumed at the end of the input', () => {
    const evs = parseTraceText('1 1.0 wait4(-1,  <unfinished ...>\n2 1.1 getpid() = 2\n');
    expect(evs.map((e) => (e.type === 'syscall' ? `${e.name}:${e.incomplete ?? ''}` : e.type))).toEqual(['getpid:', 'wait4:eof']);
  });
});

describe('recorded host traces', () => {
  it('parses the node trace with no malformed line and joins every unfinished call', async () => {
    const state = new TraceParserState();
    const events: TraceEvent[] = [];
    for await (const ev of parseTraceFile(fixture('node-activity.trace'), { state })) events.push(ev);
    expect(state.stats.malformed).toBe(0);
    expect(state.pending.size).toBe(0);
    const text = readFileSync(fixture('node-activity.trace'), 'latin1');
    const unfinished = text.split('\n').filter((l) => l.endsWith('<unfinished ...>')).length;
    const resumed = events.filter((e) => e.type === 'syscall' && e.resumedTime !== undefined).length;
    const cut = events.filter((e) => e.type === 'syscall' && e.incomplete !== undefined).length;
    expect(resumed + cut).toBe(unfinished);
    const exec = events.find((e) => e.type === 'syscall' && e.name === 'execve' && e.ret === 0 && e.args.includes('sleep 0.3'));
    expect(exec).toMatchObject({ pid: expect.any(Number), ret: 0 });
    const killed = events.find((e) => e.type === 'exit' && e.signal === 'SIGKILL');
    expect(killed).toBeDefined();
  });

  it('gives the same events from lines, text and file', async () => {
    const text = readFileSync(fixture('py-activity.trace'), 'latin1');
    const fromText = parseTraceText(text);
    const fromLines: TraceEvent[] = [];
    for await (const ev of parseTraceLines(text.split('\n'))) fromLines.push(ev);
    const fromFile: TraceEvent[] = [];
    for await (const ev of parseTraceFile(fixture('py-activity.trace'), { chunkBytes: 997 })) fromFile.push(ev);
    expect(fromLines).toEqual(fromText);
    expect(fromFile).toEqual(fromText);
  });
});
