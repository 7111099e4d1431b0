import { describe, expect, it } from 'vitest';
import { emptyBehavior, type SandboxInfo } from '@vetbox/contracts';
import { judge, rescoreReport, type JudgeInput } from './judge.js';

const sandbox = (user: string): SandboxInfo => ({
  image: 'vetbox-sandbox:test',
  hostname: `dev-${user}`,
  user,
  home: `/home/${user}`,
  workdir: `/home/${user}/project`,
  packageDirs: [`/home/${user}/project/node_modules/tidy`],
  network: 'sinkhole',
});

function input(version: string, user: string, steal: boolean): JudgeInput {
  const behavior = emptyBehavior();
  if (steal) {
    behavior.files.push({ phase: 'install', pid: 40, path: `/home/${user}/.npmrc`, op: 'read', result: 'ok' });
    behavior.network.dns.push({ phase: 'install', name: 'collect.tidy.example', type: 'A' });
  }
  return {
    analysisId: `a-${version}`,
    analyzerVersion: 'test',
    package: { ecosystem: 'npm', name: 'tidy', version, sha256: 'a'.repeat(64), source: 'upload' },
    behavior,
    canaries: [],
    sandbox: sandbox(user),
    phases: [{ name: 'install', status: 'completed', exitCode: 0, durationMs: 10, stdoutTail: '', stderrTail: '' }],
  };
}

describe('new-behavior evidence', () => {
  it('points at rows of the stored change list, and a rescore keeps the same rows', () => {
    const base = judge(input('1.0.0', 'anna', false));
    const report = judge({ ...input('1.0.1', 'priya', true), baseline: base });
    const evidenceOf = (findings: typeof report.findings) => findings.find((f) => f.rule === 'new-behavior')!.evidence.map((e) => [e.kind, e.index]);
    const judged = evidenceOf(report.findings);
    expect(judged.length).toBeGreaterThan(0);
    for (const [kind, index] of judged) {
      expect(kind).toBe('diff');
      expect(index).toEqual(expect.any(Number));
    }
    expect(evidenceOf(rescoreReport(report).findings)).toEqual(judged);
  });
});
