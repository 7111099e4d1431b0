/**
 * Every /v1 endpoint and role, through supertest on the real app with the real Redis and
 * PostgreSQL and an in-process worker. The worker runs the STAND-IN analyzer
 * (test/fixtures/pipeline/fake-analyzer.ts): these tests are about the API, and a stand-in
 * gives them verdicts and timings on demand. The real pipeline behind the API is exercised by
 * test/integration/pipeline-real.test.ts and the browser tests.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import request from 'supertest';
import { createApp } from '@vetbox/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisSummary, Report, SubmitAnalysisResponse, type ApiRole } from '@vetbox/contracts';
import { WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER, signWebhook } from '@vetbox/queue';
import { npmTarball } from '../fixtures/api/archives.js';
import { ApiHarness } from '../fixtures/api/harness.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await new ApiHarness({ worker: { durationMs: 300, verdict: 'suspicious' } }).start();
});
afterAll(async () => {
  await api.close();
});

async function submitRegistry(name: string, version = '1.0.0', role: ApiRole = 'submit', force?: boolean) {
  api.registry.add('npm', name, version);
  return request(api.app).post('/v1/analyses').set(api.auth(role)).send({ ecosystem: 'npm', name, version, ...(force ? { force } : {}) });
}

async function waitDone(id: string): Promise<AnalysisSummary> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await request(api.app).get(`/v1/analyses/${id}`).set(api.auth('read'));
    if (['completed', 'failed', 'cancelled'].includes(res.body.status)) return res.body as AnalysisSummary;
    if (Date.now() > deadline) throw new Error(`analysis ${id} not done: ${JSON.stringify(res.body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Reads an analysis's SSE stream to its end; returns [event, data] pairs. */
const readEvents = (id: string) => api.readEvents(`/v1/analyses/${id}/events`);

describe('api: submit, follow, read', () => {
  it('POST /v1/analyses (registry) → 202 + Location; SSE follows to the end; report; resubmit → 200 deduplicated; force → new', async () => {
    const name = api.h.name('vbx-api');
    const res = await submitRegistry(name);
    expect(res.status).toBe(202);
    const body = SubmitAnalysisResponse.parse(res.body);
    expect(body).toMatchObject({ status: 'queued', deduplicated: false });
    expect(res.headers.location).toBe(`/v1/analyses/${body.id}`);
    expect(body.links).toMatchObject({ self: `/v1/analyses/${body.id}`, report: `/v1/analyses/${body.id}/report`, events: `/v1/analyses/${body.id}/events` });

    const events = await readEvents(body.id);
    const progress = events.filter(([e]) => e === 'progress').map(([, d]) => d as { status: string; stage: string; percent: number });
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toMatchObject({ status: 'completed', stage: 'done', percent: 100 });
    const [lastEvent, lastData] = events.at(-1)!;
    expect(lastEvent).toBe('end');
    expect(AnalysisSummary.parse(lastData)).toMatchObject({ id: body.id, status: 'completed', verdict: 'suspicious' });

    const summary = AnalysisSummary.parse((await request(api.app).get(`/v1/analyses/${body.id}`).set(api.auth('read'))).body);
    expect(summary).toMatchObject({ status: 'completed', stage: 'done', progress: 100, verdict: 'suspicious', score: 80, package: { ecosystem: 'npm', name, version: '1.0.0', source: 'registry' } });
    expect(summary.topFindings).toEqual([{ rule: 'credential-store-read', severity: 'high', title: 'Reads ~/.npmrc' }]);
    expect(summary.timings?.totalMs).toBeGreaterThan(0);
    expect(summary.startedAt && summary.finishedAt).toBeTruthy();

    const report = await request(api.app).get(`/v1/analyses/${body.id}/report`).set(api.auth('read'));
    expect(report.status).toBe(200);
    expect(Report.parse(report.body)).toMatchObject({ analysisId: body.id, verdict: 'suspicious' });
    expect(report.headers.etag).toBeTruthy();
    const notModified = await request(api.app).get(`/v1/analyses/${body.id}/report`).set(api.auth('read')).set('If-None-Match', report.headers.etag);
    expect(notModified.status).toBe(304);

    const again = await submitRegistry(name);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: body.id, status: 'completed', deduplicated: true });
    const requestsBefore = api.registry.requests.length;
    await submitRegistry(name);
    expect(api.registry.requests.length).toBe(requestsBefore); // dedup answers without asking the registry

    const forced = await submitRegistry(name, '1.0.0', 'submit', true);
    expect(forced.status).toBe(202);
    expect(forced.body.id).not.toBe(body.id);
    await waitDone(forced.body.id);
  });

  it('POST /v1/analyses (upload) → stored by content, analyzed; same bytes → 200 deduplicated; other bytes → new', async () => {
    const name = api.h.name('vbx-up');
    const tgz = await npmTarball(name, '2.0.0');
    const sha256 = createHash('sha256').update(tgz).digest('hex');
    const res = await request(api.app).post('/v1/analyses').set(api.auth('submit')).attach('file', tgz, 'whatever-name.tgz');
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(api.files('uploads')).toEqual([]);
    expect(api.files('artifacts')).toContain(`${sha256}/${name}-2.0.0.tgz`);
    const done = await waitDone(res.body.id);
    expect(done).toMatchObject({ status: 'completed', package: { name, version: '2.0.0', source: 'upload', sha256 } });

    const again = await request(api.app).post('/v1/analyses').set(api.auth('submit')).attach('file', tgz, 'again.tgz');
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: res.body.id, deduplicated: true });

    const other = await npmTarball(name, '2.0.0', [{ name: 'package/extra.js', content: 'module.exports = 2;\n' }]);
    const third = await request(api.app).post('/v1/analyses').set(api.auth('submit')).attach('file', other, 'other.tgz');
    expect(third.status).toBe(202);
    expect(third.body.id).not.toBe(res.body.id);
    await waitDone(third.body.id);

    const forced = await request(api.app).post('/v1/analyses').set(api.auth('submit')).field('force', 'true').attach('file', tgz, 'again.tgz');
    expect(forced.status).toBe(202);
    await waitDone(forced.body.id);
  });

  it('GET /v1/analyses: filters and cursor pagination, newest first', async () => {
    const name = api.h.name('vbx-list');
    const ids: string[] = [];
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) {
      const r = await submitRegistry(name, v);
      ids.push(r.body.id);
      await waitDone(r.body.id);
    }
    const page1 = await request(api.app).get(`/v1/analyses?name=${name}&limit=2`).set(api.auth('read'));
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((a: AnalysisSummary) => a.id)).toEqual([ids[2], ids[1]]);
    expect(page1.body.nextCursor).toBeTruthy();
    const page2 = await request(api.app).get(`/v1/analyses?name=${name}&limit=2&cursor=${page1.body.nextCursor}`).set(api.auth('read'));
    expect(page2.body.items.map((a: AnalysisSummary) => a.id)).toEqual([ids[0]]);
    expect(page2.body.nextCursor).toBeNull();

    const q = (query: string) => request(api.app).get(`/v1/analyses?name=${name}&${query}`).set(api.auth('read'));
    expect((await q('version=1.1.0')).body.items.map((a: AnalysisSummary) => a.id)).toEqual([ids[1]]);
    expect((await q('ecosystem=npm&verdict=suspicious')).body.items).toHaveLength(3);
    expect((await q('verdict=benign')).body.items).toHaveLength(0);
    expect((await q('ecosystem=pypi')).body.items).toHaveLength(0);
    expect((await q('rule=credential-store-read')).body.items).toHaveLength(3);
    expect((await q('rule=reverse-shell')).body.items).toHaveLength(0);
    expect((await q(`since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).body.items).toHaveLength(0);
    expect((await q('status=completed')).body.items).toHaveLength(3);
  });

  it('GET /v1/packages/{ecosystem}/{name}[/{version}], scoped names encoded or not', async () => {
    const scope = api.h.name('scope');
    const name = api.h.track(`@${scope}/thing`);
    const r = await submitRegistry(name, '3.1.4');
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    await waitDone(r.body.id);

    for (const path of [`/v1/packages/npm/${encodeURIComponent(name)}`, `/v1/packages/npm/${name}`]) {
      const versions = await request(api.app).get(path).set(api.auth('read'));
      expect(versions.status, path).toBe(200);
      expect(versions.body).toMatchObject({ ecosystem: 'npm', name, versions: [{ version: '3.1.4', analysisId: r.body.id, status: 'completed', verdict: 'suspicious' }] });
    }
    const latest = await request(api.app).get(`/v1/packages/npm/${name}/3.1.4`).set(api.auth('read'));
    expect(latest.status).toBe(200);
    expect(latest.body).toMatchObject({ analysisId: r.body.id, package: { name, version: '3.1.4' } });
    expect(latest.headers['content-location']).toBe(`/v1/analyses/${r.body.id}/report`);

    expect((await request(api.app).get(`/v1/packages/npm/${name}/9.9.9`).set(api.auth('read'))).status).toBe(404);
    expect((await request(api.app).get(`/v1/packages/pypi/never-analyzed-${scope}`).set(api.auth('read'))).status).toBe(404);
    expect((await request(api.app).get('/v1/packages/cargo/serde').set(api.auth('read'))).status).toBe(400);
  });

  it('raw artifacts: admin lists and downloads them gzip-compressed; submit and read keys may not', async () => {
    const r = await submitRegistry(api.h.name('vbx-raw'));
    await waitDone(r.body.id);
    const list = await request(api.app).get(`/v1/analyses/${r.body.id}/raw`).set(api.auth('admin'));
    expect(list.status).toBe(200);
    const strace = list.body.items.find((i: { kind: string }) => i.kind === 'strace');
    expect(strace).toMatchObject({ phase: 'install', links: { download: `/v1/analyses/${r.body.id}/raw/${strace.id}` } });
    const dl = await request(api.app).get(strace.links.download).set(api.auth('admin')).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(dl.status).toBe(200);
    expect(dl.headers['content-type']).toBe('application/gzip');
    expect(dl.headers['content-disposition']).toMatch(/attachment; filename=".*-strace-install\.gz"/);
    expect(gunzipSync(dl.body as Buffer).toString()).toContain('execve');
    for (const role of ['read', 'submit'] as const) {
      expect((await request(api.app).get(`/v1/analyses/${r.body.id}/raw`).set(api.auth(role))).status).toBe(403);
      expect((await request(api.app).get(strace.links.download).set(api.auth(role))).status).toBe(403);
    }
    expect((await request(api.app).get(`/v1/analyses/${r.body.id}/raw/00000000-0000-4000-8000-000000000000`).set(api.auth('admin'))).status).toBe(404);
  });
});

describe('api: cancel', () => {
  it('a queued analysis: its report is a 409 naming the status; DELETE removes the job, ends SSE; a second DELETE is 409', async () => {
    // No worker here, so the job stays queued.
    const idle = await new ApiHarness().start();
    const saved = api;
    api = idle;
    try {
      const r = await submitRegistry(api.h.name('vbx-409'));
      expect(r.status).toBe(202);
      const res = await request(api.app).get(`/v1/analyses/${r.body.id}/report`).set(api.auth('read'));
      expect(res.status).toBe(409);
      expect(res.body.detail).toMatch(/is queued; its report exists once it has completed/);
      expect(await api.h.queue.has(r.body.id)).toBe(true);
      expect((await request(api.app).delete(`/v1/analyses/${r.body.id}`).set(api.auth('read'))).status).toBe(403);
      const del = await request(api.app).delete(`/v1/analyses/${r.body.id}`).set(api.auth('submit'));
      expect(del.status).toBe(200);
      expect(del.body).toMatchObject({ status: 'cancelled', error: { code: 'CANCELLED' } });
      expect(await api.h.queue.has(r.body.id)).toBe(false);
      const events = await readEvents(r.body.id);
      expect(events.at(-1)).toMatchObject(['end', { status: 'cancelled' }]);
      const again = await request(api.app).delete(`/v1/analyses/${r.body.id}`).set(api.auth('submit'));
      expect(again.status).toBe(409);
      expect(again.body.detail).toMatch(/already ended \(cancelled\)/);
      expect((await request(api.app).delete('/v1/analyses/00000000-0000-4000-8000-000000000000').set(api.auth('submit'))).status).toBe(404);
    } finally {
      api = saved;
      await idle.close();
    }
  });

  it('a running analysis: DELETE signals the worker, which aborts it', async () => {
    const slow = await new ApiHarness({ worker: { durationMs: 20_000 } }).start();
    const saved = api;
    api = slow;
    try {
      const r = await submitRegistry(api.h.name('vbx-cancel'));
      await api.h.waitForStatus(r.body.id, ['running']);
      const t0 = Date.now();
      const del = await request(api.app).delete(`/v1/analyses/${r.body.id}`).set(api.auth('submit'));
      expect(del.status).toBe(200);
      const deadline = Date.now() + 10_000;
      while ((await api.h.queue.bull.getActiveCount()) > 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
      expect(await api.h.queue.bull.getActiveCount()).toBe(0);
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect((await waitDone(r.body.id)).status).toBe('cancelled');
      expect((await request(api.app).get(`/v1/analyses/${r.body.id}/report`).set(api.auth('read'))).status).toBe(409);
    } finally {
      api = saved;
      await slow.close();
    }
  });
});

describe('api: roles', () => {
  it('each endpoint answers each role as its role allows', async () => {
    const r = await submitRegistry(api.h.name('vbx-roles'));
    await waitDone(r.body.id);
    const id = r.body.id as string;
    const name = api.h.name('vbx-roles2');
    api.registry.add('npm', name, '1.0.0');
    const cases: Array<{ method: 'get' | 'post' | 'delete'; path: string; body?: object; allowed: ApiRole[]; okStatus: number[] }> = [
      { method: 'get', path: '/v1/analyses', allowed: ['read', 'submit', 'admin'], okStatus: [200] },
      { method: 'get', path: `/v1/analyses/${id}`, allowed: ['read', 'submit', 'admin'], okStatus: [200] },
      { method: 'get', path: `/v1/analyses/${id}/report`, allowed: ['read', 'submit', 'admin'], okStatus: [200] },
      { method: 'get', path: `/v1/packages/npm/${r.body.id ? (await request(api.app).get(`/v1/analyses/${id}`).set(api.auth('read'))).body.package.name : ''}`, allowed: ['read', 'submit', 'admin'], okStatus: [200] },
      { method: 'post', path: '/v1/analyses', body: { ecosystem: 'npm', name, version: '1.0.0' }, allowed: ['submit', 'admin'], okStatus: [200, 202] },
      { method: 'delete', path: `/v1/analyses/${id}`, allowed: ['submit', 'admin'], okStatus: [409] },
      { method: 'get', path: `/v1/analyses/${id}/raw`, allowed: ['admin'], okStatus: [200] },
      { method: 'get', path: '/v1/keys', allowed: ['admin'], okStatus: [200] },
    ];
    for (const c of cases) {
      for (const role of ['read', 'submit', 'admin'] as const) {
        let req = request(api.app)[c.method](c.path).set(api.auth(role));
        if (c.body) req = req.send(c.body);
        const res = await req;
        const where = `${c.method.toUpperCase()} ${c.path} as ${role}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
        if (c.allowed.includes(role)) expect(c.okStatus, where).toContain(res.status);
        else expect(res.status, where).toBe(403);
      }
      expect((await request(api.app)[c.method](c.path)).status).toBe(401);
      expect((await request(api.app)[c.method](c.path).set(api.auth('revoked'))).status).toBe(401);
    }
  });

  it('admin creates a key, it works at its role, revoking it stops it', async () => {
    const created = await request(api.app).post('/v1/keys').set(api.auth('admin')).send({ name: 'ci', role: 'read' });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^vbx_/);
    api.keyIds.push(created.body.id);
    const stored = await api.h.prisma.apiKey.findUnique({ where: { id: created.body.id } });
    expect(stored?.hash).toBe(createHash('sha256').update(created.body.key).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(created.body.key);
    const listed = await request(api.app).get('/v1/keys').set(api.auth('admin'));
    expect(JSON.stringify(listed.body)).not.toContain(stored!.hash);

    const other = await request(api.app).post('/v1/keys').set(api.auth('admin')).send({ name: 'gone', role: 'admin' });
    api.keyIds.push(other.body.id);
    expect((await request(api.app).delete(`/v1/keys/${other.body.id}`).set(api.auth('admin'))).status).toBe(204);
    expect((await request(api.app).get('/v1/analyses').set('Authorization', `Bearer ${other.body.key}`)).status).toBe(401);
    expect((await request(api.app).get('/v1/analyses').set('Authorization', `Bearer ${created.body.key}`)).status).toBe(200);
    expect((await request(api.app).post('/v1/keys').set(api.auth('admin')).send({ name: 'x', role: 'root' })).status).toBe(400);
  });
});

describe('api: webhooks', () => {
  it('the submitting key\'s webhook is called, signed with HMAC-SHA256, when the analysis ends', async () => {
    const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
    const hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
      const key = await request(api.app).post('/v1/keys').set(api.auth('admin')).send({ name: 'hooked', role: 'submit', webhookUrl: url });
      api.keyIds.push(key.body.id);
      expect(key.body.webhookSecret).toBeTruthy();
      const name = api.h.name('vbx-hook');
      api.registry.add('npm', name, '1.0.0');
      const sub = await request(api.app).post('/v1/analyses').set('Authorization', `Bearer ${key.body.key}`).send({ ecosystem: 'npm', name, version: '1.0.0' });
      await waitDone(sub.body.id);
      const deadline = Date.now() + 10_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(received).toHaveLength(1);
      const { headers, body } = received[0];
      const ts = Number(headers[WEBHOOK_TIMESTAMP_HEADER.toLowerCase()]);
      expect(headers[WEBHOOK_SIGNATURE_HEADER.toLowerCase()]).toBe(signWebhook(key.body.webhookSecret, ts, body));
      expect(JSON.parse(body)).toMatchObject({ event: 'analysis.completed', data: { id: sub.body.id, status: 'completed', verdict: 'suspicious' } });
    } finally {
      await new Promise((r) => hook.close(r));
    }
  });
});

describe('api: documents, metrics, headers', () => {
  it('GET /openapi.json documents every endpoint from the zod schemas; /docs renders it from local assets', async () => {
    const doc = (await request(api.app).get('/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    for (const p of ['/v1/analyses', '/v1/analyses/{id}', '/v1/analyses/{id}/report', '/v1/analyses/{id}/events', '/v1/analyses/{id}/raw', '/v1/packages/{ecosystem}/{name}', '/v1/packages/{ecosystem}/{name}/{version}', '/metrics', '/healthz', '/readyz']) {
      expect(Object.keys(doc.paths), p).toContain(p);
    }
    expect(doc.paths['/v1/analyses'].post.responses['202'].content['application/json'].schema.$ref).toBe('#/components/schemas/SubmitAnalysisResponse');
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Report', 'AnalysisSummary', 'Problem', 'SubmitAnalysisBody']));
    expect(doc.components.schemas.SubmitAnalysisBody.properties.ecosystem.enum).toEqual(['npm', 'pypi']);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });

    const page = await request(api.app).get('/docs/');
    expect(page.status).toBe(200);
    expect(page.text).toMatch(/swagger-ui/);
    expect(page.text).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)[^"']*\.(js|css)/);
    const css = await request(api.app).get('/docs/swagger-ui.css');
    expect(css.status).toBe(200);
    const init = await request(api.app).get('/docs/swagger-ui-init.js');
    expect(init.text).toContain('/v1/analyses');
  });

  it('other routers document themselves through an OpenAPI extension, in the same style', async () => {
    const { z } = await import('zod');
    const extended = createApp({
      logger: api.services.logger,
      readiness: [],
      services: api.services,
      openapi: [
        (r, { security, problem, authErrors, schemas }) =>
          r.registerPath({
            method: 'get',
            path: '/v1/batches/{id}',
            security,
            request: { params: z.object({ id: z.uuid() }) },
            responses: { 200: { description: 'a batch', content: { 'application/json': { schema: z.object({ items: z.array(schemas.AnalysisSummary) }) } } }, 404: problem('no batch'), ...authErrors() },
          }),
      ],
    });
    const doc = (await request(extended).get('/openapi.json')).body;
    expect(doc.paths['/v1/batches/{id}'].get.responses['404'].content['application/problem+json'].schema.$ref).toBe('#/components/schemas/Problem');
    expect(doc.paths['/v1/analyses']).toBeDefined();
  });

  it('GET /metrics: queue depth, analyses by status and verdict, stage durations, sandbox failures', async () => {
    const r = await submitRegistry(api.h.name('vbx-metrics'));
    await waitDone(r.body.id);
    await new Promise((res) => setTimeout(res, 300));
    const text = (await request(api.app).get('/metrics')).text;
    expect(text).toMatch(/^vetbox_queue_depth \d+$/m);
    expect(text).toMatch(/^vetbox_queue_jobs\{state="completed"\} \d+$/m);
    expect(text).toMatch(/^vetbox_analyses\{status="completed"\} [1-9]\d*$/m);
    expect(text).toMatch(/^vetbox_analyses_by_verdict\{verdict="suspicious"\} [1-9]\d*$/m);
    expect(text).toMatch(/^vetbox_stage_duration_seconds_count\{stage="install"\} [1-9]\d*$/m);
    expect(text).toMatch(/^vetbox_sandbox_failures\{code="SANDBOX_FAILED"\} \d+$/m);
    expect(text).toMatch(/^vetbox_http_request_duration_seconds_count\{method="GET",route="\/v1\/analyses\/:id",status="200"\} \d+$/m);
  });

  it('helmet headers, request ids (echoed or made), no key in logs', async () => {
    const res = await request(api.app).get('/healthz').set('X-Request-Id', 'trace-123');
    expect(res.headers['x-request-id']).toBe('trace-123');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBeTruthy();
    expect(res.headers['x-powered-by']).toBeUndefined();
    const other = await request(api.app).get('/healthz').set('X-Request-Id', 'bad id {"with": "json"}');
    expect(other.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    // Request logs carry the id and never the key.
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
    const logged = createApp({ logger, readiness: [], services: { ...api.services, logger } });
    await request(logged).get('/v1/analyses?limit=1').set(api.auth('read')).set('X-Request-Id', 'trace-456');
    const entry = lines.map((l) => JSON.parse(l)).find((l) => l.req?.id === 'trace-456');
    expect(entry).toMatchObject({ req: { method: 'GET', url: '/v1/analyses?limit=1' }, res: { statusCode: 200 } });
    expect(lines.join('')).not.toContain(api.keys.read);
  });
});

describe('api: rate limits', () => {
  it('per key, backed by Redis: over the limit → 429 with RateLimit headers; other keys unaffected', async () => {
    const limited = await new ApiHarness({ rateLimitPerMinute: 3 }).start();
    try {
      for (let i = 0; i < 3; i++) {
        const ok = await request(limited.app).get('/v1/analyses?limit=1').set(limited.auth('read'));
        expect(ok.status).toBe(200);
        expect(ok.headers['ratelimit']).toMatch(new RegExp(`r=${2 - i}`));
      }
      const over = await request(limited.app).get('/v1/analyses?limit=1').set(limited.auth('read'));
      expect(over.status).toBe(429);
      expect(over.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(over.body).toMatchObject({ code: 'RATE_LIMITED', detail: expect.stringMatching(/3 requests per minute/) });
      expect((await request(limited.app).get('/v1/analyses?limit=1').set(limited.auth('submit'))).status).toBe(200);
      // The count lives in Redis, so a second app instance sees it.
      const twin = createApp({ logger: limited.services.logger, readiness: [], services: limited.services });
      expect((await request(twin).get('/v1/analyses?limit=1').set(limited.auth('read'))).status).toBe(429);
    } finally {
      await limited.close();
    }
  });
});

describe('api: Redis outage', () => {
  it('reads keep answering from PostgreSQL; submissions fail fast with 503 REDIS_UNAVAILABLE; back to normal after', async () => {
    const { TestRedis } = await import('../fixtures/pipeline/redis-server.js');
    const redis = new TestRedis(true);
    await redis.start();
    const local = await new ApiHarness({ redisUrl: redis.url, rateLimitPerMinute: 1000 }).start();
    try {
      const first = local.h.name('vbx-outage');
      local.registry.add('npm', first, '1.0.0');
      const ok = await request(local.app).post('/v1/analyses').set(local.auth('submit')).send({ ecosystem: 'npm', name: first, version: '1.0.0' });
      expect(ok.status).toBe(202);

      await redis.stop();
      expect((await request(local.app).get(`/v1/analyses/${ok.body.id}`).set(local.auth('read'))).status).toBe(200);
      const second = local.h.name('vbx-outage');
      local.registry.add('npm', second, '1.0.0');
      const t0 = Date.now();
      const down = await request(local.app).post('/v1/analyses').set(local.auth('submit')).send({ ecosystem: 'npm', name: second, version: '1.0.0' });
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ code: 'REDIS_UNAVAILABLE' });
      expect(Date.now() - t0).toBeLessThan(5_000);
      // Not left "queued" forever: the analysis that could not be queued is failed with the reason.
      const orphan = await local.h.prisma.analysis.findFirst({ where: { artifact: { package: { name: second } } } });
      expect(orphan).toMatchObject({ status: 'failed', errorCode: 'REDIS_UNAVAILABLE' });

      await redis.start();
      const deadline = Date.now() + 10_000;
      let again = await request(local.app).post('/v1/analyses').set(local.auth('submit')).send({ ecosystem: 'npm', name: second, version: '1.0.0' });
      while (again.status !== 202 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        again = await request(local.app).post('/v1/analyses').set(local.auth('submit')).send({ ecosystem: 'npm', name: second, version: '1.0.0' });
      }
      expect(again.status).toBe(202);
      // The first job survived the restart (append-only file).
      expect(await local.h.queue.has(ok.body.id)).toBe(true);
    } finally {
      // Closing obliterates the queue: Redis must be up for that.
      await redis.start().catch(() => {});
      await local.close();
      await redis.dispose();
    }
  });
});
