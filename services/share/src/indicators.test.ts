import { describe, expect, it } from 'vitest';
import { stealerReport } from './__fixtures__/reports.js';
import { indicatorCsvHeader, indicatorCsvRows, csvField } from './csv.js';
import { extractIndicators } from './indicators.js';

describe('extractIndicators', () => {
  const indicators = extractIndicators(stealerReport());
  const values = indicators.map((i) => `${i.type}:${i.value}${i.port ? `:${i.port}` : ''}`);

  it('lists the exfiltration host, its URL and the hard-coded address, each with its phase and findings', () => {
    expect(values).toEqual(['domain:collector.example', 'ip:203.0.113.9:4444', 'url:http://collector.example/c', 'sha256:' + 'a'.repeat(64), 'path:~/.bashrc']);
    expect(indicators.find((i) => i.value === 'collector.example')).toMatchObject({
      phase: 'install',
      findings: ['credential-exfiltration', 'network-activity'],
      severity: 'critical',
    });
    expect(indicators.find((i) => i.value === '203.0.113.9')).toMatchObject({ protocol: 'tcp', findings: ['network-activity'], severity: 'high' });
    expect(indicators.find((i) => i.value === 'a'.repeat(64))).toMatchObject({ phase: 'import', context: '/tmp/.cache/upd', findings: ['dropped-executable-run'] });
  });

  it('never lists what the sandbox owns: sinkhole answers, the LAN gateway, the persona public address and host name', () => {
    const all = JSON.stringify(indicators);
    for (const internal of ['198.18.0.7', '192.168.178.1', '203.0.113.200', 'dana-thinkpad-x1', '/home/dana-okafor']) expect(all).not.toContain(internal);
  });

  it('leaves out what only low findings cite (a release download from a declared host)', () => {
    expect(values.join()).not.toContain('releases.vbx-stealer.example');
  });

  it('decides "sinkhole answer" from the report, not a fixed range: a public-looking answer is internal too', () => {
    const report = stealerReport();
    report.behavior.network.dns[0]!.answer = '93.184.216.34';
    report.behavior.network.connections[1]!.address = '93.184.216.34';
    report.behavior.network.http[0]!.destination = { address: '93.184.216.34', port: 80 };
    const out = JSON.stringify(extractIndicators(report));
    expect(out).not.toContain('93.184.216.34');
    expect(out).toContain('collector.example');
    // The old 198.18.x address, no longer an answer, is what the package contacted if cited.
    report.behavior.network.connections[1]!.address = '198.18.0.7';
    expect(JSON.stringify(extractIndicators(report))).toContain('198.18.0.7');
  });

  it('counts IPv6 (AAAA) answers as the sinkhole\'s too, next to answers of other types', () => {
    const report = stealerReport();
    report.behavior.network.dns.push({ phase: 'install', name: 'collector.example', type: 'TXT', answer: 'v=spf1 -all' }, { phase: 'install', name: 'collector.example', type: 'AAAA', answer: '2001:db8::7' });
    report.behavior.network.connections.push({ phase: 'install', pid: 119, protocol: 'tcp', family: 'inet6', syscall: 'connect', address: '2001:db8::7', port: 443, result: 'ok' });
    report.findings[1]!.evidence.push({ kind: 'connection', index: 3, summary: 'TCP connect to [2001:db8::7]:443' });
    const out = JSON.stringify(extractIndicators(report));
    expect(out).not.toContain('2001:db8::7');
    expect(out).toContain('203.0.113.9');
  });

  it('reads reports made before DNS answers were recorded: a looked-up name carried by a connection marks its address', () => {
    const report = stealerReport();
    for (const q of report.behavior.network.dns) delete q.answer;
    const out = JSON.stringify(extractIndicators(report));
    expect(out).not.toContain('198.18.0.7');
    expect(out).toContain('203.0.113.9');
  });

  it('is empty for a report without findings', () => {
    expect(extractIndicators({ ...stealerReport(), findings: [] })).toEqual([]);
  });
});

describe('indicator CSV', () => {
  it('writes one row per indicator with the analysis and package, quoting and defusing formulas', () => {
    const report = stealerReport();
    const csv = indicatorCsvHeader() + indicatorCsvRows({ analysisId: 'a1', package: report.package, verdict: 'malicious', indicators: extractIndicators(report) });
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('analysis_id,ecosystem,package,version,verdict,type,value,port,protocol,phase,findings,severity,context');
    expect(lines[1]).toBe('a1,npm,vbx-stealer,2.0.1,malicious,domain,collector.example,,,install,credential-exfiltration;network-activity,critical,');
    expect(lines).toHaveLength(6);
    expect(csvField('=HYPERLINK("http://x.example")')).toBe(`"'=HYPERLINK(""http://x.example"")"`);
    expect(csvField('a,b')).toBe('"a,b"');
  });
});
