import { describe, expect, it } from 'vitest';
import type { Finding, Severity } from '@vetbox/contracts';
import { score, VERDICT_BANDS } from './scoring.js';

function finding(rule: string, severity: Severity): Finding {
  return { rule, severity, title: rule, explanation: '', phase: 'install', evidence: [{ kind: 'process', summary: 'x' }] };
}

describe('score', () => {
  it('no findings: benign, 0', () => {
    expect(score([])).toMatchObject({ verdict: 'benign', score: 0, summary: 'benign: no finding' });
  });

  it('low findings only stay benign however many there are', () => {
    const lows = ['network-activity', 'write-outside-package', 'sandbox-probe', 'downloader-execution', 'typosquatting'].map((r) => finding(r, 'low'));
    const s = score([...lows, ...lows]);
    expect(s.verdict).toBe('benign');
    expect(s.score).toBeGreaterThan(0);
    expect(s.score).toBeLessThanOrEqual(VERDICT_BANDS.benign[1]);
  });

  it('one medium or one uncorroborated high is suspicious', () => {
    expect(score([finding('network-activity', 'medium')])).toMatchObject({ verdict: 'suspicious', score: 20 });
    const high = score([finding('persistence', 'high')]);
    expect(high.verdict).toBe('suspicious');
    expect(high.score).toBe(30);
  });

  it('any critical finding is malicious', () => {
    const s = score([finding('credential-exfiltration', 'critical')]);
    expect(s.verdict).toBe('malicious');
    expect(s.score).toBe(70);
  });

  it('credential-store read plus network activity is malicious (corroborated)', () => {
    const s = score([finding('credential-store-read', 'high'), finding('network-activity', 'medium')]);
    expect(s.verdict).toBe('malicious');
    expect(s.corroboration).toMatch(/credential-store read together with network activity/);
  });

  it('a credential read with only a low (release-host) download is not corroborated', () => {
    expect(score([finding('credential-store-read', 'high'), finding('network-activity', 'low')]).verdict).toBe('suspicious');
  });

  it('two highs of the same category are one signal; of different categories, a chain', () => {
    expect(score([finding('downloader-execution', 'high'), finding('shell-execution', 'high')]).verdict).toBe('suspicious');
    expect(score([finding('shell-execution', 'high'), finding('persistence', 'high')]).verdict).toBe('malicious');
  });

  it('never lowers the score when a finding is added', () => {
    const all = [
      finding('typosquatting', 'low'),
      finding('sandbox-probe', 'medium'),
      finding('network-activity', 'high'),
      finding('persistence', 'high'),
      finding('credential-exfiltration', 'critical'),
    ];
    let last = -1;
    for (let i = 0; i <= all.length; i += 1) {
      const s = score(all.slice(0, i)).score;
      expect(s).toBeGreaterThanOrEqual(last);
      last = s;
    }
    expect(last).toBeLessThanOrEqual(100);
  });

  it('counts a rule once per severity (one finding per phase or host does not inflate the score)', () => {
    const one = score([finding('network-activity', 'high')]).score;
    const many = score([finding('network-activity', 'high'), finding('network-activity', 'high'), finding('network-activity', 'high')]).score;
    expect(many).toBe(one);
  });
});
