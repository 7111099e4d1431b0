import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import AjvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import {
  evaluatePolicy,
  parseLockfile,
  policyFromObject,
  toCsv,
  toJson,
  toSarif,
  type VetItem,
  type VetReport,
} from './index.js';

// The SARIF 2.1.0 schema as shipped by Microsoft's own SARIF SDK (@microsoft/jest-sarif): the
// final 2.1.0 "rtm.5" schema, written in JSON Schema draft-04, hence ajv-draft-04.
// CommonJS modules that also set `.default` on themselves: `.default` works under Node and vitest.
const Ajv = AjvDraft04.default;
const addFormats = ajvFormats.default;
const require = createRequire(import.meta.url);
const schemaPath = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
const sarifSchema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
// unicodeRegExp off: the schema's `language` pattern has a stray `]` that only non-unicode
// regular expressions (as in the JSON Schema validators of its day) accept.
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validateSarif = ajv.compile(sarifSchema);

function expectValidSarif(log: unknown): void {
  const valid = validateSarif(log);
  expect(validateSarif.errors ?? [], JSON.stringify(validateSarif.errors, null, 2)).toEqual([]);
  expect(valid).toBe(true);
}

const FIXTURES = new URL('../../../test/fixtures/lockfiles/', import.meta.url);
const NOW = new Date('2026-11-26T12:00:00Z');

/** A batch over the real npm v3 fixture with made-up analysis results. */
function sampleReport(policyInput: unknown = {}): VetReport {
  const parsed = parseLockfile(readFileSync(new URL('npm/package-lock.v3.json', FIXTURES), 'utf8'), 'package-lock.json');
  const outcomes: Record<string, Pick<VetItem, 'verdict' | 'findings'>> = {
    'debug@2.6.9': {
      verdict: 'malicious',
      findings: [
        {
          rule: 'credential-exfiltration',
          severity: 'critical',
          title: 'Sent a planted credential out of the sandbox',
          explanation: 'The AWS canary left via HTTP POST to 203.0.113.7:4444, "quoted", with a comma',
          evidenceHash: 'e1',
        },
        { rule: 'network-outbound', severity: 'medium', title: 'Connected to a non-registry host during install' },
      ],
    },
    'ms@2.0.0': { verdict: 'suspicious', findings: [{ rule: 'network-outbound', severity: 'medium', title: 'Connected to a non-registry host during install' }] },
    'is-number@7.0.0': { verdict: 'error', findings: [] },
    'escape-html@1.0.3': { verdict: null, findings: [] },
  };
  const items: VetItem[] = parsed.entries.map((e, i) => ({
    ...e,
    analysisId: `an-${i}`,
    ...(outcomes[`${e.name}@${e.version}`] ?? { verdict: 'benign', findings: [{ rule: 'install-script', severity: 'info', title: 'Has an install script' }] }),
  }));
  return {
    batchId: 'batch-1',
    lockfile: { path: 'services/app/package-lock.json', format: parsed.format },
    evaluation: evaluatePolicy(policyFromObject(policyInput), items, NOW),
    skipped: parsed.skipped,
  };
}

/** Minimal RFC 4180 reader, to check what toCsv wrote reads back to the same fields. */
function readCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  return rows;
}

describe('toSarif', () => {
  it('the schema validator rejects broken SARIF (so a pass means something)', () => {
    expect(validateSarif({ version: '2.1.0', runs: [{ tool: { driver: {} } }] })).toBe(false);
    expect(validateSarif({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, level: 'fatal' }] }] })).toBe(false);
    const zeroLine = { physicalLocation: { artifactLocation: { uri: 'a' }, region: { startLine: 0 } } };
    expect(validateSarif({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, locations: [zeroLine] }] }] })).toBe(false);
  });

  it('a failing batch: valid SARIF 2.1.0, one result per failing finding at the package line', () => {
    const report = sampleReport();
    const log = toSarif(report, { toolVersion: '0.1.0' });
    expectValidSarif(log);
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const run = log.runs[0];
    expect(run.tool.driver.name).toBe('vetbox');
    // failOn malicious: debug fails (both findings), ms is only suspicious, is-number errored.
    const results = run.results ?? [];
    expect(results.map((r) => `${r.ruleId}:${r.level}:${r.locations?.[0].physicalLocation?.region?.startLine}`)).toEqual([
      'credential-exfiltration:error:39',
      'network-outbound:warning:39',
      'analysis-error:error:57',
    ]);
    expect(run.tool.driver.rules?.map((r) => r.id)).toEqual(['credential-exfiltration', 'network-outbound', 'analysis-error']);
    expect(run.tool.driver.rules?.[0].properties?.['security-severity']).toBe('9.5');
    for (const r of results) {
      expect(r.locations?.[0].physicalLocation?.artifactLocation?.uri).toBe('services/app/package-lock.json');
      expect(run.tool.driver.rules?.[r.ruleIndex!].id).toBe(r.ruleId);
    }
    expect(results[0].message.text).toMatch(/^npm:debug@2\.6\.9: Sent a planted credential/);
    expect(results[0].partialFingerprints?.['vetboxFinding/v1']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('lockfilePath overrides the stored path and is encoded as a URI reference', () => {
    const log = toSarif(sampleReport(), { lockfilePath: '.\\my app\\package-lock.json' });
    expectValidSarif(log);
    expect(log.runs[0].results?.[0].locations?.[0].physicalLocation?.artifactLocation?.uri).toBe('my%20app/package-lock.json');
  });

  it('include: all adds passing findings and excepted ones as suppressed results', () => {
    const report = sampleReport({
      failOn: 'suspicious',
      exceptions: [{ package: 'npm:ms@2.0.0', rule: 'network-outbound', reason: 'Reviewed: talks to our mirror', expires: '2027-01-01' }],
    });
    expect(report.evaluation.items.find((i) => i.name === 'ms' && i.version === '2.0.0')?.status).toBe('excepted');
    const log = toSarif(report, { include: 'all' });
    expectValidSarif(log);
    const results = log.runs[0].results ?? [];
    const suppressed = results.filter((r) => r.suppressions?.length);
    expect(suppressed).toHaveLength(1);
    expect(suppressed[0]).toMatchObject({ ruleId: 'network-outbound', locations: [{ physicalLocation: { region: { startLine: 47 } } }] });
    expect(suppressed[0].suppressions?.[0].justification).toMatch(/Reviewed: talks to our mirror/);
    expect(results.some((r) => r.ruleId === 'install-script' && r.level === 'note')).toBe(true);
    // Entries that were not analysed show as notes where they sit in the lockfile.
    const notVetted = results.filter((r) => r.ruleId === 'not-vetted');
    expect(notVetted.map((r) => r.locations?.[0].physicalLocation?.region?.startLine)).toEqual([27, 66]);
    expect(notVetted[0].message.text).toMatch(/^@fixture\/app: not vetted \(link\)/);
  });

  it('a failing verdict without findings still shows up', () => {
    const evaluation = evaluatePolicy(policyFromObject({}), [{ ecosystem: 'pypi', name: 'x', version: '1.0', verdict: 'malicious', findings: [], line: 3 }], NOW);
    const log = toSarif({ evaluation, lockfile: { format: 'requirements' } });
    expectValidSarif(log);
    expect(log.runs[0].results?.map((r) => [r.ruleId, r.message.text, r.locations?.[0].physicalLocation?.artifactLocation?.uri])).toEqual([
      ['failing-verdict', 'pypi:x==1.0: verdict malicious fails the policy', 'requirements.txt'],
    ]);
  });

  it('a passing batch is valid SARIF with no results', () => {
    const report = sampleReport();
    const passing: VetReport = { ...report, evaluation: evaluatePolicy(policyFromObject({}), [], NOW) };
    const log = toSarif(passing);
    expectValidSarif(log);
    expect(log.runs[0].results).toEqual([]);
  });
});

describe('toCsv and toJson', () => {
  it('CSV is RFC 4180 and reads back to the same fields, skipped entries included', () => {
    const report = sampleReport();
    const csv = toCsv(report);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(csv.split('\r\n')[0]).toBe('ecosystem,name,version,line,status,verdict,effective_verdict,findings,excepted_findings,analysis_id,note');
    const rows = readCsv(csv);
    expect(rows).toHaveLength(1 + report.evaluation.items.length + (report.skipped?.length ?? 0));
    for (const row of rows) expect(row).toHaveLength(11);
    const debug = rows.find((r) => r[1] === 'debug')!;
    expect(debug).toEqual(['npm', 'debug', '2.6.9', '39', 'failed', 'malicious', 'malicious', 'credential-exfiltration (critical); network-outbound (medium)', '', 'an-1', '']);
    const skipped = rows.filter((r) => r[4] === 'skipped');
    expect(skipped.map((r) => r[1])).toEqual(['@fixture/app', 'local-lib']);
    expect(skipped[0][10]).toMatch(/^link: links to the local folder "packages\/app"/);
  });

  it('CSV quotes commas, quotes and line breaks', () => {
    const report = sampleReport({
      failOn: 'suspicious',
      exceptions: [{ package: 'npm:ms@2.0.0', rule: 'network-outbound', reason: 'said "ok", twice\nacross lines', expires: '2027-01-01' }],
    });
    const csv = toCsv(report);
    expect(csv).toContain('"excepted network-outbound until 2027-01-01: said ""ok"", twice\nacross lines"');
    const ms = readCsv(csv).find((r) => r[1] === 'ms' && r[2] === '2.0.0')!;
    expect(ms[10]).toBe('excepted network-outbound until 2027-01-01: said "ok", twice\nacross lines');
  });

  it('JSON carries its format tag and the whole report', () => {
    const report = sampleReport();
    const parsed = JSON.parse(toJson(report)) as VetReport & { format: string };
    expect(parsed.format).toBe('vetbox-vet-report/v1');
    expect(parsed.evaluation.outcome).toBe('fail');
    expect(parsed.evaluation.items).toHaveLength(report.evaluation.items.length);
    expect(parsed.skipped).toEqual(report.skipped);
  });
});
