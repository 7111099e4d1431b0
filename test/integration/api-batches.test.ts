/**
 * POST/GET /v1/batches, its SSE stream and exports, policies, bad input and roles, through
 * supertest on the real app with the real Redis and PostgreSQL and an in-process worker running
 * the STAND-IN analyzer (test/fixtures/pipeline/fake-analyzer.ts): packages whose name contains
 * "evil" come out malicious, the rest benign.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BATCH_PRIORITY } from '@vetbox/queue';
import { syntheticPackageLock } from '@vetbox/lockfiles';
import { npmTarball } from '../fixtures/api/archives.js';
import { ApiHarness } from '../fixtures/api/harness.js';
import { sarifErrors } from '../helpers/sarif.js';

let api: ApiHarness;
const prefix = `vbx-batch-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  api = await new ApiHarness({
    worker: { durationMs: 50, verdictOf: (job) => (job.artifact.name.includes('evil') ? 'malicious' : 'benign') },
    batches: { maxBytes: 256 * 1024, maxEntries: 500, pollMs: 300 },
  }).start();
});
afterAll(async () => {
  // The worker first: deleting packages under analyses it is completing would deadlock.
  await api.worker?.close();
  await api.h.prisma.package.deleteMany({ where: { OR: [{ name: { startsWith: prefix } }, { name: { startsWith: `@${prefix}` } }] } });
  await api.close();
});

interface BatchView {
  id: string;
  status: string;
  total: number;
  done: number;
  counts: Record<string, number>;
  pass: boolean | null;
  outcome: string;
  summary: string;
  items: Array<{ name: string; version: string; line?: number; status: string; policyStatus: string; verdict: string | null; effectiveVerdict: string | null; source: string | null; analysisId?: string; topFindings: Array<{ rule: string; severity: string }>; exceptedFindings: unknown[] }>;
  skipped: Array<{ raw: string; line: number; reason: string }>;
}

async function batchCount(): Promise<number> {
  return api.h.prisma.batch.count({ where: { apiKeyId: { in: api.keyIds } } });
}

async function waitBatch(id: string): Promise<BatchView> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await request(api.app).get(`/v1/batches/${id}`).set(api.auth('read'));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    if (res.body.done === res.body.total) return res.body as BatchView;
    if (Date.now() > deadline) throw new Error(`batch ${id} not done: ${res.body.done}/${res.body.total}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const readEvents = (urlPath: string) => api.readEvents(urlPath);

const allowlist = (names: string[]) => ['# reviewed dependencies', ...names.map((n) => `npm:${n}@1.0.0`), `npm:${prefix}-ranged@^1.0.0`, 'not a package line', ''].join('\n');

describe('batches: create, follow, read, export', () => {
  const good = `${prefix}-good`;
  const evil = `${prefix}-evil`;
  const other = `${prefix}-other`;
  let batchId = '';

  it('POST text/plain allowlist → 201, one analysis per version queued at batch priority, skipped entries with reasons', async () => {
    const res = await request(api.app).post('/v1/batches?filename=deps/allow.txt').set(api.auth('submit')).type('text/plain').send(allowlist([good, evil, other]));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    batchId = res.body.id;
    expect(res.headers.location).toBe(`/v1/batches/${batchId}`);
    expect(res.body).toMatchObject({ format: 'allowlist', fileName: 'deps/allow.txt', total: 3, queued: 3, linked: 0, policy: { failOn: 'malicious' } });
    expect(res.body.skipped).toEqual([
      expect.objectContaining({ line: 5, reason: 'not-pinned' }),
      expect.objectContaining({ line: 6, reason: 'malformed' }),
    ]);
    const job = await api.h.queue.bull.getJob((await api.h.prisma.batchItem.findFirstOrThrow({ where: { batchId, name: good } })).analysisId!);
    // The worker may already have finished it; a job still known carries the batch priority.
    if (job) expect(job.opts.priority).toBe(BATCH_PRIORITY);
    const analysis = await api.h.prisma.analysis.findFirstOrThrow({ where: { batchItems: { some: { batchId } } } });
    expect(analysis.priority).toBe(BATCH_PRIORITY);
  });

  it('SSE follows the batch to its end; GET shows counts by verdict, items with top findings, policy fails', async () => {
    const events = await readEvents(`/v1/batches/${batchId}/events`);
    expect(events.length).toBeGreaterThan(0);
    const [lastEvent, lastData] = events.at(-1)!;
    expect(lastEvent).toBe('end');
    expect(lastData).toMatchObject({ id: batchId, total: 3, done: 3, pass: false, outcome: 'fail' });
    expect(events.filter(([e]) => e === 'progress').at(-1)![1]).toMatchObject({ done: 3, total: 3 });

    const view = await waitBatch(batchId);
    expect(view).toMatchObject({ status: 'completed', total: 3, done: 3, pass: false, counts: { malicious: 1, benign: 2, suspicious: 0, error: 0, pending: 0 } });
    expect(view.summary).toMatch(/^FAIL: 1 failed, 2 passed/);
    const evilItem = view.items.find((i) => i.name === evil)!;
    expect(evilItem).toMatchObject({ line: 3, status: 'completed', verdict: 'malicious', policyStatus: 'failed', source: 'registry' });
    expect(evilItem.topFindings).toEqual([expect.objectContaining({ rule: 'credential-store-read', severity: 'high' })]);
    expect(view.items.find((i) => i.name === good)).toMatchObject({ verdict: 'benign', policyStatus: 'passed', topFindings: [] });
    expect(view.skipped.map((s) => s.reason)).toEqual(['not-pinned', 'malformed']);

    const light = await request(api.app).get(`/v1/batches/${batchId}?items=none`).set(api.auth('read'));
    expect(light.body).toMatchObject({ total: 3, done: 3, items: [] });
  });

  it('exports JSON, CSV and SARIF 2.1.0 (results at the lockfile line of their package)', async () => {
    const json = await request(api.app).get(`/v1/batches/${batchId}/export?format=json`).set(api.auth('read'));
    expect(json.status).toBe(200);
    const report = JSON.parse(json.text);
    expect(report).toMatchObject({ format: 'vetbox-vet-report/v1', batchId, evaluation: { outcome: 'fail' } });

    const csv = await request(api.app).get(`/v1/batches/${batchId}/export?format=csv`).set(api.auth('read'));
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text.split('\r\n')[0]).toBe('ecosystem,name,version,line,status,verdict,effective_verdict,findings,excepted_findings,analysis_id,note');
    expect(csv.text).toContain(`npm,${evil},1.0.0,3,failed,malicious,malicious`);
    expect(csv.text).toContain(',skipped,');

    const sarifRes = await request(api.app).get(`/v1/batches/${batchId}/export?format=sarif`).set(api.auth('read')).buffer(true).parse((res, cb) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => cb(null, text));
    });
    expect(sarifRes.headers['content-type']).toMatch(/^application\/sarif\+json/);
    const sarif = JSON.parse(sarifRes.body as string);
    expect(sarifErrors(sarif)).toEqual([]);
    const results = sarif.runs[0].results;
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ ruleId: 'credential-store-read', locations: [{ physicalLocation: { artifactLocation: { uri: 'deps/allow.txt' }, region: { startLine: 3 } } }] });

    const bad = await request(api.app).get(`/v1/batches/${batchId}/export?format=xml`).set(api.auth('read'));
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('the same file again is answered by the existing analyses (nothing queued); a policy exception makes it pass; an expired one does not', async () => {
    const exception = (expires: string) => ({ failOn: 'malicious', exceptions: [{ package: `npm:${evil}@1.0.0`, rule: 'credential-store-read', reason: 'reviewed: reads its own config', expires }] });
    const passing = await request(api.app)
      .post('/v1/batches')
      .set(api.auth('submit'))
      .send({ content: allowlist([good, evil, other]), filename: 'allow.txt', policy: exception('2999-12-31') });
    expect(passing.status, JSON.stringify(passing.body)).toBe(201);
    expect(passing.body).toMatchObject({ total: 3, queued: 0, linked: 3, policy: { exceptions: 1 } });
    const view = await waitBatch(passing.body.id);
    expect(view).toMatchObject({ pass: true, outcome: 'pass', counts: { malicious: 0, benign: 3 } });
    expect(view.items.find((i) => i.name === evil)).toMatchObject({ verdict: 'malicious', effectiveVerdict: 'benign', policyStatus: 'excepted', exceptedFindings: [expect.objectContaining({ rule: 'credential-store-read' })] });
    const sarif = JSON.parse((await request(api.app).get(`/v1/batches/${passing.body.id}/export?format=sarif&include=all`).set(api.auth('read'))).text);
    expect(sarifErrors(sarif)).toEqual([]);
    expect(sarif.runs[0].results.find((r: { suppressions?: unknown[] }) => r.suppressions)).toBeDefined();

    const expiredYaml = `failOn: malicious\nexceptions:\n  - package: npm:${evil}@1.0.0\n    rule: credential-store-read\n    reason: reviewed last year\n    expires: 2020-01-01\n`;
    const expired = await request(api.app).post('/v1/batches').set(api.auth('submit')).send({ content: allowlist([evil]), policy: expiredYaml });
    expect(expired.status).toBe(201);
    const expiredView = (await request(api.app).get(`/v1/batches/${expired.body.id}`).set(api.auth('read'))).body;
    expect(expiredView).toMatchObject({ pass: false, outcome: 'fail', expiredExceptions: [expect.objectContaining({ expires: '2020-01-01', matchedFindings: 1 })] });
  });

  it('multipart: lockfile file plus a vetbox.policy.yaml file; failOn suspicious from the policy', async () => {
    const lock = syntheticPackageLock(4, { prefix: `${prefix}-mp` });
    const res = await request(api.app)
      .post('/v1/batches')
      .set(api.auth('submit'))
      .attach('file', Buffer.from(lock), 'package-lock.json')
      .attach('policy', Buffer.from('failOn: suspicious\n'), 'vetbox.policy.yaml');
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ format: 'package-lock', formatVersion: '3', fileName: 'package-lock.json', total: 4, queued: 4, policy: { failOn: 'suspicious' } });
    const view = await waitBatch(res.body.id);
    expect(view.pass).toBe(true);
    // Lines point into the lockfile as sent.
    const lines = lock.split('\n');
    for (const item of view.items) expect(lines[item.line! - 1]).toContain(item.name.startsWith('@') ? item.name.split('/')[1] : item.name);
  });

  it('a requirements.txt: PyPI names stored in their PEP 503 form, unpinned lines skipped', async () => {
    const text = [`${prefix}_Py.Alpha==1.0.0 \\`, '    --hash=sha256:' + 'a'.repeat(64), `${prefix}-py-beta==2.0`, `${prefix}-py-gamma>=1.0`, ''].join('\n');
    const res = await request(api.app).post('/v1/batches?filename=requirements.txt').set(api.auth('submit')).type('text/plain').send(text);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ format: 'requirements', total: 2, queued: 2, skipped: [expect.objectContaining({ line: 4, reason: 'not-pinned' })] });
    const view = await waitBatch(res.body.id);
    expect(view.items.map((i) => [i.name, i.version, i.line])).toEqual([
      [`${prefix}-py-alpha`, '1.0.0', 1],
      [`${prefix}-py-beta`, '2.0', 3],
    ]);
    expect(view.pass).toBe(true);
  });

  it('a package-lock sent as the JSON body itself is detected and located', async () => {
    const lock = syntheticPackageLock(2, { prefix: `${prefix}-js` });
    const res = await request(api.app).post('/v1/batches?filename=package-lock.json').set(api.auth('submit')).send(JSON.parse(lock));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ format: 'package-lock', total: 2 });
  });

  it('an allowlist line naming an analysed upload links to that upload\'s analysis', async () => {
    const name = `${prefix}-uploaded-evil`;
    const tgz = await npmTarball(name, '3.1.4');
    const up = await request(api.app).post('/v1/analyses').set(api.auth('submit')).attach('file', tgz, 'x.tgz');
    expect(up.status, JSON.stringify(up.body)).toBe(202);
    await api.h.waitForStatus(up.body.id, ['completed']);
    const res = await request(api.app).post('/v1/batches').set(api.auth('submit')).type('text/plain').send(`npm:${name}@3.1.4\n`);
    expect(res.body).toMatchObject({ total: 1, queued: 0, linked: 1 });
    const view = (await request(api.app).get(`/v1/batches/${res.body.id}`).set(api.auth('read'))).body as BatchView;
    expect(view.items[0]).toMatchObject({ analysisId: up.body.id, source: 'upload', verdict: 'malicious' });
    expect(view.pass).toBe(false);

    // Another key's upload does not vouch for the name: a registry analysis is queued instead.
    const otherKey = await request(api.app).post('/v1/batches').set(api.auth('admin')).type('text/plain').send(`npm:${name}@3.1.4\n`);
    expect(otherKey.body).toMatchObject({ total: 1, queued: 1, linked: 0 });

    // In a lockfile the same name means the registry release, never an upload.
    const lock = JSON.stringify({ name: 'x', lockfileVersion: 3, packages: { '': { name: 'x' }, [`node_modules/${name}`]: { version: '3.1.4' } } }, null, 2);
    const fromLock = await request(api.app).post('/v1/batches').set(api.auth('submit')).type('text/plain').send(lock);
    expect(fromLock.body).toMatchObject({ total: 1, queued: 0, linked: 1 });
    const lockView = (await request(api.app).get(`/v1/batches/${fromLock.body.id}`).set(api.auth('read'))).body as BatchView;
    expect(lockView.items[0]).toMatchObject({ source: 'registry' });
    expect(lockView.items[0].analysisId).not.toBe(up.body.id);
  });
});

describe('batches: bad input stores and queues nothing', () => {
  async function expectRejected(send: () => Promise<request.Response>, status: number, detail: RegExp) {
    const batches = await batchCount();
    const jobs = await api.jobCount();
    const res = await send();
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(detail);
    expect(await batchCount()).toBe(batches);
    expect(await api.jobCount()).toBe(jobs);
  }
  const post = () => request(api.app).post('/v1/batches').set(api.auth('submit'));

  it('not a lockfile → 400', () => expectRejected(() => post().type('text/plain').send('hello world\nthis is prose\n'), 400, /unrecognised format/));
  it('unrecognised JSON → 400', () => expectRejected(() => post().send({ content: '{"name": "x"}' }), 400, /unrecognised JSON/));
  it('empty body → 400', () => expectRejected(() => post().type('text/plain').send(''), 400, /empty/));
  it('only comments → 400', () => expectRejected(() => post().type('text/plain').send('# nothing here\n'), 400, /nothing to vet|no packages/));
  it('larger than the byte limit → 413', () => expectRejected(() => post().type('text/plain').send(`${'#'.repeat(300 * 1024)}\n`), 413, /larger than/));
  it('more entries than the limit → 413', () => expectRejected(() => post().type('text/plain').send(syntheticPackageLock(501, { prefix: `${prefix}-big` })), 413, /at most 500/));
  it('an invalid policy → 400 naming the problem', () =>
    expectRejected(() => post().send({ content: `npm:${prefix}-p@1.0.0\n`, policy: { failOn: 'benign' } }), 400, /failOn/));
  it('a policy exception without expiry → 400', () =>
    expectRejected(() => post().send({ content: `npm:${prefix}-p@1.0.0\n`, policy: 'exceptions:\n  - package: npm:a@1.0.0\n    rule: x\n    reason: y\n' }), 400, /expires/));
  it('an unknown JSON field → 400', () => expectRejected(() => post().send({ content: `npm:${prefix}-p@1.0.0\n`, extra: 1 }), 400, /extra|Unrecognized/i));
  it('multipart without a file part → 400', () => expectRejected(() => post().field('filename', 'x.txt'), 400, /"file" part/));
});

describe('batches: roles', () => {
  it('submit needs submit; reads need read; unknown ids 404; no key 401', async () => {
    const body = `npm:${prefix}-roles@1.0.0\n`;
    expect((await request(api.app).post('/v1/batches').set(api.auth('read')).type('text/plain').send(body)).status).toBe(403);
    expect((await request(api.app).post('/v1/batches').type('text/plain').send(body)).status).toBe(401);
    expect((await request(api.app).post('/v1/batches').set(api.auth('revoked')).type('text/plain').send(body)).status).toBe(401);
    const created = await request(api.app).post('/v1/batches').set(api.auth('admin')).type('text/plain').send(body);
    expect(created.status).toBe(201);
    expect((await request(api.app).get(`/v1/batches/${created.body.id}`).set(api.auth('read'))).status).toBe(200);
    expect((await request(api.app).get(`/v1/batches/${created.body.id}`)).status).toBe(401);
    expect((await request(api.app).get(`/v1/batches/${randomUUID()}`).set(api.auth('read'))).status).toBe(404);
    expect((await request(api.app).get('/v1/batches/not-a-uuid/export').set(api.auth('read'))).status).toBe(404);
    expect((await request(api.app).get(`/v1/batches/${randomUUID()}/events`).set(api.auth('read'))).status).toBe(404);
  });

  it('the batch paths are documented in /openapi.json', async () => {
    const doc = (await request(api.app).get('/openapi.json')).body as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/batches', '/v1/batches/{id}', '/v1/batches/{id}/events', '/v1/batches/{id}/export']));
  });
});

describe('batches: concurrency and outages', () => {
  it('two identical batches at once share one analysis per package version', async () => {
    const lock = syntheticPackageLock(300, { prefix: `${prefix}-race` });
    const [a, b] = await Promise.all([0, 1].map(() => request(api.app).post('/v1/batches').set(api.auth('submit')).type('text/plain').send(lock)));
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.queued + b.body.queued).toBe(300);
    expect(a.body.linked + b.body.linked).toBe(300);
    const perVersion = await api.h.prisma.analysis.groupBy({
      by: ['artifactId'],
      where: { artifact: { package: { OR: [{ name: { startsWith: `${prefix}-race` } }, { name: { startsWith: `@${prefix}-race` } }] } } },
      _count: true,
    });
    expect(perVersion).toHaveLength(300);
    expect(perVersion.every((g) => g._count === 1)).toBe(true);
    const artifacts = await api.h.prisma.artifact.count({ where: { package: { OR: [{ name: { startsWith: `${prefix}-race` } }, { name: { startsWith: `@${prefix}-race` } }] } } });
    expect(artifacts).toBe(300);
  });

  it('Redis down: 503 REDIS_UNAVAILABLE, the batch is not kept and its new analyses are failed, not left queued', async () => {
    const { TestRedis } = await import('../fixtures/pipeline/redis-server.js');
    const redis = new TestRedis(true);
    await redis.start();
    const local = await new ApiHarness({ redisUrl: redis.url, batches: {} }).start();
    try {
      await redis.stop();
      const name = `${prefix}-outage`;
      const t0 = Date.now();
      const down = await request(local.app).post('/v1/batches').set(local.auth('submit')).type('text/plain').send(`npm:${name}@1.0.0\n`);
      expect(down.status, JSON.stringify(down.body)).toBe(503);
      expect(down.body).toMatchObject({ code: 'REDIS_UNAVAILABLE' });
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(await local.h.prisma.batch.count({ where: { apiKeyId: { in: local.keyIds } } })).toBe(0);
      const orphan = await local.h.prisma.analysis.findFirst({ where: { artifact: { package: { name } } } });
      expect(orphan).toMatchObject({ status: 'failed', errorCode: 'REDIS_UNAVAILABLE' });
    } finally {
      await redis.start().catch(() => {});
      await local.close();
      await redis.dispose();
    }
  });
});
