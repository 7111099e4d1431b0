import { describe, expect, it } from 'vitest';
import { evaluate } from '../evaluate.js';
import { BehaviorBuilder, evaluateInput } from '../__fixtures__/builder.js';
import { fired, run } from '../__fixtures__/run.js';
import { esbuildPostinstall } from '../__fixtures__/scenarios.js';

describe('trace-flood', () => {
  it('makes a flood a finding: medium, citing the flooding process, so the package is at least suspicious', () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node flood.js');
    b.behavior.floods = [{ phase: 'install', pid: node, syscall: 'readlink', recorded: 1000, suppressed: 159_000 }];
    const result = run(b);
    const [f] = fired(result, 'trace-flood');
    expect(f).toMatchObject({ severity: 'medium', phase: 'install' });
    expect(f.evidence[0]).toMatchObject({ kind: 'process', summary: 'sh -c node flood.js made 160000 readlink calls: 159000 past the tracer\'s budget were counted, not recorded' });
    expect(result.verdict).toBe('suspicious');
  });

  it('cites each phase whose trace is incomplete, and the report names that phase incomplete', () => {
    const input = evaluateInput(new BehaviorBuilder().build());
    input.phases[1] = { ...input.phases[1], reason: '1 process(es) still running at the end were recorded and killed; trace incomplete: 12 event(s) lost' };
    const result = evaluate(input);
    const [f] = fired(result, 'trace-flood');
    expect(f).toMatchObject({ phase: 'import', evidence: [{ summary: 'import: trace incomplete: 12 event(s) lost' }] });
    expect(result.incomplete).toEqual([{ phase: 'import', reason: 'trace incomplete: 12 event(s) lost' }]);
  });

  it("rates low a flood of the package manager's own calls (npm install over a large tree), medium once package code floods or events are lost", () => {
    const input = (extra: (b: BehaviorBuilder) => void, reason = 'trace incomplete: 20420 call(s) of a flood counted, not recorded') => {
      const b = new BehaviorBuilder();
      const npm = b.npm();
      b.behavior.floods = [
        { phase: 'install', pid: npm, syscall: 'statx', recorded: 33_293, suppressed: 17_232 },
        { phase: 'install', pid: npm, syscall: 'mkdir', recorded: 32_771, suppressed: 3_188 },
      ];
      extra(b);
      const i = evaluateInput(b.build());
      i.phases[0] = { ...i.phases[0]!, reason };
      return evaluate(i);
    };
    const npmOnly = input(() => {});
    expect(fired(npmOnly, 'trace-flood')[0]?.severity).toBe('low');
    expect(npmOnly.verdict).toBe('benign');
    expect(npmOnly.incomplete).toEqual([{ phase: 'install', reason: 'trace incomplete: 20420 call(s) of a flood counted, not recorded' }]);
    const packageToo = input((b) => b.behavior.floods!.push({ phase: 'install', pid: b.lifecycle('node flood.js'), syscall: 'readlink', recorded: 1000, suppressed: 9000 }));
    expect(fired(packageToo, 'trace-flood')[0]?.severity).toBe('medium');
    expect(fired(input(() => {}, 'trace incomplete: 20420 call(s) of a flood counted, not recorded; trace incomplete: 12 event(s) lost'), 'trace-flood')[0]?.severity).toBe('medium');
  });

  it('is silent on a complete trace (a real install with many calls)', () => {
    expect(fired(run(esbuildPostinstall()), 'trace-flood')).toEqual([]);
  });
});
