import { describe, expect, it } from 'vitest';
import { validateOsv } from './__fixtures__/osv-schema.js';
import { stealerReport } from './__fixtures__/reports.js';
import { buildOsvRecord, hasOsvRecord, type OsvInput } from './osv.js';

function input(report = stealerReport()): OsvInput {
  return {
    id: 'VBX-2026-7',
    published: new Date('2026-12-01T10:00:00.123Z'),
    modified: new Date('2026-12-02T11:00:00Z'),
    analysisId: report.analysisId!,
    report,
    links: {
      analysis: `https://vetbox.example/analyses/${report.analysisId}`,
      report: `https://vetbox.example/v1/analyses/${report.analysisId}/report`,
      indicators: `https://vetbox.example/v1/analyses/${report.analysisId}/indicators`,
    },
  };
}

describe('buildOsvRecord', () => {
  const record = buildOsvRecord(input());

  it('is a valid OSV 1.6 record', () => {
    expect(validateOsv(record), JSON.stringify(validateOsv.errors)).toBe(true);
    expect(record).toMatchObject({ schema_version: '1.6.0', id: 'VBX-2026-7', published: '2026-12-01T10:00:00Z', modified: '2026-12-02T11:00:00Z' });
  });

  it('names the package and exact version it judged, with a purl and the archive hash', () => {
    expect(record.affected).toEqual([
      { package: { ecosystem: 'npm', name: 'vbx-stealer', purl: 'pkg:npm/vbx-stealer' }, versions: ['2.0.1'], database_specific: { artifact: { source: 'registry', sha256: 'c'.repeat(64) } } },
    ]);
    expect(record.summary).toBe('Malicious code in vbx-stealer (npm)');
  });

  it('writes details from the findings, phase by phase, with package-controlled text as code', () => {
    const d = record.details;
    expect(d).toContain('judged it **malicious** (score 97/100)');
    const install = d.indexOf('### On install (npm install: lifecycle scripts)');
    const imported = d.indexOf('### On import');
    const phaseless = d.indexOf('### Independent of any phase');
    expect(install).toBeGreaterThan(0);
    expect(imported).toBeGreaterThan(install);
    expect(phaseless).toBeGreaterThan(imported);
    expect(d.slice(install, imported)).toContain('**A planted credential left the sandbox** (credential-exfiltration, critical)');
    expect(d.slice(imported, phaseless)).toContain('dropped-executable-run');
    expect(d).toContain('`env-npm canary (NPM_TOKEN) leaked via http to collector.example (base64)`');
  });

  it('shows no sandbox-internal address in the text: the sinkhole answer is named as such', () => {
    expect(record.details).toContain('`node s.js: TCP connect to collector.example (sinkhole):80`');
    expect(record.details).toContain('203.0.113.9:4444');
    expect(JSON.stringify(record)).not.toContain('198.18.0.7');
  });

  it('keeps evidence from breaking out of its code span', () => {
    const report = stealerReport();
    report.findings[0]!.evidence[0]!.summary = 'x` <img src=x onerror=alert(1)>\n# heading';
    const details = buildOsvRecord(input(report)).details;
    expect(details).toContain("`x' <img src=x onerror=alert(1)> # heading`");
    expect(details).not.toMatch(/^# heading/m);
  });

  it('carries the indicators, findings and analysis link in database_specific, and links the report', () => {
    const db = record.database_specific as { analysis: string; indicators: Array<{ type: string; value: string }>; findings: unknown[] };
    expect(db.analysis).toBe('https://vetbox.example/analyses/5b1f0c52-2f7e-4a51-9a43-0d9a3c1f7e21');
    expect(db.indicators.map((i) => `${i.type}:${i.value}`)).toEqual(expect.arrayContaining(['domain:collector.example', 'ip:203.0.113.9']));
    expect(db.findings).toHaveLength(6);
    expect(record.references.map((r) => r.type)).toEqual(['REPORT', 'EVIDENCE', 'DETECTION', 'PACKAGE']);
    expect(record.references[3]!.url).toBe('https://www.npmjs.com/package/vbx-stealer');
  });

  it('lists known-malicious records naming the version as aliases, and PyPI names as OSV spells them', () => {
    const report = stealerReport();
    report.package = { ...report.package, ecosystem: 'pypi', name: 'Vbx_Stealer', source: 'upload' };
    report.knownMalicious = [{ id: 'MAL-2026-42', source: 'fixture-list', sourceDate: '2026-11-02T08:00:00.000Z', modified: '2026-11-02T08:00:00.000Z' }];
    const r = buildOsvRecord(input(report));
    expect(validateOsv(r), JSON.stringify(validateOsv.errors)).toBe(true);
    expect(r.aliases).toEqual(['MAL-2026-42']);
    expect(r.affected[0]!.package).toEqual({ ecosystem: 'PyPI', name: 'Vbx_Stealer', purl: 'pkg:pypi/vbx-stealer' });
    expect(r.references.map((x) => x.type)).not.toContain('PACKAGE');
  });

  it('the schema rejects what OSV forbids (it can fail)', () => {
    expect(validateOsv({ ...record, modified: '2026-12-02 11:00' })).toBe(false);
    expect(validateOsv({ ...record, id: 'NOPE-1' })).toBe(false);
    expect(validateOsv({ ...record, affected: [{ package: { ecosystem: 'npmjs', name: 'x' } }] })).toBe(false);
    expect(validateOsv({ ...record, references: [{ type: 'LINK', url: 'https://x.example' }] })).toBe(false);
  });
});

describe('hasOsvRecord', () => {
  it('only for malicious and suspicious verdicts', () => {
    expect(['malicious', 'suspicious', 'benign', 'error'].map((verdict) => hasOsvRecord({ verdict: verdict as never }))).toEqual([true, true, false, false]);
  });
});
