import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProgressBar, formatSummary } from './vet.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  const out = Object.assign(new PassThrough(), { isTTY });
  out.on('data', (c: Buffer) => chunks.push(c.toString()));
  return { out, text: () => chunks.join('') };
}

describe('vet progress bar', () => {
  it('estimates the time left from the rate since the first observation', () => {
    let now = 0;
    const { out } = sink(false);
    const bar = new ProgressBar(out, () => now);
    expect(bar.render(100, 1000)).toMatch(/^\[#{3}\.{27}\] 100\/1000 \(10%\) ETA \?/);
    now = 10_000;
    // 100 more in 10 s: 800 left take 80 s.
    expect(bar.render(200, 1000)).toContain('ETA 1m20s');
    expect(bar.render(1000, 1000)).toMatch(/\] 1000\/1000 \(100%\) done/);
  });

  it('redraws one line on a terminal; in CI logs prints a line per tenth', () => {
    let now = 0;
    const tty = sink(true);
    const bar = new ProgressBar(tty.out, () => now);
    bar.update(1, 10);
    bar.update(2, 10);
    bar.finish();
    expect(tty.text()).toMatch(/^\r\[.*\] 1\/10.*\r\[.*\] 2\/10.*\n$/s);

    const log = sink(false);
    const quiet = new ProgressBar(log.out, () => now);
    for (let done = 0; done <= 100; done++) {
      now += 100;
      quiet.update(done, 100);
    }
    expect(log.text().trim().split('\n')).toHaveLength(11);
  });
});

describe('vet summary', () => {
  it('counts by verdict, then every package that is not a plain pass, then the outcome', () => {
    const text = formatSummary(
      {
        id: 'b',
        total: 3,
        done: 3,
        counts: { malicious: 1, suspicious: 0, benign: 2, error: 0, pending: 0 },
        pass: false,
        outcome: 'fail',
        summary: 'FAIL: 1 failed, 1 passed, 1 excepted (fail on malicious)',
        policy: { failOn: 'malicious', failOnError: true, exceptions: 1 },
        expiredExceptions: [{ package: 'npm:old@1.0.0', rule: 'x', expires: '2020-01-01' }],
        items: [
          { ecosystem: 'npm', name: 'ok', version: '1.0.0', line: 2, policyStatus: 'passed', verdict: 'benign', effectiveVerdict: 'benign', topFindings: [], exceptedFindings: [] },
          { ecosystem: 'npm', name: 'evil', version: '6.6.6', line: 3, policyStatus: 'failed', verdict: 'malicious', effectiveVerdict: 'malicious', topFindings: [{ rule: 'credential-exfiltration', severity: 'critical' }], exceptedFindings: [] },
          { ecosystem: 'pypi', name: 'tele', version: '2.0', line: 4, policyStatus: 'excepted', verdict: 'malicious', effectiveVerdict: 'benign', topFindings: [], exceptedFindings: [{ rule: 'network-outbound', reason: 'ours', expires: '2026-12-31' }] },
        ],
        skipped: [{ raw: 'npm:x@^1', name: 'x', line: 5, reason: 'not-pinned', message: 'range' }],
      },
      'allow.txt',
    );
    expect(text).toContain('vetbox vet allow.txt: 3 package versions, 1 not vetted (fail on malicious)');
    expect(text).toMatch(/malicious\s+1\n/);
    expect(text).not.toMatch(/npm:ok@1\.0\.0/);
    expect(text).toMatch(/FAILED\s+malicious\s+npm:evil@6\.6\.6\s+3\s+credential-exfiltration \(critical\)/);
    expect(text).toMatch(/EXCEPTED\s+benign\s+pypi:tele==2\.0\s+4\s+network-outbound excepted until 2026-12-31: ours/);
    expect(text).toContain('exception for npm:old@1.0.0 (x) expired 2020-01-01');
    expect(text.trimEnd().split('\n').at(-1)).toBe('FAIL: 1 failed, 1 passed, 1 excepted (fail on malicious)');
  });

  it('names versions on a known-malicious list first, with the record', () => {
    const item = (name: string, topFindings: Array<{ rule: string; severity: string; title?: string }>) => ({
      ecosystem: 'npm',
      name,
      version: '1.0.0',
      policyStatus: 'failed',
      verdict: 'malicious',
      effectiveVerdict: 'malicious',
      topFindings,
      exceptedFindings: [],
    });
    const text = formatSummary(
      {
        id: 'b',
        total: 2,
        done: 2,
        counts: { malicious: 2, suspicious: 0, benign: 0, error: 0, pending: 0 },
        pass: false,
        outcome: 'fail',
        summary: 'FAIL: 2 failed (fail on malicious)',
        policy: { failOn: 'malicious', failOnError: true, exceptions: 0 },
        expiredExceptions: [],
        items: [
          item('loud', [{ rule: 'credential-exfiltration', severity: 'critical' }]),
          item('quiet', [{ rule: 'known-malicious', severity: 'critical', title: 'Known malicious: MAL-2026-42' }]),
        ],
        skipped: [],
      },
      'package-lock.json',
    );
    const rows = text.split('\n').filter((l) => l.includes('FAILED'));
    expect(rows[0]).toMatch(/FAILED\s+malicious\s+npm:quiet@1\.0\.0\s+KNOWN MALICIOUS \(MAL-2026-42\)$/);
    expect(rows[1]).toContain('npm:loud@1.0.0');
  });
});
