import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VetboxError } from '@vetbox/contracts';
import { evaluatePolicy, parsePolicy, policyFromObject, verdictFromFindings, type VetItem } from './index.js';

const FIXTURES = new URL('../../../test/fixtures/lockfiles/policy/', import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');

function policyError(fn: () => unknown): VetboxError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VetboxError);
    expect((err as VetboxError).code).toBe('INVALID_INPUT');
    return err as VetboxError;
  }
  throw new Error('expected INVALID_INPUT');
}

const item = (over: Partial<VetItem> & Pick<VetItem, 'name' | 'version'>): VetItem => ({ ecosystem: 'npm', verdict: 'benign', findings: [], ...over });

describe('parsePolicy', () => {
  it('reads the sample policy; dates stay dates, not timestamps in local time', () => {
    const policy = parsePolicy(read('vetbox.policy.yaml'));
    expect(policy.failOn).toBe('suspicious');
    expect(policy.failOnError).toBe(true);
    expect(policy.exceptions).toHaveLength(3);
    const [first, second] = policy.exceptions;
    expect(first.target).toEqual({ ecosystem: 'npm', name: 'debug', version: '2.6.9' });
    expect(first.expires).toBe('2026-12-31');
    expect(first.expiresAt).toBe('2027-01-01T00:00:00.000Z'); // valid through the whole day, UTC
    expect(second.target).toEqual({ ecosystem: 'pypi', name: 'requests-toolbelt', version: '1.0.0' });
    expect(second.evidenceHash).toBe('9f2c4e1ab0d3');
    expect(second.expiresAt).toBe('2026-06-30T12:00:00.000Z');
  });

  it('defaults: an empty file fails on malicious only, with no exceptions', () => {
    expect(parsePolicy('')).toEqual({ failOn: 'malicious', failOnError: true, failOnIncomplete: false, exceptions: [] });
    expect(parsePolicy('# nothing yet\n')).toEqual({ failOn: 'malicious', failOnError: true, failOnIncomplete: false, exceptions: [] });
  });

  it('lists every problem with its path', () => {
    const err = policyError(() => parsePolicy(read('vetbox.policy.invalid.yaml')));
    const problems = (err.details?.problems ?? []) as string[];
    expect(err.message).toMatch(/^vetbox\.policy\.yaml is invalid:/);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^failOn: /),
        expect.stringMatching(/fail_on_error/), // unknown key: a typo must not be ignored
        expect.stringMatching(/^exceptions\.0\.package: npm exceptions need one exact version/),
        expect.stringMatching(/^exceptions\.0\.rule: rule must be a kebab-case rule id/),
        expect.stringMatching(/^exceptions\.0\.expires: "2026-02-30" is not a date/),
        expect.stringMatching(/^exceptions\.1\.package: package must start with npm: or pypi:/),
        expect.stringMatching(/^exceptions\.0\.reason: reason is required/),
        expect.stringMatching(/^exceptions\.1\.reason: reason must not be empty/),
        expect.stringMatching(/^exceptions\.1\.expires: expires is required/),
      ]),
    );
  });

  it('rejects ranges, unknown ecosystems and impossible dates', () => {
    const base = { rule: 'network-outbound', reason: 'ok', expires: '2026-12-31' };
    expect(policyError(() => policyFromObject({ exceptions: [{ ...base, package: 'npm:debug@^2.6.9' }] })).message).toMatch(/one exact version/);
    expect(policyError(() => policyFromObject({ exceptions: [{ ...base, package: 'cargo:serde@1.0.0' }] })).message).toMatch(/must start with npm: or pypi:/);
    expect(policyError(() => policyFromObject({ exceptions: [{ ...base, package: 'pypi:requests>=2' }] })).message).toMatch(/pypi:<name>==<version>/);
    expect(policyError(() => policyFromObject({ exceptions: [{ ...base, package: 'npm:a@1.0.0', expires: '2026-02-30' }] })).message).toMatch(/exceptions\.0\.expires: "2026-02-30" is not a date/);
    expect(policyError(() => policyFromObject({ exceptions: [{ ...base, package: 'npm:a@1.0.0', expires: 'next week' }] })).message).toMatch(/not a date/);
  });

  it('rejects YAML that is not a mapping or does not parse', () => {
    expect(policyError(() => parsePolicy('- a\n- b\n')).message).toMatch(/must be a mapping/);
    expect(policyError(() => parsePolicy('failOn: [unclosed\n')).message).toMatch(/not valid YAML/);
  });
});

describe('evaluatePolicy', () => {
  const NOW = new Date('2026-11-26T12:00:00Z');

  it('an exception removes its finding and the verdict is recomputed from the rest', () => {
    const policy = policyFromObject({
      failOn: 'malicious',
      exceptions: [{ package: 'npm:evil@1.0.0', rule: 'credential-exfiltration', reason: 'test canary', expires: '2027-01-01' }],
    });
    const items = [
      item({
        name: 'evil',
        version: '1.0.0',
        verdict: 'malicious',
        analysisId: 'a1',
        findings: [
          { rule: 'credential-exfiltration', severity: 'critical' },
          { rule: 'network-outbound', severity: 'medium' },
        ],
      }),
    ];
    const lenient = evaluatePolicy(policy, items, NOW);
    expect(lenient.items[0]).toMatchObject({ effectiveVerdict: 'suspicious', status: 'excepted', analysisId: 'a1' });
    expect(lenient.items[0].remainingFindings.map((f) => f.rule)).toEqual(['network-outbound']);
    expect(lenient.items[0].appliedExceptions).toEqual([expect.objectContaining({ index: 0, rule: 'credential-exfiltration', reason: 'test canary' })]);
    expect(lenient.pass).toBe(true);
    expect(lenient.outcome).toBe('pass');

    const strict = evaluatePolicy({ ...policy, failOn: 'suspicious' }, items, NOW);
    expect(strict.items[0].status).toBe('failed');
    expect(strict.pass).toBe(false);
    expect(strict.counts).toEqual({ failed: 1, passed: 0, excepted: 0, pending: 0, error: 0 });
  });

  it('matches the evidence hash when the exception gives one', () => {
    const policy = policyFromObject({
      failOn: 'suspicious',
      exceptions: [{ package: 'npm:a@1.0.0', rule: 'network-outbound', evidenceHash: 'h1', reason: 'r', expires: '2027-01-01' }],
    });
    const result = evaluatePolicy(
      policy,
      [
        item({ name: 'a', version: '1.0.0', verdict: 'suspicious', findings: [{ rule: 'network-outbound', severity: 'medium', evidenceHash: 'h1' }] }),
        item({ name: 'a', version: '1.0.0', verdict: 'suspicious', findings: [{ rule: 'network-outbound', severity: 'medium', evidenceHash: 'h2' }] }),
        item({ name: 'a', version: '1.0.1', verdict: 'suspicious', findings: [{ rule: 'network-outbound', severity: 'medium', evidenceHash: 'h1' }] }),
      ],
      NOW,
    );
    expect(result.items.map((i) => i.status)).toEqual(['excepted', 'failed', 'failed']);
    expect(result.items[0].effectiveVerdict).toBe('benign');
  });

  it('expired exceptions stop applying and are reported; a date is valid through that day', () => {
    const policy = policyFromObject({
      failOn: 'suspicious',
      exceptions: [{ package: 'pypi:Requests_Toolbelt==1.0.0', rule: 'network-outbound', reason: 'r', expires: '2026-11-26' }],
    });
    const items = [item({ ecosystem: 'pypi', name: 'requests-toolbelt', version: '1.0.0', verdict: 'suspicious', findings: [{ rule: 'network-outbound', severity: 'high' }] })];

    const lastMinute = evaluatePolicy(policy, items, new Date('2026-11-26T23:59:59Z'));
    expect(lastMinute.items[0].status).toBe('excepted'); // PEP 503 names match across spellings
    expect(lastMinute.expiredExceptions).toEqual([]);

    const nextDay = evaluatePolicy(policy, items, new Date('2026-11-27T00:00:00Z'));
    expect(nextDay.items[0].status).toBe('failed');
    expect(nextDay.items[0].appliedExceptions).toEqual([]);
    expect(nextDay.expiredExceptions).toEqual([expect.objectContaining({ index: 0, expires: '2026-11-26', matchedFindings: 1 })]);
    expect(nextDay.pass).toBe(false);
  });

  it('reports active exceptions that matched nothing', () => {
    const policy = parsePolicy(read('vetbox.policy.yaml'));
    const result = evaluatePolicy(policy, [item({ name: 'debug', version: '2.6.9', verdict: 'benign' })], NOW);
    expect(result.unusedExceptions.map((e) => e.index)).toEqual([0]); // #1 expired on 2026-06-30, #2 in 2025
    expect(result.expiredExceptions.map((e) => e.index)).toEqual([1, 2]);
    expect(result.pass).toBe(true);
  });

  it('pending items make the outcome incomplete; errors fail unless failOnError is false', () => {
    const policy = policyFromObject({});
    const pending = evaluatePolicy(policy, [item({ name: 'a', version: '1.0.0' }), item({ name: 'b', version: '1.0.0', verdict: null })], NOW);
    expect(pending.outcome).toBe('incomplete');
    expect(pending.pass).toBe(false);
    expect(pending.items[1]).toMatchObject({ status: 'pending', effectiveVerdict: null });

    const errored = [item({ name: 'a', version: '1.0.0', verdict: 'error' })];
    expect(evaluatePolicy(policy, errored, NOW).outcome).toBe('fail');
    expect(evaluatePolicy({ ...policy, failOnError: false }, errored, NOW)).toMatchObject({ outcome: 'pass', counts: { error: 1 } });
  });

  it('never raises a verdict above the analysed one, and accepts the rules package scoring', () => {
    const policy = policyFromObject({ exceptions: [{ package: 'npm:a@1.0.0', rule: 'minor-thing', reason: 'r', expires: '2027-01-01' }] });
    const items = [
      item({ name: 'a', version: '1.0.0', verdict: 'suspicious', findings: [{ rule: 'minor-thing', severity: 'low' }, { rule: 'big', severity: 'critical' }] }),
    ];
    expect(evaluatePolicy(policy, items, NOW).items[0].effectiveVerdict).toBe('suspicious');
    const custom = evaluatePolicy(policy, items, NOW, { verdictOf: () => 'benign' });
    expect(custom.items[0].effectiveVerdict).toBe('benign');
  });

  it('verdictFromFindings: critical → malicious, high/medium → suspicious, else benign', () => {
    expect(verdictFromFindings([{ severity: 'low' }, { severity: 'critical' }])).toBe('malicious');
    expect(verdictFromFindings([{ severity: 'high' }])).toBe('suspicious');
    expect(verdictFromFindings([{ severity: 'medium' }, { severity: 'info' }])).toBe('suspicious');
    expect(verdictFromFindings([{ severity: 'low' }, { severity: 'info' }])).toBe('benign');
    expect(verdictFromFindings([])).toBe('benign');
  });
});

describe('failOnIncomplete', () => {
  const items = [item({ name: 'broken-import', version: '1.0.0', incomplete: true }), item({ name: 'fine', version: '1.0.0' })];

  it('is off by default: an incomplete benign analysis passes', () => {
    const e = evaluatePolicy(parsePolicy('failOn: malicious\n'), items);
    expect(e.failOnIncomplete).toBe(false);
    expect(e.items.map((i) => i.status)).toEqual(['passed', 'passed']);
  });

  it('fails only the incomplete package when the policy asks for it', () => {
    const e = evaluatePolicy(parsePolicy('failOnIncomplete: true\n'), items);
    expect(e.items.map((i) => i.status)).toEqual(['failed', 'passed']);
    expect(e.outcome).toBe('fail');
  });
});
