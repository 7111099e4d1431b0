import { describe, expect, it } from 'vitest';
import { Finding } from '@vetbox/contracts';
import { BehaviorBuilder } from './__fixtures__/builder.js';
import { run } from './__fixtures__/run.js';
import { npmrcStealer } from './__fixtures__/scenarios.js';
import { evaluateNewBehavior, withBaseline, type BehaviorDiffLike, type DiffCategory, type DiffEntryLike } from './new-behavior.js';

const CATEGORIES: DiffCategory[] = ['hosts', 'processes', 'files', 'canaries', 'findings'];

/** A diff in @vetbox/diff's shape: normalized keys, `~` paths, added entries first in `changes`. */
function diff(added: DiffEntryLike[], removed: DiffEntryLike[] = []): BehaviorDiffLike {
  const side = (entries: DiffEntryLike[]) =>
    Object.fromEntries(CATEGORIES.map((c) => [c, entries.filter((e) => e.category === c)])) as Record<DiffCategory, DiffEntryLike[]>;
  return {
    base: { version: '1.0.0' },
    target: { version: '1.0.1' },
    added: side(added),
    changes: [...added.map((e) => ({ ...e, change: 'added' as const })), ...removed.map((e) => ({ ...e, change: 'removed' as const }))],
  };
}

const entry = (category: DiffCategory, key: string, detail: Record<string, unknown>): DiffEntryLike => ({
  category,
  key,
  summary: key,
  phases: ['install'],
  detail,
});

const stealerAdds = [
  entry('hosts', 'dns:collect.attacker.example', { name: 'collect.attacker.example', type: 'A' }),
  entry('hosts', 'http:POST collect.attacker.example/u', { method: 'POST', host: 'collect.attacker.example', path: '/u', tls: false }),
  entry('processes', 'sh -c node steal.js', { argv: 'sh -c node steal.js' }),
  entry('files', 'read ~/.npmrc', { op: 'read', path: '~/.npmrc' }),
];

describe('new-behavior', () => {
  it('fires high for an added credential read and exfiltration, citing the diff entries', () => {
    const d = diff(stealerAdds);
    const f = evaluateNewBehavior(d)!;
    expect(Finding.parse(f)).toEqual(f);
    expect(f.severity).toBe('high');
    expect(f.title).toBe('1.0.1 adds behavior the baseline 1.0.0 did not have');
    expect(f.phase).toBe('install');
    expect(f.evidence.every((e) => e.kind === 'diff')).toBe(true);
    expect(f.evidence.map((e) => d.changes![e.index!]!.key).sort()).toEqual(stealerAdds.map((e) => e.key).sort());
    expect(f.explanation).toMatch(/network \(2\)/);
    expect(f.explanation).toMatch(/credential-store access \(1\)/);
  });

  it('rates new persistence high, an unknown host alone medium, a release-host download or a new process low', () => {
    expect(evaluateNewBehavior(diff([entry('files', 'write ~/.bashrc', { op: 'write', path: '~/.bashrc' })]))?.severity).toBe('high');
    expect(evaluateNewBehavior(diff([entry('hosts', 'dns:cdn.example', { name: 'cdn.example' })]))?.severity).toBe('medium');
    expect(evaluateNewBehavior(diff([entry('hosts', 'tcp:github.com:443', { hostname: 'github.com', address: '140.82.112.3', port: 443 })]))?.severity).toBe('low');
    expect(evaluateNewBehavior(diff([entry('processes', 'node build.js', { argv: 'node build.js' })]))?.severity).toBe('low');
  });

  it('carries new findings of medium and above, capped at high', () => {
    const f = evaluateNewBehavior(diff([entry('findings', 'credential-exfiltration', { rule: 'credential-exfiltration', severity: 'critical' })]));
    expect(f?.severity).toBe('high');
    expect(evaluateNewBehavior(diff([entry('findings', 'sandbox-probe', { rule: 'sandbox-probe', severity: 'low' })]))).toBeNull();
  });

  it('returns null for an empty diff, removed-only changes, registry traffic and ordinary file noise', () => {
    expect(evaluateNewBehavior(diff([]))).toBeNull();
    expect(evaluateNewBehavior(diff([], stealerAdds))).toBeNull();
    expect(
      evaluateNewBehavior(
        diff([
          entry('hosts', 'dns:registry.npmjs.org', { name: 'registry.npmjs.org' }),
          entry('files', 'write <workdir>/node_modules/demo-pkg/dist/x.js', { op: 'write', path: '<workdir>/node_modules/demo-pkg/dist/x.js' }),
          entry('files', 'read /etc/passwd', { op: 'read', path: '/etc/passwd' }),
          entry('files', 'write ~/.npmrc', { op: 'read', path: '~/.npmrc.bak' }),
          entry('hosts', 'udp:10.255.255.53:53', { protocol: 'udp', address: '10.255.255.53', port: 53 }),
          entry('hosts', 'tcp:127.0.0.1:9229', { protocol: 'tcp', address: '127.0.0.1', port: 9229 }),
        ]),
      ),
    ).toBeNull();
  });

  it('withBaseline adds the finding and re-scores (a quiet update that adds one new host becomes suspicious)', () => {
    const quiet = run(new BehaviorBuilder());
    const updated = withBaseline(quiet, diff([entry('hosts', 'dns:cdn.example', { name: 'cdn.example' })]));
    expect(updated.findings.map((f) => f.rule)).toEqual(['new-behavior']);
    expect(updated.verdict).toBe('suspicious');
    const stolen = withBaseline(run(npmrcStealer()), diff(stealerAdds));
    expect(stolen.verdict).toBe('malicious');
    expect(stolen.findings.map((f) => f.rule)).toContain('new-behavior');
    expect(withBaseline(quiet, diff([]))).toBe(quiet);
  });
});
