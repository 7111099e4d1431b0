import { describe, expect, it } from 'vitest';
import { parseDriverOutput, statusOf } from './sandbox.js';

const base = { startedAtMs: 1, durationMs: 10, exitCode: 0, signal: null, timedOut: false, leftover: [], killed: false, oomKills: 0, pidsMaxHits: 0, traceBytes: 100, stdoutTail: '', stderrTail: '' };

describe('phase status from the in-container driver result', () => {
  it('exit 0 is completed, with no reason', () => {
    expect(statusOf(base, 256)).toEqual({ status: 'completed' });
  });
  it('a non-zero exit is error_other with the exit code', () => {
    expect(statusOf({ ...base, exitCode: 3 }, 256)).toEqual({ status: 'error_other', reason: 'exit code 3' });
  });
  it('the wall clock is error_timeout and names the leftovers it killed', () => {
    const r = statusOf({ ...base, exitCode: null, signal: 'SIGKILL', timedOut: true, killed: true, leftover: [{ pid: 5, ppid: 1, cmd: 'sh' }] }, 256);
    expect(r.status).toBe('error_timeout');
    expect(r.reason).toMatch(/^wall-clock limit reached; 1 process\(es\) still running/);
  });
  it('memory and pids limits are named in the reason', () => {
    const r = statusOf({ ...base, exitCode: null, signal: 'SIGKILL', oomKills: 1, pidsMaxHits: 4 }, 256);
    expect(r).toEqual({ status: 'error_other', reason: 'killed by SIGKILL; memory limit reached (1 process(es) killed by the OOM killer); process limit reached (4 fork(s) refused)' });
  });
  it('a completed phase that left detached children is still completed, with the kill recorded', () => {
    const r = statusOf({ ...base, killed: true, leftover: [{ pid: 9, ppid: 1, cmd: 'node beacon.js' }] }, 256);
    expect(r.status).toBe('completed');
    expect(r.reason).toMatch(/recorded and killed/);
  });
  it('a full trace mount is reported as truncation', () => {
    expect(statusOf({ ...base, traceBytes: 64 << 20 }, 64).reason).toBe('trace incomplete: truncated at 64 MiB');
  });
  it('eBPF losses and floods make the phase incomplete, and say how', () => {
    expect(statusOf(base, 64, { lost: 0, suppressed: 0, dropped: 0 }).reason).toBeUndefined();
    expect(statusOf(base, 64, { lost: 7, suppressed: 0, dropped: 3 }).reason).toBe('trace incomplete: 10 event(s) lost');
    expect(statusOf(base, 64, { lost: 0, suppressed: 160_000, dropped: 0 })).toEqual({
      status: 'completed',
      reason: 'trace incomplete: 160000 call(s) of a flood counted, not recorded',
    });
  });
});

describe('parseDriverOutput', () => {
  it('finds the marked line among other output', () => {
    const out = `noise\n@@VETBOX@@${JSON.stringify(base)}\n`;
    expect(parseDriverOutput(out)?.exitCode).toBe(0);
  });
  it('returns undefined for missing or broken output (an analysis error, not a crash)', () => {
    expect(parseDriverOutput('nothing')).toBeUndefined();
    expect(parseDriverOutput('@@VETBOX@@{broken')).toBeUndefined();
  });
});
