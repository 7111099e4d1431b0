import { emptyBehavior, type ProcessEntry } from '@vetbox/contracts';
import { describe, expect, it } from 'vitest';
import { applyTriggers } from './triggers.js';

const proc = (pid: number, ppid: number | null, phase: ProcessEntry['phase'], startMs: number, extra: Partial<ProcessEntry> = {}): ProcessEntry => ({
  pid, ppid, phase, argv: ['x'], cwd: '/', startMs, endMs: null, exit: null, ...extra,
});

describe('applyTriggers', () => {
  it('marks what the fast clock set off, the next login ran, and the run a year ahead', () => {
    const b = emptyBehavior();
    b.processes = [
      proc(10, null, 'install', 0),
      proc(11, 10, 'install', 100, { outlived: true }),
      // 15 real ms before the window plus 3 real ms at 300_000x: 15 min of fast-clock time.
      proc(12, 11, 'install', 10_003),
      proc(20, null, 'idle', 20_000),
      proc(21, 20, 'idle', 20_100),
      proc(30, null, 'next-login', 30_000),
      proc(31, 30, 'next-login', 30_010),
      proc(32, 30, 'next-login', 30_600, { argv: ['git', '-C', '/home/u/p', 'commit', '--allow-empty', '-q', '-m', 'wip'] }),
    ];
    b.calls = [
      { phase: 'next-login', kind: 'trigger', name: 'crontab entry (added during install)', pid: 31, startMs: 30_010, endMs: 30_500, outcome: 'exit 0' },
      { phase: 'next-login', kind: 'trigger', name: 'a git commit in ~/p: ~/.gitconfig (changed during install)', pid: 32, startMs: 30_600, endMs: 30_900, outcome: 'exit 0' },
    ];
    applyTriggers(b, { windowStartMs: 10_000, windowEndMs: 13_000, rate: 300_000, dateAheadMs: 365 * 86_400_000 });
    const trigger = (pid: number) => b.processes.find((p) => p.pid === pid)?.trigger;
    expect(trigger(12)).toBe('after 15 min (fast clock)');
    expect(trigger(11)).toBeUndefined();
    expect(trigger(20)).toBe('installed and imported again with the date 365 days ahead');
    expect(trigger(21)).toBeUndefined();
    expect(trigger(31)).toBe('at the next login: crontab entry (added during install)');
    // The commit is the harness's own doing (housekeeping); the hooks it runs are not.
    expect(b.processes.find((p) => p.pid === 32)?.housekeeping).toBe(true);
    expect(b.processes.find((p) => p.pid === 31)?.housekeeping).toBeUndefined();
  });

  it("marks the idle window's harness shell (housekeeping) as what ran the package again", () => {
    const b = emptyBehavior();
    const again = ['node', '/usr/local/libexec/steps.cjs', 'npm', 'install', ';', 'node', '/usr/local/libexec/import-npm.cjs', 'x'];
    // Reports made before the steps runner: one shell ran `npm rebuild` then the import.
    const before = ['/bin/sh', '-c', `'npm' 'rebuild' 'x' '--foreground-scripts'; 'node' '/usr/local/libexec/import-npm.cjs' 'x'`];
    const bash = ['/bin/bash', '-c', 'exec 3<&0; exec -a bash /bin/bash <<< "$1"', 'bash', "{ exec 0<&3 3<&-\n'npm' 'install'\n'node' '/usr/local/libexec/import-npm.cjs' 'x'\nexit\n}"];
    for (const argv of [bash, again, before]) {
      b.processes = [proc(20, null, 'idle', 20_000, { argv, housekeeping: true }), proc(21, 20, 'idle', 20_100, { housekeeping: true }), proc(40, null, 'idle', 20_200, { housekeeping: true })];
      applyTriggers(b, { windowStartMs: 10_000, windowEndMs: 13_000, rate: 300_000, dateAheadMs: 365 * 86_400_000 });
      expect(b.processes.map((p) => p.trigger)).toEqual(['installed and imported again with the date 365 days ahead', undefined, undefined]);
    }
  });

  it('marks nothing without a window, calls or later phases', () => {
    const b = emptyBehavior();
    b.processes = [proc(10, null, 'install', 0), proc(11, 10, 'install', 100, { outlived: true })];
    applyTriggers(b);
    expect(b.processes.every((p) => p.trigger === undefined)).toBe(true);
  });
});
