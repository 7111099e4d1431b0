/**
 * Several worker processes sharing one queue (Redis) and one database: what happens when a
 * worker dies, is stopped, or Redis restarts under them. Workers are child processes running the
 * real worker. Most use a stand-in analyzer (test/fixtures/pipeline/fake-analyzer.ts) because
 * they need its timing under control; the SIGKILL case also runs with the real pipeline.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { getReport } from '@vetbox/store';
import { PipelineHarness, DATABASE_URL, REDIS_URL, waitFor } from '../fixtures/pipeline/harness.js';
import { WorkerProcess } from '../fixtures/pipeline/processes.js';
import { TestRedis } from '../fixtures/pipeline/redis-server.js';
import { containersOf, localSandboxImage } from '../fixtures/pipeline/container-analyzer.js';
import { markCancelled } from '@vetbox/store';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { ANALYZER_VERSION } from '@vetbox/pipeline';
import { submitAnalysis } from '@vetbox/store';
import { npmArchive } from '../fixtures/pipeline/imitation.js';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { npmTarball } from '../fixtures/api/archives.js';
import { ApiHarness } from '../fixtures/api/harness.js';

// The stand-in analyzer runs a real labeled container in a local sandbox image when one exists.
const IMAGE = localSandboxImage();

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

function harness(redisUrl = REDIS_URL): PipelineHarness {
  const h = new PipelineHarness(redisUrl);
  cleanups.push(() => h.close());
  return h;
}

function worker(h: PipelineHarness, env: Record<string, string> = {}): WorkerProcess {
  const w = new WorkerProcess({ QUEUE_NAME: h.queueName, REDIS_URL: h.redisUrl, DATABASE_URL, ...env });
  cleanups.push(() => w.stop());
  return w;
}

describe('pipeline: several worker processes', () => {
  it('a worker SIGKILLed mid-analysis: a second worker retakes the job, completes it, and no container is left', async () => {
    const h = harness();
    const containerEnv: Record<string, string> = IMAGE ? { CONTAINER_IMAGE: IMAGE } : {};
    const a = worker(h, { FAKE_DURATION_MS: '3000', ...containerEnv });
    const b = worker(h, { FAKE_DURATION_MS: '3000', ...containerEnv });
    await Promise.all([a.ready(), b.ready()]);

    const { analysis } = await h.submit(h.artifact());
    const id = analysis.id;
    const started = await Promise.race([
      a.waitFor((e) => e.event === 'start' && e.analysisId === id, 'start on a').then(() => a),
      b.waitFor((e) => e.event === 'start' && e.analysisId === id, 'start on b').then(() => b),
    ]);
    const other = started === a ? b : a;
    await h.waitForStatus(id, ['running']);
    started.kill('SIGKILL');
    await started.exit();
    // The dead worker's container is still there: nothing ran its cleanup.
    if (IMAGE) expect(containersOf(id)).toHaveLength(1);

    const t0 = Date.now();
    await other.waitFor((e) => e.event === 'start' && e.analysisId === id, 'retake on the second worker', 20_000);
    const retakeMs = Date.now() - t0;
    const finished = await other.waitFor((e) => e.event === 'finished' && e.analysisId === id, 'completion on the second worker', 20_000);
    expect(finished.status).toBe('completed');
    const done = await h.waitForStatus(id, ['completed']);
    expect(done.verdict).toBe('benign');
    expect(await getReport(h.prisma, id)).not.toBeNull();
    // The lock (2 s) expired and the stalled check (1 s) found it: seconds, not minutes.
    expect(retakeMs).toBeLessThan(10_000);
    // Exactly one report and one set of raw artifacts although the job ran twice.
    expect(await h.prisma.rawArtifact.count({ where: { analysisId: id } })).toBe(2);
    // The retaking worker reaped the orphan by label, then removed its own container.
    if (IMAGE) expect(containersOf(id)).toEqual([]);
    else console.warn('no local vetbox-sandbox image: container part of this test not exercised');
  });

  it.skipIf(!IMAGE)('the real pipeline: a worker SIGKILLed mid-sandbox; the second worker reaps its sandbox and sinkhole and completes', async () => {
    const h = harness();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vetbox-kill-data-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const a = worker(h, { REAL_PIPELINE: '1', DATA_DIR: dataDir });
    await a.ready();
    const name = h.name('vbx-real-kill');
    const archive = await npmArchive({
      name,
      version: '1.0.0',
      scripts: { postinstall: 'node -e "setTimeout(() => {}, 8000)"' },
      files: { 'index.js': 'module.exports = 1;\n' },
    });
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'vetbox-kill-')), `${name}-1.0.0.tgz`);
    writeFileSync(file, archive);
    cleanups.push(async () => rmSync(path.dirname(file), { recursive: true, force: true }));
    const sha256 = createHash('sha256').update(archive).digest('hex');
    const outcome = await submitAnalysis(h.prisma, {
      artifact: { ecosystem: 'npm', name, version: '1.0.0', source: 'upload', sha256, size: archive.length, storedPath: file },
      blob: archive,
      analyzerVersion: ANALYZER_VERSION,
      queue: h.queueName,
    });
    await h.queue.enqueue(outcome.job!);
    const id = outcome.analysis.id;
    await waitFor(async () => (await h.waitForStatus(id, ['running'], 60_000)).stage === 'install', 'the install phase', 60_000);
    await waitFor(() => containersOf(id).length === 2, 'sandbox and sinkhole containers', 30_000);
    a.kill('SIGKILL');
    await a.exit();
    expect(containersOf(id)).toHaveLength(2);
    const workRoot = path.join(dataDir, 'work');
    expect(readdirSync(workRoot).length, 'the dead worker left its staging and trace directories').toBeGreaterThan(0);

    const b = worker(h, { REAL_PIPELINE: '1', DATA_DIR: dataDir });
    await b.ready();
    const finished = await b.waitFor((e) => e.event === 'finished' && e.analysisId === id, 'completion on the second worker', 120_000);
    expect(finished.status).toBe('completed');
    const report = await getReport(h.prisma, id);
    expect(report?.verdict).toBe('benign');
    expect(report?.phases.map((p) => p.status)).toEqual(['completed', 'completed']);
    expect(containersOf(id)).toEqual([]);
    // The second worker's reaper removed the dead worker's directories; its own went in finally.
    expect(readdirSync(workRoot)).toEqual([]);
  }, 240_000);

  it.skipIf(!IMAGE)('cancelling a running analysis stops its container within seconds', async () => {
    const h = harness();
    const a = worker(h, { FAKE_DURATION_MS: '60000', CONTAINER_IMAGE: IMAGE ?? '' });
    await a.ready();
    const { analysis } = await h.submit(h.artifact());
    await a.waitFor((e) => e.event === 'start' && e.analysisId === analysis.id, 'start');
    expect(containersOf(analysis.id)).toHaveLength(1);
    const t0 = Date.now();
    await markCancelled(h.prisma, analysis.id);
    expect(await h.queue.cancel(analysis.id)).toBe('signalled');
    await waitFor(() => containersOf(analysis.id).length === 0, 'the container to be removed', 10_000);
    await waitFor(async () => (await h.queue.bull.getActiveCount()) === 0, 'the job to end', 10_000);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect((await h.waitForStatus(analysis.id, ['cancelled'])).status).toBe('cancelled');
  });

  it('SIGTERM: the worker stops taking jobs, hands the running one back and exits; another worker finishes it', async () => {
    const h = harness();
    const a = worker(h, { FAKE_DURATION_MS: '20000', SHUTDOWN_GRACE_MS: '300' });
    await a.ready();
    const { analysis } = await h.submit(h.artifact());
    await a.waitFor((e) => e.event === 'start' && e.analysisId === analysis.id, 'start');
    await h.waitForStatus(analysis.id, ['running']);

    a.kill('SIGTERM');
    expect(await a.exit()).toBe(0);
    expect(a.events.map((e) => e.event)).toContain('closed');
    const requeued = await h.waitForStatus(analysis.id, ['queued']);
    expect(requeued.stage).toBe('queued');
    expect(await h.queue.bull.getJobState(analysis.id)).toBe('waiting');

    const b = worker(h, { FAKE_DURATION_MS: '200' });
    await b.ready();
    await b.waitFor((e) => e.event === 'finished' && e.analysisId === analysis.id, 'completion on b');
    expect((await h.waitForStatus(analysis.id, ['completed'])).status).toBe('completed');
  });

  it('an upload is analyzed by a worker on "another host": its archive comes from PostgreSQL, not the API\'s disk', async () => {
    const api = await new ApiHarness().start();
    cleanups.push(() => api.close());
    const otherDataDir = mkdtempSync(path.join(os.tmpdir(), 'vetbox-worker-host-'));
    cleanups.push(async () => rmSync(otherDataDir, { recursive: true, force: true }));
    const name = api.h.name('vbx-remote');
    const res = await request(api.app).post('/v1/analyses').set(api.auth('submit')).attach('file', await npmTarball(name, '1.0.0'), 'p.tgz');
    expect(res.status).toBe(202);
    // The API host's copy is gone (another machine's disk, as far as the worker is concerned).
    rmSync(path.join(api.dataDir, 'artifacts'), { recursive: true, force: true });

    const w = new WorkerProcess({ QUEUE_NAME: api.h.queueName, REDIS_URL: api.h.redisUrl, DATABASE_URL, DATA_DIR: otherDataDir, FAKE_DURATION_MS: '100' });
    cleanups.push(() => w.stop());
    await w.ready();
    const done = await api.h.waitForStatus(res.body.id, ['completed', 'failed']);
    expect(done.errorMessage).toBeNull();
    expect(done.status).toBe('completed');
    expect(existsSync(path.join(otherDataDir, 'artifacts', done.artifact.sha256!, `${name}-1.0.0.tgz`))).toBe(true);
  });

  it('SIGTERM with a job that finishes within the grace period: it completes there, then the worker exits', async () => {
    const h = harness();
    const a = worker(h, { FAKE_DURATION_MS: '1500', SHUTDOWN_GRACE_MS: '10000' });
    await a.ready();
    const { analysis } = await h.submit(h.artifact());
    await a.waitFor((e) => e.event === 'start' && e.analysisId === analysis.id, 'start');
    a.kill('SIGTERM');
    expect(await a.exit()).toBe(0);
    expect(a.events.find((e) => e.event === 'finished' && e.analysisId === analysis.id)?.status).toBe('completed');
    expect((await h.waitForStatus(analysis.id, ['completed'])).attempts).toBe(1);
  });

  it('Redis restarted mid-run (append-only file on): nothing is lost, every analysis completes', async () => {
    const redis = new TestRedis(true);
    cleanups.push(() => redis.dispose());
    await redis.start();
    const h = harness(redis.url);
    await h.progress.whenReady();
    const a = worker(h, { FAKE_DURATION_MS: '2500', WORKER_CONCURRENCY: '2' });
    await a.ready();

    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await h.submit(h.artifact())).analysis.id);
    await a.waitFor((e) => e.event === 'start', 'a job to start');
    await redis.restart(1_500);

    for (const id of ids) {
      const done = await h.waitForStatus(id, ['completed', 'failed', 'cancelled'], 60_000);
      expect(done.status).toBe('completed');
    }
    await waitFor(async () => (await h.queue.counts()).completed === 4, 'the queue to record 4 completed jobs', 20_000);
  });

  it('Redis lost its data (no persistence): in-flight analyses are re-added from the database and complete', async () => {
    const redis = new TestRedis(false);
    cleanups.push(() => redis.dispose());
    await redis.start();
    const h = harness(redis.url);
    // Reconcile every 3 s: slower than the restart, so the check below sees the loss before the re-add.
    const a = worker(h, { FAKE_DURATION_MS: '2000', RECONCILE_MS: '3000', RECONCILE_MIN_AGE_MS: '500' });
    await a.ready();

    const first = await h.submit(h.artifact());
    const second = await h.submit(h.artifact());
    await a.waitFor((e) => e.event === 'start' && e.analysisId === first.analysis.id, 'first start');
    await redis.restart(500);
    expect(await h.queue.has(second.analysis.id)).toBe(false);

    for (const id of [first.analysis.id, second.analysis.id]) {
      expect((await h.waitForStatus(id, ['completed', 'failed'], 60_000)).status).toBe('completed');
    }
  });
});
