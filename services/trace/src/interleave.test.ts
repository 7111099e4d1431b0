import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseTraceText } from './stream.js';
import type { TraceEvent } from './types.js';

/**
 * Property: however strace interleaves pids and splits calls into `<unfinished ...>` /
 * `<... resumed>` pairs, the parser gives each pid the same events, in the same order, as
 * the uninterrupted lines would.
 */

const argArb = fc.oneof(
  fc.constantFrom('AT_FDCWD</tmp/w>', '3</etc/passwd>', '18<TCP:[10.0.0.2:43518->198.51.100.9:4444]>', 'NULL', 'O_RDONLY|O_CLOEXEC'),
  fc.constantFrom('[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]', '{sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("192.0.2.10")}'),
  fc.integer({ min: -5, max: 100000 }).map(String),
  // Quoted strings with the characters that could confuse a naive splitter.
  fc
    .array(fc.constantFrom('a', ' ', ')', '(', ' = ', ',', '\\"', '\\n', '\\x41', '<', '>', '...', 'resumed>'), { maxLength: 8 })
    .map((parts) => `"${parts.join('')}"`),
);

const callArb = fc.record({
  name: fc.constantFrom('read', 'openat', 'wait4', 'connect', 'clone3', 'execve', 'write'),
  args: fc.array(argArb, { maxLength: 5 }),
  result: fc.constantFrom('0', '3</etc/passwd>', '-1 ENOENT (No such file or directory)', '?', '0x7f2a5c000000', '27921'),
  /** Where to split: null keeps the call on one line; k splits after k arguments. */
  split: fc.option(fc.nat({ max: 5 }), { nil: null }),
});

type Call = { name: string; args: string[]; result: string; split: number | null };

function wholeLine(pid: number, t: string, c: Call): string {
  return `${pid} ${t} ${c.name}(${c.args.join(', ')}) = ${c.result}`;
}

function splitLines(pid: number, t1: string, t2: string, c: Call, k: number): [string, string] {
  const head = c.args.slice(0, k);
  const tail = c.args.slice(k);
  // strace prints `, ` before the next argument, then ` <unfinished ...>`.
  const printed = head.join(', ') + (head.length > 0 && tail.length > 0 ? ', ' : '');
  const unfinished = `${pid} ${t1} ${c.name}(${printed} <unfinished ...>`;
  const resumed = `${pid} ${t2} <... ${c.name} resumed>${tail.join(', ')}) = ${c.result}`;
  return [unfinished, resumed];
}

function byPid(events: TraceEvent[]): Map<number, unknown[]> {
  const m = new Map<number, unknown[]>();
  for (const ev of events) {
    const { resumedTime: _ignored, ...rest } = ev as TraceEvent & { resumedTime?: number };
    const list = m.get(ev.pid) ?? [];
    list.push(rest);
    m.set(ev.pid, list);
  }
  return m;
}

describe('unfinished/resumed interleavings', () => {
  it('give the same per-pid events as the uninterrupted form', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(callArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 200 }),
        (perPid, picks) => {
          const pids = perPid.map((_, i) => 100 + i);
          // Reference: each call on one line, pid after pid.
          let clock = 0;
          const whole: string[] = [];
          const queues: string[][] = [];
          perPid.forEach((calls, i) => {
            const q: string[] = [];
            for (const c of calls) {
              const t = `1700000000.${String(++clock).padStart(6, '0')}`;
              whole.push(wholeLine(pids[i], t, c));
              if (c.split === null) q.push(wholeLine(pids[i], t, c));
              else q.push(...splitLines(pids[i], t, `1700000001.${String(clock).padStart(6, '0')}`, c, Math.min(c.split, c.args.length)));
            }
            queues.push(q);
          });
          // Interleave the per-pid queues by the random picks, keeping each pid's order.
          const mixed: string[] = [];
          let p = 0;
          for (;;) {
            const live = queues.filter((q) => q.length > 0);
            if (live.length === 0) break;
            const q = live[(picks[p++] ?? 0) % live.length];
            mixed.push(q.shift()!);
          }
          const expected = byPid(parseTraceText(whole.join('\n')));
          const got = byPid(parseTraceText(mixed.join('\n')));
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
