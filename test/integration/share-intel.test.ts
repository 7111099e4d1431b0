/**
 * Known-malicious lists, OSV records and indicators through the real API, worker (stand-in
 * analyzer: a quiet detonation), Redis and PostgreSQL: `vetbox intel import` of a directory and a
 * zip, the known-malicious finding a listed version gets, and the exports of stored analyses.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '@vetbox/config';
import { Report, SubmitAnalysisResponse } from '@vetbox/contracts';
import { readRecordFiles } from '@vetbox/intel';
import { completeAnalysis, createBatch, getReport, markRunning, submitAnalysis } from '@vetbox/store';
import { runExportIndicators, runExportOsv } from '../../cli/src/commands/export.js';
import { runImport } from '../../cli/src/commands/intel.js';
import { validateOsv } from '../../services/share/src/__fixtures__/osv-schema.js';
import { stealerReport } from '../../services/share/src/__fixtures__/reports.js';
import { ApiHarness } from '../fixtures/api/harness.js';
import { ALL_VERSIONS, malRecord, writeListDir, writeListZip } from '../fixtures/intel/lists.js';

let api: ApiHarness;
let dir = '';
const started = new Date(Date.now() - 1000).toISOString();
const tag = Math.random().toString(36).slice(2, 8);
const source = `fixture-list-${tag}`;
const listedNpm = `vbx-listed-${tag}`;
const alwaysBad = `vbx-always-bad-${tag}`;
const records = [
  malRecord(`MAL-2026-${tag}-1`, 'npm', listedNpm, { versions: ['1.0.0'] }),
  malRecord(`MAL-2026-${tag}-2`, 'npm', alwaysBad, { ranges: ALL_VERSIONS }),
  malRecord(`MAL-2026-${tag}-3`, 'PyPI', `Vbx_Listed_${tag}`, { versions: ['0.1'] }),
];

beforeAll(async () => {
  api = await new ApiHarness({ worker: { verdict: 'benign' } }).start();
  dir = await mkdtemp(path.join(os.tmpdir(), 'vetbox-intel-'));
  for (const n of [listedNpm, alwaysBad]) api.h.track(n);
}, 120_000);

afterAll(async () => {
  await api.h.prisma.intelSource.deleteMany({ where: { name: { in: [source, `${source}-zip`] } } });
  await api.h.prisma.osvRecord.deleteMany({ where: { name: { startsWith: 'vbx-share-' } } });
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

function cli() {
  const out = { stdout: '', stderr: '' };
  const stdout = new PassThrough().on('data', (c: Buffer) => (out.stdout += c.toString()));
  const stderr = new PassThrough().on('data', (c: Buffer) => (out.stderr += c.toString()));
  return { ctx: { env: loadEnv(), stdout, stderr }, out };
}

describe('vetbox intel import', () => {
  it('loads MAL- records from a directory once, with their source and date, skipping what is not one', async () => {
    const listDir = await writeListDir(path.join(dir, 'list'), records);
    const first = cli();
    expect(await runImport(first.ctx, listDir, { source, json: true }), first.out.stderr).toBe(0);
    const summary = JSON.parse(first.out.stdout);
    expect(summary).toMatchObject({ source, date: '2026-11-02T08:00:00.000Z', files: 5, added: 3, updated: 0, unchanged: 0, skipped: 2 });
    expect(summary.skippedExamples.map((s: { file: string }) => s.file).sort()).toEqual(['osv/other/GHSA-xxxx-yyyy-zzzz.json', 'osv/other/broken.json']);

    const again = cli();
    expect(await runImport(again.ctx, listDir, { source })).toBe(0);
    expect(again.out.stdout).toContain('0 records added, 0 updated, 3 unchanged');
    const stored = await api.h.prisma.intelRecord.findMany({ where: { id: { in: records.map((r) => r.id) } }, include: { source: true, packages: true } });
    expect(stored).toHaveLength(3);
    expect(stored.every((r) => r.source.name === source)).toBe(true);
    expect(stored.find((r) => r.id.endsWith('-3'))!.packages).toMatchObject([{ ecosystem: 'pypi', name: `vbx-listed-${tag}`, versions: ['0.1'] }]);
  });

  it('reads a zip the same way, and replaces a record whose modified time changed', async () => {
    const changed = { ...records[0]!, modified: '2026-11-20T00:00:00Z', summary: 'updated summary' };
    const zip = await writeListZip(path.join(dir, 'list.zip'), [changed, records[1]!, records[2]!]);
    const run = cli();
    expect(await runImport(run.ctx, zip, { source: `${source}-zip`, date: '2026-11-30', json: true }), run.out.stderr).toBe(0);
    expect(JSON.parse(run.out.stdout)).toMatchObject({ files: 3, added: 0, updated: 1, unchanged: 2, date: '2026-11-30T00:00:00.000Z' });
    const row = await api.h.prisma.intelRecord.findUniqueOrThrow({ where: { id: records[0]!.id }, include: { source: true } });
    expect(row).toMatchObject({ summary: 'updated summary', source: { name: `${source}-zip` } });
  });

  it('refuses input that is neither a directory nor a zip, with a message and exit 3', async () => {
    const text = path.join(dir, 'notes.txt');
    await writeFile(text, 'hello');
    for (const input of [text, path.join(dir, 'missing')]) {
      const run = cli();
      expect(await runImport(run.ctx, input, { source })).toBe(3);
      expect(run.out.stderr).toMatch(/vetbox intel import: INVALID_INPUT: .*(neither a directory nor a zip|no such file)/);
    }
  });
});

describe('a listed version', () => {
  async function analyzed(name: string, version: string): Promise<Report> {
    api.registry.add('npm', name, version);
    const res = await request(api.app).post('/v1/analyses').set(api.auth('submit')).send({ ecosystem: 'npm', name, version });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    const { id } = SubmitAnalysisResponse.parse(res.body);
    await api.h.waitForStatus(id, ['completed', 'failed'], 30_000);
    return (await getReport(api.h.prisma, id))!;
  }

  it('is malicious with a critical known-malicious finding citing the record, though its detonation was quiet', async () => {
    const report = await analyzed(listedNpm, '1.0.0');
    expect(report.verdict).toBe('malicious');
    expect(report.findings[0]).toMatchObject({ rule: 'known-malicious', severity: 'critical', phase: null, evidence: [{ kind: 'intel', index: 0 }] });
    expect(report.findings[0]!.title).toContain(records[0]!.id);
    expect(report.knownMalicious).toEqual([expect.objectContaining({ id: records[0]!.id, source: `${source}-zip`, sourceDate: '2026-11-30T00:00:00.000Z' })]);
    // A range listing every version matches any.
    expect((await analyzed(alwaysBad, '3.2.1')).findings.map((f) => f.rule)).toEqual(['known-malicious']);
  });

  it('an unlisted version of the same package stays as its detonation says', async () => {
    const report = await analyzed(listedNpm, '1.0.1');
    expect(report.verdict).toBe('benign');
    expect(report.knownMalicious).toBeUndefined();
  });
});

describe('OSV records and indicators of stored analyses', () => {
  async function stored(name: string, version: string, verdict: 'malicious' | 'benign' = 'malicious'): Promise<string> {
    const base = stealerReport();
    const report: Report = { ...base, package: { ...base.package, name, version }, ...(verdict === 'benign' ? { verdict, score: 0, findings: [], summary: 'benign: no finding' } : {}) };
    const { analysis } = await submitAnalysis(api.h.prisma, {
      artifact: { ecosystem: 'npm', name, version, source: 'registry' },
      analyzerVersion: report.analyzer.version,
      queue: 'share-intel-test',
      force: true,
    });
    expect(await markRunning(api.h.prisma, analysis.id, 1)).toBe(true);
    expect(await completeAnalysis(api.h.prisma, analysis.id, { report, raw: [], retentionDays: 1 })).toBe(true);
    return analysis.id;
  }
  const get = (url: string, accept = 'application/json') => request(api.app).get(url).set(api.auth('read')).set('Accept', accept);
  const name = `vbx-share-${tag}`;
  let first = '';

  beforeAll(async () => {
    api.h.track(name);
    first = await stored(name, '2.0.1');
  });

  it('GET /v1/analyses/{id}/osv: a schema-valid OSV 1.6 record naming the package, version, indicators and analysis', async () => {
    const res = await get(`/v1/analyses/${first}/osv`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(validateOsv(res.body), JSON.stringify(validateOsv.errors)).toBe(true);
    expect(res.body.id).toMatch(/^VBX-\d{4}-\d+$/);
    expect(res.body.affected[0]).toMatchObject({ package: { ecosystem: 'npm', name }, versions: ['2.0.1'] });
    const indicators = res.body.database_specific.indicators.map((i: { type: string; value: string }) => `${i.type}:${i.value}`);
    expect(indicators).toEqual(expect.arrayContaining(['domain:collector.example', 'ip:203.0.113.9']));
    expect(JSON.stringify(res.body)).not.toContain('198.18.0.7');
    expect(res.body.database_specific.analysis).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/analyses/${first}$`));
  });

  it('keeps one id per package version: a second analysis of it exports the same id, another version a new one', async () => {
    const again = await stored(name, '2.0.1');
    const other = await stored(name, '2.0.2');
    const [a, b, c] = await Promise.all([first, again, other].map((id) => get(`/v1/analyses/${id}/osv`)));
    expect(b.body.id).toBe(a.body.id);
    expect(c.body.id).not.toBe(a.body.id);
    expect(c.body.id).toMatch(/^VBX-\d{4}-\d+$/);
  });

  it('a benign analysis has no record (404 problem); an unfinished one is a 409', async () => {
    const benign = await stored(`${name}-ok`, '1.0.0', 'benign');
    api.h.track(`${name}-ok`);
    const res = await get(`/v1/analyses/${benign}/osv`);
    expect(res.status).toBe(404);
    expect(res.type).toBe('application/problem+json');
    expect(res.body.detail).toContain('benign');
    const { analysis } = await submitAnalysis(api.h.prisma, { artifact: { ecosystem: 'npm', name: `${name}-ok`, version: '1.0.1', source: 'registry' }, analyzerVersion: 'x', queue: 'share-intel-test' });
    expect((await get(`/v1/analyses/${analysis.id}/osv`)).status).toBe(409);
    expect((await get(`/v1/analyses/${analysis.id}/indicators`)).status).toBe(409);
  });

  it('GET /v1/analyses/{id}/indicators as JSON and CSV', async () => {
    const json = await get(`/v1/analyses/${first}/indicators`);
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ analysisId: first, package: { name, version: '2.0.1' }, verdict: 'malicious' });
    expect(json.body.indicators.find((i: { value: string }) => i.value === '203.0.113.9')).toMatchObject({ type: 'ip', port: 4444, phase: 'install', findings: ['network-activity'] });
    for (const res of [await get(`/v1/analyses/${first}/indicators?format=csv`), await get(`/v1/analyses/${first}/indicators`, 'text/csv')]) {
      expect(res.status).toBe(200);
      expect(res.type).toBe('text/csv');
      expect(res.text).toContain(`${first},npm,${name},2.0.1,malicious,ip,203.0.113.9,4444,tcp,install,network-activity,high,`);
    }
  });

  it('exports a time range: indicators as JSON and CSV, OSV records one per version', async () => {
    const json = await get(`/v1/indicators?since=${encodeURIComponent(started)}`);
    expect(json.status).toBe(200);
    const mine = json.body.analyses.filter((a: { package: { name: string } }) => a.package.name === name);
    expect(mine.length).toBe(3);
    const csv = await get(`/v1/indicators?since=${encodeURIComponent(started)}&format=csv`);
    expect(csv.text.split('\r\n')[0]).toBe('analysis_id,ecosystem,package,version,verdict,type,value,port,protocol,phase,findings,severity,context');
    expect(csv.text).toContain(`${first},npm,${name},2.0.1,malicious,domain,collector.example`);
    const osv = await get(`/v1/osv?since=${encodeURIComponent(started)}`);
    expect(osv.status).toBe(200);
    const versions = osv.body.records.filter((r: { affected: Array<{ package: { name: string }; versions: string[] }> }) => r.affected[0]!.package.name === name).map((r: { affected: Array<{ versions: string[] }> }) => r.affected[0]!.versions[0]);
    expect(versions.sort()).toEqual(['2.0.1', '2.0.2']);
    for (const r of osv.body.records) expect(validateOsv(r), JSON.stringify(validateOsv.errors)).toBe(true);
  });

  it('exports one batch: only the analyses its items name, with no time range needed', async () => {
    const { batch, linked, jobs } = await createBatch(api.h.prisma, {
      format: 'allowlist',
      entries: [{ ecosystem: 'npm', name, version: '2.0.2' }],
      skipped: [],
      analyzerVersion: stealerReport().analyzer.version,
      queue: 'share-intel-test',
      priority: 1,
    });
    expect([linked, jobs.length]).toEqual([1, 0]);
    try {
      const json = await get(`/v1/indicators?batch=${batch.id}`);
      expect(json.status, JSON.stringify(json.body)).toBe(200);
      expect(json.body.analyses.map((a: { package: { name: string; version: string } }) => `${a.package.name}@${a.package.version}`)).toEqual([`${name}@2.0.2`]);
      const csv = await get(`/v1/indicators?batch=${batch.id}&format=csv`);
      expect(csv.text).toContain(`,npm,${name},2.0.2,malicious,domain,collector.example`);
      expect(csv.text).not.toContain(`${name},2.0.1,`);
      const osv = await get(`/v1/osv?batch=${batch.id}`);
      expect(osv.body.records.map((r: { affected: Array<{ versions: string[] }> }) => r.affected[0]!.versions)).toEqual([['2.0.2']]);
    } finally {
      await api.h.prisma.batch.delete({ where: { id: batch.id } });
    }
  });

  it('vetbox export osv|indicators: one record to stdout, a range to a directory or zip, indicators as CSV', async () => {
    const server = api.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const run = () => {
      const c = cli();
      return { ...c, ctx: { ...c.ctx, env: { ...c.ctx.env, VETBOX_API_KEY: api.keys.read } } };
    };
    try {
      const one = run();
      expect(await runExportOsv(one.ctx, first, { server: url }), one.out.stderr).toBe(0);
      const record = JSON.parse(one.out.stdout);
      expect(validateOsv(record), JSON.stringify(validateOsv.errors)).toBe(true);
      expect(record.affected[0].package.name).toBe(name);

      const folder = path.join(dir, 'osv-out');
      const toDir = run();
      expect(await runExportOsv(toDir.ctx, undefined, { server: url, since: started, output: folder }), toDir.out.stderr).toBe(0);
      expect(await readdir(folder)).toEqual(expect.arrayContaining([`${record.id}.json`]));
      const zip = path.join(dir, 'osv-out.zip');
      const toZip = run();
      expect(await runExportOsv(toZip.ctx, undefined, { server: url, since: started.slice(0, 10), output: zip }), toZip.out.stderr).toBe(0);
      const zipped: string[] = [];
      for await (const f of readRecordFiles(zip)) if ('json' in f) zipped.push((f.json as { id: string }).id);
      expect(zipped).toContain(record.id);

      const csv = run();
      expect(await runExportIndicators(csv.ctx, first, { server: url, format: 'csv' }), csv.out.stderr).toBe(0);
      expect(csv.out.stdout).toContain(`${first},npm,${name},2.0.1,malicious,domain,collector.example`);

      const benign = run();
      const benignId = (await api.h.prisma.analysis.findFirstOrThrow({ where: { artifact: { package: { name: `${name}-ok` } }, status: 'completed' } })).id;
      expect(await runExportOsv(benign.ctx, benignId, { server: url })).toBe(3);
      expect(benign.out.stderr).toMatch(/vetbox export osv: .*404.*benign/);
      const noOutput = run();
      expect(await runExportOsv(noOutput.ctx, undefined, { server: url, since: started })).toBe(3);
      expect(noOutput.out.stderr).toContain('--output');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('refuses a bulk export without a range, and documents the routes', async () => {
    const res = await get('/v1/indicators');
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain('since');
    const doc = (await request(api.app).get('/openapi.json')).body as { paths: Record<string, unknown> };
    for (const p of ['/v1/analyses/{id}/osv', '/v1/analyses/{id}/indicators', '/v1/indicators', '/v1/osv']) expect(doc.paths).toHaveProperty([p]);
  });
});
