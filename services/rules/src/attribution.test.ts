import { describe, expect, it } from 'vitest';
import { BehaviorBuilder } from './__fixtures__/builder.js';
import { fired, run } from './__fixtures__/run.js';

describe('findings attributed to a dependency', () => {
  it('behavior only a dependency’s install code produced names that dependency; the verdict still counts it', () => {
    const b = new BehaviorBuilder();
    const npm = b.npm();
    const dep = b.child(npm, ['sh', '-c', 'node beacon.js'], { cwd: '/home/node/app/node_modules/beacon-helper', dependency: 'beacon-helper' });
    b.connect(dep, '203.0.113.7', 4444);
    const result = run(b);
    const [f] = fired(result, 'network-activity');
    expect(f?.dependency).toBe('beacon-helper');
    expect(f?.explanation).toMatch(/done by the code of beacon-helper, a dependency .* declares/);
    expect(f?.evidence[0]?.summary).toContain('(dependency beacon-helper)');
    expect(result.verdict).not.toBe('benign');
  });

  it('a finding with any evidence of the package’s own code stays the package’s', () => {
    const b = new BehaviorBuilder();
    const npm = b.npm();
    const dep = b.child(npm, ['sh', '-c', 'node beacon.js'], { dependency: 'beacon-helper' });
    b.connect(dep, '203.0.113.7', 4444);
    b.connect(b.lifecycle('node x.js', npm), '203.0.113.7', 4444);
    const [f] = fired(run(b), 'network-activity');
    expect(f?.dependency).toBeUndefined();
  });
});
