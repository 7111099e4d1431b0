import { describe, expect, it } from 'vitest';
import { BehaviorBuilder } from './__fixtures__/builder.js';
import { fired, run } from './__fixtures__/run.js';

describe('what set it off', () => {
  it('names the call of the execute phase that looked up a host', () => {
    const b = new BehaviorBuilder().inPhase('execute');
    const worker = b.process(['node', '/opt/vetbox/bin/execute-npm.cjs', '--worker', '0', 'demo-pkg']);
    const t = b.behavior.processes[0]!.startMs;
    b.behavior.calls = [
      { phase: 'execute', kind: 'call', name: 'init()', of: 'demo-pkg', pid: worker, startMs: t, endMs: t + 1, outcome: 'returned' },
      { phase: 'execute', kind: 'call', name: 'loadConfig("vetbox")', of: 'demo-pkg', pid: worker, startMs: t + 2, endMs: t + 1000, outcome: 'resolved' },
    ];
    const q = b.dns('c2.attacker.example', worker);
    b.behavior.network.dns[q]!.tMs = t + 10;
    const [f] = fired(run(b), 'network-activity');
    expect(f?.evidence[0]?.summary).toMatch(/^calling `loadConfig\("vetbox"\)` of demo-pkg: /);
    expect(f?.explanation).toContain('What set it off: calling `loadConfig("vetbox")` of demo-pkg.');
  });

  it('says the fast clock set off what a process left running during install did in the idle window', () => {
    const b = new BehaviorBuilder();
    const sh = b.lifecycle('node x.js');
    const detached = b.child(sh, ['node', '-e', 'setTimeout(beacon, 9e5)'], { outlived: true, endMs: null });
    const start = b.behavior.processes.find((p) => p.pid === detached)!.startMs;
    const q = b.dns('c2.attacker.example', detached);
    // Two real seconds into a window that runs 300x: 10 minutes of fast-clock time, plus the seconds before it.
    b.behavior.network.dns[q]!.tMs = start + 5_000 + 2_000;
    const result = run(b, { sandbox: { clock: { windowStartMs: start + 5_000, windowEndMs: start + 8_000, rate: 300, dateAheadMs: 0 } } });
    const [f] = fired(result, 'network-activity');
    expect(f?.phase).toBe('install');
    expect(f?.evidence[0]?.summary).toMatch(/^after 10 min \(fast clock\): /);
  });

  it('leaves evidence hashes as they were', () => {
    const plain = new BehaviorBuilder();
    plain.dns('c2.attacker.example', plain.lifecycle('node x.js'));
    const called = new BehaviorBuilder();
    const pid = called.lifecycle('node x.js');
    called.dns('c2.attacker.example', pid);
    called.behavior.calls = [{ phase: 'install', kind: 'call', name: 'f()', pid, startMs: 0, endMs: null, outcome: 'unfinished' }];
    expect(fired(run(called), 'network-activity')[0]?.evidenceHash).toBe(fired(run(plain), 'network-activity')[0]?.evidenceHash);
  });
});
