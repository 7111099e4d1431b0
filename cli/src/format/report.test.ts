import { describe, expect, it } from 'vitest';
import { Report } from '@vetbox/contracts';
import { diffReports } from '@vetbox/diff';
import { benignReport, maliciousReport } from './__fixtures__/report.js';
import { formatDiff } from './diff.js';
import { formatReport } from './report.js';
import { clean } from './text.js';

describe('report fixtures', () => {
  it('match the Report contract', () => {
    expect(Report.safeParse(maliciousReport).error).toBeUndefined();
    expect(Report.safeParse(benignReport).error).toBeUndefined();
  });
});

describe('formatReport', () => {
  const text = formatReport(maliciousReport);

  it('leads with verdict, score, package and summary', () => {
    const [first, second] = text.split('\n');
    expect(first).toBe('MALICIOUS  score 97/100  npm:imitation-stealer@1.0.1  (uploaded archive, sha256 3f2a9c1d7e5b…, 612 B)');
    expect(second).toBe('malicious: credential-exfiltration (critical), credential-store-read (high), network-activity (high)');
  });

  it('lists findings with severity, rule, title and evidence', () => {
    expect(text).toContain('Findings (3)');
    expect(text).toMatch(/CRITICAL {2}credential-exfiltration {2}A planted credential left the sandbox {2}\[install\]/);
    expect(text).toContain('- env-npm canary (NPM_TOKEN) leaked via http to collector.example (base64)');
    expect(text).toContain('- node collect.js read ~/.npmrc');
    expect(text).toMatch(/HIGH {6}network-activity {2}Contacts collector\.example during install/);
    // Severity order is the report's own (critical first).
    expect(text.indexOf('credential-exfiltration')).toBeLessThan(text.indexOf('network-activity'));
  });

  it('draws the process tree with phases and exits, hiding housekeeping', () => {
    expect(text).toContain('Processes (4, 1 housekeeping hidden)');
    expect(text).not.toContain('npm rebuild');
    const lines = text.split('\n');
    const sh = lines.findIndex((l) => l.includes('sh -c node collect.js'));
    expect(lines[sh]).toMatch(/^ {2}install {2}sh -c node collect\.js +exit 0$/);
    expect(lines[sh + 1]).toMatch(/^ {2}install {4}└ node collect\.js +exit 0$/);
    expect(lines[sh + 2]).toMatch(/^ {2}install {6}└ sh -c echo \\x1b\[2Jcleared +still running$/);
    expect(text).toMatch(/import +node -e require\('imitation-stealer'\) +exit 0/);
  });

  it('shows DNS, connections with hostname, and HTTP requests', () => {
    expect(text).toContain('DNS lookups (1)');
    expect(text).toMatch(/install {2}collector\.example {2}A/);
    expect(text).toContain('Connections (2)');
    expect(text).toMatch(/install {2}udp {2}10\.255\.255\.53:53 +ok/);
    expect(text).toMatch(/install {2}tcp {2}198\.18\.0\.7:80 +collector\.example {2}EINPROGRESS {2}sent 2\.3 KiB/);
    expect(text).toMatch(/install {2}http {2}POST collector\.example\/c {2}body 2\.1 KiB/);
  });

  it('names leaked canaries with channel, destination and encoding, and read-only ones apart', () => {
    expect(text).toContain('Leaked canaries (1)');
    expect(text).toContain('  env-npm (NPM_TOKEN) via http to collector.example [base64]');
    expect(text).toContain('Canary files read but not sent: ~/.npmrc');
    expect(text).not.toContain('id_ed25519');
  });

  it('keeps a canary carried by hundreds of lookups to one line: routes per domain, counted', () => {
    const dns = (i: number, domain: string) => ({ encoding: 'hex' as const, channel: 'dns' as const, destination: `${i.toString(16)}.c${i % 3}.${domain}`, phase: 'install' as const, pid: 7, index: i });
    const hostname = {
      kind: 'identity' as const,
      planted: 'hostname',
      read: null,
      leaked: true,
      evidence: [...Array.from({ length: 200 }, (_, i) => dns(i, 'collect.invalid')), ...['a.example', 'b.example', 'c.example', 'd.example', 'e.example'].map((d, i) => dns(500 + i, d))],
      valuePreview: 'maya-thinkpad',
    };
    const many = formatReport(Report.parse({ ...maliciousReport, canaries: [hostname] }));
    const line = many.split('\n').find((l) => l.startsWith('  identity (hostname)'));
    expect(line).toBe('  identity (hostname) via dns to collect.invalid (200 times), dns to a.example, dns to b.example, dns to c.example, 2 more destinations [hex]');
  });

  it('never passes terminal control characters through', () => {
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });

  it('says "none" for a quiet package', () => {
    const quiet = formatReport(benignReport);
    expect(quiet.split('\n')[0]).toMatch(/^BENIGN {2}score 0\/100 {2}npm:tiny-benign@1\.0\.0/);
    expect(quiet).toContain('Findings: none');
    expect(quiet).toContain('Processes: none (1 housekeeping process hidden)');
    expect(quiet).toContain('Network: no activity');
    expect(quiet).toContain('Leaked canaries: none');
  });

  it('caps long lists and says how many were left out', () => {
    const many: Report = {
      ...maliciousReport,
      behavior: {
        ...maliciousReport.behavior,
        network: {
          ...maliciousReport.behavior.network,
          dns: Array.from({ length: 12 }, (_, i) => ({ phase: 'install' as const, name: `h${i}.example`, type: 'A' })),
        },
      },
    };
    const out = formatReport(many, { maxNetworkRows: 5 });
    expect(out).toContain('h4.example');
    expect(out).not.toContain('h5.example');
    expect(out).toContain('… 7 more lookups');
  });

  it('lists what changed since the baseline, added first', () => {
    const entry = (category: 'hosts' | 'files', summary: string) => ({ category, key: summary, summary, phases: ['install' as const], detail: {} });
    const empty = { hosts: [], processes: [], files: [], canaries: [], findings: [] };
    const compared: Report = {
      ...maliciousReport,
      baseline: {
        version: '1.0.0',
        added: { ...empty, hosts: [entry('hosts', 'DNS lookup of collector.example')], files: [entry('files', 'read ~/.npmrc')] },
        removed: { ...empty, files: [entry('files', 'read ~/old.txt')] },
      },
    };
    expect(Report.safeParse(compared).error).toBeUndefined();
    const out = formatReport(compared);
    expect(out).toContain('compared with 1.0.0');
    expect(out).toContain('Since 1.0.0: 2 added, 1 removed\n  + hosts      DNS lookup of collector.example\n  + files      read ~/.npmrc\n  - files      read ~/old.txt\n');
    expect(formatReport(maliciousReport)).not.toContain('Since ');
  });

  it('shows an analysis error', () => {
    const failed: Report = { ...benignReport, verdict: 'error', error: { code: 'SANDBOX_FAILED', message: 'container exited\n\u001b[31m' } };
    expect(formatReport(failed)).toContain('Error: SANDBOX_FAILED: container exited\\n\\x1b[31m');
  });
});

describe('formatDiff', () => {
  it('prints added items with + before removed ones with -', () => {
    const diff = diffReports(benignReport, maliciousReport);
    const out = formatDiff(diff, { base: 'tiny-benign@1.0.0', target: 'imitation-stealer@1.0.1' });
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^tiny-benign@1\.0\.0 → imitation-stealer@1\.0\.1: \d+ added, 0 removed$/);
    expect(out).toMatch(/^\+ hosts {6}DNS lookup of collector\.example {2}\[install\]$/m);
    expect(out).toMatch(/^\+ files {6}read ~\/\.npmrc/m);
    expect(out).toMatch(/^\+ canaries {3}leaked the env-npm canary NPM_TOKEN \(base64\)/m);
    expect(out).not.toMatch(/^- /m);

    const back = formatDiff(diffReports(maliciousReport, benignReport), { base: 'b', target: 'a' });
    expect(back).toMatch(/^- hosts {6}DNS lookup of collector\.example/m);
    expect(back).not.toMatch(/^\+ /m);
  });

  it('says so when nothing changed', () => {
    expect(formatDiff(diffReports(benignReport, benignReport), { base: 'a', target: 'b' })).toBe('a → b: 0 added, 0 removed\nNo behavior differences.\n');
  });
});

describe('clean', () => {
  it('escapes control characters and truncates', () => {
    expect(clean('a\u001b[2Jb\nc\u0007')).toBe('a\\x1b[2Jb\\nc\\x07');
    expect(clean('x'.repeat(20), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});

describe('formatReport: static code and incompleteness', () => {
  const report: Report = {
    ...benignReport,
    verdict: 'suspicious',
    summary: 'suspicious: static-code-execution (medium) (incomplete: install exit code 1: ModuleNotFoundError: No module named \'x\')',
    incomplete: true,
    incompletePhases: [{ phase: 'install', reason: "exit code 1: ModuleNotFoundError: No module named 'x'" }],
    static: {
      filesAnalyzed: 1, bytesAnalyzed: 120, filesInPackage: 2, entryPoints: ['setup.py'], durationMs: 3,
      signals: [{ kind: 'exec-decoded', file: 'setup.py', line: 2, snippet: 'exec(zlib.decompress(base64.b64decode(b\'eJ\\x1b…\')))', detail: 'exec() of zlib(base64(…))', reach: ['install'], decoded: { transforms: ['base64', 'zlib'], bytes: 40, preview: 'import os\\nprint(1)' } }],
    },
  };
  const text = formatReport(report);

  it('names the failed phase under the summary', () => {
    expect(text.split('\n')[2]).toBe("INCOMPLETE: install exit code 1: ModuleNotFoundError: No module named 'x'");
  });

  it('shows each signal with file, line, escaped snippet and the decoded layer', () => {
    expect(text).toContain('Static code (1 file read, 1 signal)');
    expect(text).toMatch(/exec-decoded +setup\.py:2 {2}exec\(\) of zlib\(base64\(…\)\)/);
    expect(text).toContain("| exec(zlib.decompress(base64.b64decode(b'eJ\\x1b…')))");
    expect(text).toContain('decoded base64 → zlib: import os\\nprint(1)');
  });
});
