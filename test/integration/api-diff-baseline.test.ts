/**
 * GET /v1/analyses/{id}/diff and `baseline: "previous"` submissions, through the real app on the
 * real Redis and PostgreSQL. No worker runs: analyses are completed here with crafted reports
 * (the stand-in analyzer's, test/fixtures/pipeline/fake-analyzer.ts), so the diff is known.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisDiff, SubmitAnalysisResponse, type Report } from '@vetbox/contracts';
import { completeAnalysis, getAnalysis, jobFor, markRunning } from '@vetbox/store';
import { npmTarball } from '../fixtures/api/archives.js';
import { ApiHarness } from '../fixtures/api/harness.js';
import { fakeReport } from '../fixtures/pipeline/fake-analyzer.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await new ApiHarness().start();
});
afterAll(async () => {
  await api.close();
});

async function submit(name: string, version: string, body: Record<string, unknown> = {}) {
  api.registry.add('npm', name, version);
  const res = await request(api.app).post('/v1/analyses').set(api.auth('submit')).send({ ecosystem: 'npm', name, version, ...body });
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  return SubmitAnalysisResponse.parse(res.body);
}

/** Plays the worker: running, then completed with the stand-in report of this verdict. */
async function complete(id: string, verdict: Report['verdict'] = 'benign'): Promise<void> {
  const analysis = (await getAnalysis(api.h.prisma, id))!;
  expect(await markRunning(api.h.prisma, id, 1)).toBe(true);
  expect(await completeAnalysis(api.h.prisma, id, { report: fakeReport(jobFor(analysis), verdict), raw: [], retentionDays: 1 })).toBe(true);
}

async function analyzed(name: string, version: string, verdict: Report['verdict'] = 'benign'): Promise<string> {
  const { id } = await submit(name, version);
  await complete(id, verdict);
  return id;
}

const diff = (id: string, against: string, role: 'read' | 'revoked' = 'read') => request(api.app).get(`/v1/analyses/${id}/diff`).query({ against }).set(api.auth(role));

describe('GET /v1/analyses/{id}/diff', () => {
  it('lists what the target added and removed against an analysis id, added first', async () => {
    const name = api.h.name('vbx-diff');
    const base = await analyzed(name, '1.0.0', 'benign');
    const target = await analyzed(name, '1.0.1', 'suspicious');
    const res = await diff(target, base);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const body = AnalysisDiff.parse(res.body);
    expect(body.package).toEqual({ ecosystem: 'npm', name });
    expect(body.base).toEqual({ id: base, version: '1.0.0', verdict: 'benign' });
    expect(body.target).toEqual({ id: target, version: '1.0.1', verdict: 'suspicious' });
    expect(body.empty).toBe(false);
    expect(body.added.files.map((e) => e.key)).toEqual(['read /home/user/.npmrc']);
    expect(body.added.findings.map((e) => e.key)).toEqual(['credential-store-read']);
    expect(Object.values(body.removed).flat()).toEqual([]);
    expect(body.changes.every((c) => c.change === 'added')).toBe(true);

    // The other way round, the same entries are removals.
    const reverse = AnalysisDiff.parse((await diff(base, target)).body);
    expect(reverse.removed.files.map((e) => e.key)).toEqual(['read /home/user/.npmrc']);
    expect(reverse.changes.every((c) => c.change === 'removed')).toBe(true);

    // An analysis against itself: nothing changed.
    const same = AnalysisDiff.parse((await diff(target, target)).body);
    expect(same.empty).toBe(true);
    expect(same.changes).toEqual([]);
  });

  it('against=previous picks the completed analysis of the highest lower (stable) version', async () => {
    const name = api.h.name('vbx-diff-prev');
    await analyzed(name, '0.9.0');
    const v100 = await analyzed(name, '1.0.0');
    await analyzed(name, '1.2.0-beta.1', 'suspicious');
    await submit(name, '1.1.0'); // queued, never completed: not a baseline for a diff
    await analyzed(name, '2.0.0');
    const target = await analyzed(name, '1.2.0', 'suspicious');
    const res = await diff(target, 'previous');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.base).toMatchObject({ id: v100, version: '1.0.0' });
    expect(res.body.added.findings.map((e: { key: string }) => e.key)).toEqual(['credential-store-read']);

    // The first version has nothing before it.
    const first = (await api.h.prisma.analysis.findFirst({ where: { artifact: { version: '0.9.0', package: { name } } } }))!;
    const none = await diff(first.id, 'previous');
    expect(none.status).toBe(404);
    expect(none.type).toBe('application/problem+json');
    expect(none.body.detail).toContain('below 0.9.0');
  });

  it('refuses analyses that are not completed (409), of different packages (422), unknown (404), bad input (400)', async () => {
    const name = api.h.name('vbx-diff-bad');
    const done = await analyzed(name, '1.0.0');
    const { id: queued } = await submit(name, '1.0.1');
    const other = await analyzed(api.h.name('vbx-diff-other'), '1.0.0');

    const notDone = await diff(queued, done);
    expect(notDone.status).toBe(409);
    expect(notDone.type).toBe('application/problem+json');
    expect(notDone.body).toMatchObject({ code: 'CONFLICT' });
    expect(notDone.body.detail).toContain('is queued');
    expect((await diff(done, queued)).status).toBe(409);

    const cross = await diff(done, other);
    expect(cross.status).toBe(422);
    expect(cross.type).toBe('application/problem+json');
    expect(cross.body).toMatchObject({ code: 'NOT_COMPARABLE' });
    expect(cross.body.detail).toContain('different packages');

    expect((await diff(done, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await diff('00000000-0000-4000-8000-000000000000', done)).status).toBe(404);
    const bad = await diff(done, 'yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ path: 'against', message: 'expected an analysis id or "previous"' }]);
    expect((await request(api.app).get(`/v1/analyses/${done}/diff`).set(api.auth('read'))).status).toBe(400);
    expect((await diff(done, done, 'revoked')).status).toBe(401);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = (await request(api.app).get('/openapi.json')).body;
    const op = doc.paths['/v1/analyses/{id}/diff'].get;
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '404', '409', '422']));
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['id', 'against']));
    expect(doc.components.schemas.AnalysisDiff.required).toEqual(expect.arrayContaining(['base', 'target', 'added', 'removed', 'changes', 'empty']));
  });
});

describe('POST /v1/analyses with baseline: "previous"', () => {
  it('registry: submits the previous release first and links it as the baseline of the job', async () => {
    const name = api.h.name('vbx-base');
    api.registry.add('npm', name, '1.0.0');
    api.registry.add('npm', name, '1.1.0-rc.1');
    const res = await submit(name, '1.1.0', { baseline: 'previous' });
    expect(res.deduplicated).toBe(false);
    expect(res.baseline).toMatchObject({ version: '1.0.0', status: 'queued', deduplicated: false });
    const target = (await getAnalysis(api.h.prisma, res.id))!;
    expect(target.baselineId).toBe(res.baseline!.id);
    expect(jobFor(target).baselineAnalysisId).toBe(res.baseline!.id);
    // Both are on the queue, the baseline first.
    const jobs = await api.h.queue.bull.getJobs(['waiting', 'prioritized', 'delayed']);
    const ids = jobs.map((j) => j.id);
    expect(ids).toEqual(expect.arrayContaining([res.id, res.baseline!.id]));
    expect(jobs.find((j) => j.id === res.id)?.data).toMatchObject({ baselineAnalysisId: res.baseline!.id });
    const baseRow = (await getAnalysis(api.h.prisma, res.baseline!.id))!;
    expect(baseRow.baselineId).toBeNull();

    // Submitting again is deduplicated and names the same baseline.
    const again = await submit(name, '1.1.0', { baseline: 'previous' });
    expect(again).toMatchObject({ id: res.id, deduplicated: true, baseline: { id: res.baseline!.id, version: '1.0.0' } });
  });

  it('registry: reuses a completed analysis of the previous release; a first release has no baseline', async () => {
    const name = api.h.name('vbx-base-reuse');
    const v1 = await analyzed(name, '1.0.0');
    const res = await submit(name, '1.0.1', { baseline: 'previous' });
    expect(res.baseline).toEqual({ id: v1, version: '1.0.0', status: 'completed', deduplicated: true });

    const fresh = api.h.name('vbx-base-first');
    const first = await submit(fresh, '0.1.0', { baseline: 'previous' });
    expect(first.baseline).toBeNull();
    expect((await getAnalysis(api.h.prisma, first.id))!.baselineId).toBeNull();
  });

  it('registry: a version the registry does not list is 404, a dist-tag 400, and nothing is queued', async () => {
    const name = api.h.name('vbx-base-missing');
    api.registry.add('npm', name, '1.0.0');
    const before = await api.jobCount();
    for (const [version, status, code] of [['9.9.9', 404, 'PACKAGE_NOT_FOUND'], ['latest', 400, 'INVALID_INPUT']] as const) {
      const res = await request(api.app).post('/v1/analyses').set(api.auth('submit')).send({ ecosystem: 'npm', name, version, baseline: 'previous' });
      expect(res.status, version).toBe(status);
      expect(res.body).toMatchObject({ code });
    }
    expect(await api.jobCount()).toBe(before);
  });

  it('upload: the baseline is the highest analyzed version below it; none → null; bad field → 400', async () => {
    const name = api.h.name('vbx-base-up');
    const up = async (version: string, fields: Record<string, string> = {}) => {
      let req = request(api.app).post('/v1/analyses').set(api.auth('submit'));
      for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
      return req.attach('file', await npmTarball(name, version), `${name}-${version}.tgz`);
    };
    const first = await up('1.0.0', { baseline: 'previous' });
    expect(first.status).toBe(202);
    expect(first.body.baseline).toBeNull();
    await complete(first.body.id);
    const registryOne = await analyzed(name, '0.5.0'); // a registry analysis of a lower version: not the highest

    const second = await up('1.2.0', { baseline: 'previous' });
    expect(second.status, JSON.stringify(second.body)).toBe(202);
    expect(second.body.baseline).toEqual({ id: first.body.id, version: '1.0.0', status: 'completed', deduplicated: true });
    expect((await getAnalysis(api.h.prisma, second.body.id))!.baselineId).toBe(first.body.id);
    expect(second.body.baseline.id).not.toBe(registryOne);

    const bad = await up('1.3.0', { baseline: 'latest' });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain('baseline');
  });
});
