/**
 * `baseline: previous` left to the worker, as batches use it: the worker finds the release before
 * the job's version on the registry (a loopback registry here), submits it, waits for it, and
 * compares. Real Redis, PostgreSQL, Docker and pipeline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@vetbox/config';
import { ANALYZER_VERSION, createAnalyzer } from '@vetbox/pipeline';
import { DockerRuntime, ensureSandboxImage } from '@vetbox/sandbox';
import { createBatch, getReport } from '@vetbox/store';
import { BATCH_PRIORITY } from '@vetbox/queue';
import { createAnalysisWorker, type AnalysisWorker } from '@vetbox/worker';
import { startFakeNpmRegistry, type FakeNpmRegistry } from '../fixtures/fetch/fake-registries.js';
import { PipelineHarness, REDIS_URL } from '../fixtures/pipeline/harness.js';
import { harmless, npmArchive, npmrcThief } from '../fixtures/pipeline/imitation.js';

const logger = createLogger('baseline-previous-test', { level: 'silent' });
let registry: FakeNpmRegistry;
let h: PipelineHarness;
let worker: AnalysisWorker;

beforeAll(async () => {
  await ensureSandboxImage(new DockerRuntime({ logger }), { build: true });
  registry = await startFakeNpmRegistry();
  h = new PipelineHarness();
  await h.progress.whenReady();
  worker = createAnalysisWorker({
    queueName: h.queueName,
    redisUrl: REDIS_URL,
    prisma: h.prisma,
    analyze: createAnalyzer({ registryUrl: registry.url, logger }),
    registryUrl: registry.url,
    logger,
    concurrency: 1,
    retentionDays: 30,
    attempts: 3,
    reconcileIntervalMs: 0,
  });
  await worker.ready();
}, 600_000);

afterAll(async () => {
  await worker?.close();
  await h?.close();
  await registry?.close();
});

describe('baseline: previous, resolved by the worker', () => {
  it('a batch entry of 1.0.1 is compared with 1.0.0 from the registry: new-behavior, malicious', async () => {
    const name = h.name('vbx-prev');
    registry.add({ name, version: '1.0.0', tarball: await npmArchive(harmless(name, '1.0.0')) });
    registry.add({ name, version: '1.0.1', tarball: await npmArchive(npmrcThief(name, '1.0.1')) });

    const created = await createBatch(h.prisma, {
      format: 'allowlist',
      baseline: 'previous',
      entries: [{ ecosystem: 'npm', name, version: '1.0.1', line: 1 }],
      skipped: [],
      analyzerVersion: ANALYZER_VERSION,
      queue: h.queueName,
      priority: BATCH_PRIORITY,
    });
    expect(created.jobs).toHaveLength(1);
    expect(created.jobs[0].baseline).toBe('previous');
    await h.queue.enqueueBulk(created.jobs, { priority: BATCH_PRIORITY });
    const id = created.jobs[0].analysisId;

    const done = await h.waitForStatus(id, ['completed', 'failed'], 300_000);
    expect(done.status, done.errorMessage ?? undefined).toBe('completed');
    expect(done.baselineId).not.toBeNull();
    const base = await h.waitForStatus(done.baselineId!, ['completed', 'failed'], 10_000);
    expect(base.artifact.version).toBe('1.0.0');
    expect(base.verdict).toBe('benign');

    const report = await getReport(h.prisma, id);
    expect(report!.verdict).toBe('malicious');
    expect(report!.baseline).toMatchObject({ analysisId: base.id, version: '1.0.0' });
    expect(report!.baseline!.added.files.map((f) => f.summary).join('\n')).toContain('.npmrc');
    expect(report!.findings.map((f) => f.rule)).toContain('new-behavior');
  }, 400_000);

  it('a first release has nothing before it: analyzed without a baseline', async () => {
    const name = h.name('vbx-first');
    registry.add({ name, version: '1.0.0', tarball: await npmArchive(harmless(name, '1.0.0')) });
    const created = await createBatch(h.prisma, {
      format: 'allowlist',
      baseline: 'previous',
      entries: [{ ecosystem: 'npm', name, version: '1.0.0', line: 1 }],
      skipped: [],
      analyzerVersion: ANALYZER_VERSION,
      queue: h.queueName,
      priority: BATCH_PRIORITY,
    });
    await h.queue.enqueueBulk(created.jobs, { priority: BATCH_PRIORITY });
    const done = await h.waitForStatus(created.jobs[0].analysisId, ['completed', 'failed'], 300_000);
    expect(done.status).toBe('completed');
    expect(done.baselineId).toBeNull();
    expect((await getReport(h.prisma, done.id))!.baseline).toBeUndefined();
  }, 400_000);
});
