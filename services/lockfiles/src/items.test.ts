import { describe, expect, it } from 'vitest';
import type { Finding } from '@vetbox/contracts';
import { evaluatePolicy, policyFromObject, summaryLine, toVetItem } from './index.js';

describe('toVetItem and summaryLine', () => {
  const entry = { ecosystem: 'npm' as const, name: 'debug', version: '2.6.9', line: 39 };
  const finding: Finding = {
    rule: 'network-outbound',
    severity: 'medium',
    title: 'Connected out',
    explanation: 'to 203.0.113.7',
    phase: 'install',
    evidence: [],
    evidenceHash: 'h1',
  };

  it('keeps what the policy and exports need from a report, and nothing else', () => {
    expect(toVetItem(entry, { analysisId: 'a1', verdict: 'suspicious', findings: [finding] })).toEqual({
      ...entry,
      analysisId: 'a1',
      verdict: 'suspicious',
      findings: [{ rule: 'network-outbound', severity: 'medium', title: 'Connected out', explanation: 'to 203.0.113.7', evidenceHash: 'h1' }],
    });
    expect(toVetItem(entry)).toEqual({ ...entry, verdict: null, findings: [] });
  });

  it('summarises an evaluation in one line', () => {
    const policy = policyFromObject({ failOn: 'suspicious', exceptions: [{ package: 'npm:a@1.0.0', rule: 'x', reason: 'r', expires: '2020-01-01' }] });
    const items = [
      toVetItem(entry, { verdict: 'suspicious', findings: [finding] }),
      toVetItem({ ...entry, name: 'b' }, { verdict: 'benign' }),
      toVetItem({ ...entry, name: 'c' }),
      toVetItem({ ...entry, name: 'd' }, { verdict: 'error' }),
    ];
    expect(summaryLine(evaluatePolicy(policy, items, new Date('2026-11-26T00:00:00Z')))).toBe(
      'FAIL: 1 failed, 1 passed, 1 error, 1 pending (fail on suspicious; 1 expired exception(s))',
    );
  });
});
