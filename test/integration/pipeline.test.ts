/**
 * Queue → worker → store on the real Redis and PostgreSQL, with one in-process worker.
 * The analyzer is the stand-in from test/fixtures/pipeline/fake-analyzer.ts (timing and verdicts
 * on demand); the real pipeline through a worker is in pipeline-real.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DependencyMonitor, createLogger } from '@vetbox/config';
import type { Analyzer } from '@vetbox/contracts';
import { getReport, listRawArtifacts, getRawArtifact, gunzipRaw, purgeExpiredRawArtifacts, rescoreAll } from '@vetbox/store';
import { createAnalysisWorker, type AnalysisWorker } from '@vetbox/worker';
import { createFakeAnalyzer, FAKE_ANALYZER_VERSION } from '../fixtures/pipeline/fake-analyzer.js';
import { PipelineHarness, REDIS_URL, waitFor } from '../fixtures/pipeline/harness.js';

const logger = createLogger('pipeline-test', { level: 'silent' });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(analyze: Analyzer, concurrency = 2) {
  const h = new PipelineHarness();
  cleanups.push(() => h.close());
  await h.progress.whenReady();
  const worker: AnalysisWorker = createAnalysisWorker({
    queueName: h.queueName,
    redisUrl: REDIS_URL,
    prisma: h.prisma,
    analyze,
    logger,
    concurrency,
    retentionDays: 30,
    attempts: 3,
    reconcileIntervalMs: 0,
  });
  cleanups.push(() => worker.close());
  await worker.ready();
  return { h, worker };
}

describe('pipeline: queue, worker, store', () => {
  it('submit → queued → running with progress → completed with the report stored', async () => {
    const { h } = await setup(createFakeAnalyzer({ durationMs: 500, verdict: 'suspicious' }));
    const submitted = await h.submit(h.artifact());
    expect(submitted.deduplicated).toBe(false);
    expect(submitted.analysis.status).toBe('queued');
    const id = submitted.analysis.id;

    const done = await h.waitForStatus(id, ['completed', 'failed']);
    expect(done.status).toBe('completed');
    expect(done.verdict).toBe('suspicious');
    expect(done.score).toBe(80);
    expect(done.progress).toBe(100);
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).not.toBeNull();
    const timings = done.timings as Record<string, number>;
    expect(timings.analyzeMs).toBeGreaterThanOrEqual(400);
    expect(timings.totalMs).toBeGreaterThanOrEqual(timings.analyzeMs);

    const report = await getReport(h.prisma, id);
    expect(report?.analysisId).toBe(id);
    expect(report?.findings.map((f) => f.rule)).toEqual(['credential-store-read']);
    const findings = await h.prisma.finding.findMany({ where: { analysisId: id } });
    expect(findings).toMatchObject([{ rule: 'credential-store-read', severity: 'high', phase: 'install' }]);
    // The registry artifact learned its digest from the report.
    expect(done.artifact.sha256).toBe(report?.package.sha256);

    // Progress went out in order, through every stage, ending with the final status.
    const mine = await waitFor(() => {
      const events = h.events.filter((e) => e.analysisId === id);
      return events.at(-1)?.status === 'completed' ? events : null;
    }, 'completed event');
    const stages = mine.map((e) => e.stage);
    for (const s of ['fetch', 'install', 'import', 'parse', 'rules', 'store', 'done']) expect(stages).toContain(s);
    expect(mine.at(-1)).toMatchObject({ status: 'completed', stage: 'done', percent: 100, verdict: 'suspicious' });
    const percents = mine.filter((e) => e.status === 'running').map((e) => e.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
  });

  it('raw evidence is stored gzip-compressed with an expiry, and purged once expired', async () => {
    const { h } = await setup(createFakeAnalyzer({ durationMs: 50 }));
    const { analysis } = await h.submit(h.artifact());
    await h.waitForStatus(analysis.id, ['completed']);
    const raws = await listRawArtifacts(h.prisma, analysis.id);
    expect(raws.map((r) => r.kind).sort()).toEqual(['sinkhole', 'strace']);
    const strace = raws.find((r) => r.kind === 'strace')!;
    const content = await getRawArtifact(h.prisma, analysis.id, strace.id);
    expect(content!.gzipped.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(content!.gzipped.length).toBeLessThan(strace.size / 5);
    expect((await gunzipRaw(content!)).toString()).toContain('execve("/bin/sh"');
    const days = (strace.expiresAt!.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);

    // Nothing of this analysis is purged now; 31 days on, all of it is.
    await purgeExpiredRawArtifacts(h.prisma);
    expect(await listRawArtifacts(h.prisma, analysis.id)).toHaveLength(2);
    await purgeExpiredRawArtifacts(h.prisma, new Date(Date.now() + 31 * 86_400_000));
    expect(await listRawArtifacts(h.prisma, analysis.id)).toHaveLength(0);
    expect(await getReport(h.prisma, analysis.id)).not.toBeNull();
  });

  it('the same artifact again is deduplicated (in flight and completed); force runs it again', async () => {
    let runs = 0;
    const { h } = await setup(createFakeAnalyzer({ durationMs: 400, onStart: () => (runs += 1) }));
    const artifact = h.artifact();
    const first = await h.submit(artifact);
    const inFlight = await h.submit(artifact);
    expect(inFlight.deduplicated).toBe(true);
    expect(inFlight.analysis.id).toBe(first.analysis.id);
    await h.waitForStatus(first.analysis.id, ['completed']);

    const again = await h.submit(artifact);
    expect(again).toMatchObject({ deduplicated: true, job: null });
    expect(again.analysis.id).toBe(first.analysis.id);
    expect(again.analysis.status).toBe('completed');

    // A new analyzer version is a different question.
    const newer = await h.submit(artifact, { analyzerVersion: `${FAKE_ANALYZER_VERSION}-next` });
    expect(newer.deduplicated).toBe(false);

    const forced = await h.submit(artifact, { force: true });
    expect(forced.deduplicated).toBe(false);
    expect(forced.analysis.id).not.toBe(first.analysis.id);
    await h.waitForStatus(forced.analysis.id, ['completed']);
    await h.waitForStatus(newer.analysis.id, ['completed']);
    expect(runs).toBe(3);
    // One package, one artifact row for all of it.
    expect(await h.prisma.artifact.count({ where: { package: { name: artifact.name } } })).toBe(1);
  });

  it('PyPI names are one package whatever their spelling (PEP 503)', async () => {
    const { h } = await setup(createFakeAnalyzer({ durationMs: 20 }));
    const base = h.name('vbx_Py').replace(/-/g, '_');
    const canonical = h.track(base.toLowerCase().replace(/[-_.]+/g, '-'));
    const first = await h.submit({ ecosystem: 'pypi', name: base, version: '1.0', source: 'registry' });
    const second = await h.submit({ ecosystem: 'pypi', name: canonical.toUpperCase().replace(/-/g, '.'), version: '1.0', source: 'registry' });
    expect(second).toMatchObject({ deduplicated: true });
    expect(second.analysis.id).toBe(first.analysis.id);
    expect(first.analysis.artifact.package.name).toBe(canonical);
    expect(first.job?.artifact.name).toBe(canonical);
    await h.waitForStatus(first.analysis.id, ['completed']);
    const { packageVersions, latestReportFor } = await import('@vetbox/store');
    expect((await packageVersions(h.prisma, 'pypi', base))?.versions).toHaveLength(1);
    expect(await latestReportFor(h.prisma, 'pypi', canonical.toUpperCase(), '1.0')).not.toBeNull();
  });

  it('concurrent identical submissions create exactly one analysis', async () => {
    const { h } = await setup(createFakeAnalyzer({ durationMs: 100 }));
    const artifact = h.artifact();
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => h.submit(artifact)));
    expect(new Set(outcomes.map((o) => o.analysis.id)).size).toBe(1);
    expect(outcomes.filter((o) => !o.deduplicated)).toHaveLength(1);
  });

  it('transient failures are retried with backoff; the analysis then completes', async () => {
    let attempts: number[] = [];
    const { h } = await setup(createFakeAnalyzer({ durationMs: 50, failFirst: 2, failCode: 'DOCKER_UNAVAILABLE', onStart: (_j, a) => attempts.push(a) }));
    const { analysis } = await h.submit(h.artifact());
    const done = await h.waitForStatus(analysis.id, ['completed', 'failed']);
    expect(done.status).toBe('completed');
    expect(attempts).toEqual([1, 2, 3]);
    expect(done.attempts).toBe(3);
    expect(h.events.some((e) => e.analysisId === analysis.id && e.message === 'retrying after DOCKER_UNAVAILABLE')).toBe(true);
  });

  it('a final error fails the analysis at once with its code; transient ones fail after the last attempt', async () => {
    const { h } = await setup(createFakeAnalyzer({ durationMs: 20, failFirst: 99, failCode: 'PACKAGE_NOT_FOUND' }));
    const { analysis } = await h.submit(h.artifact());
    const failed = await h.waitForStatus(analysis.id, ['failed', 'completed']);
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'PACKAGE_NOT_FOUND', attempts: 1 });
    expect(failed.errorMessage).toContain('simulated failure 1');
    expect(await getReport(h.prisma, analysis.id)).toBeNull();

    const { h: h2 } = await setup(createFakeAnalyzer({ durationMs: 20, failFirst: 99, failCode: 'REGISTRY_UNAVAILABLE' }));
    const second = await h2.submit(h2.artifact());
    const failed2 = await h2.waitForStatus(second.analysis.id, ['failed', 'completed']);
    expect(failed2).toMatchObject({ status: 'failed', errorCode: 'REGISTRY_UNAVAILABLE', attempts: 3 });
    // A failed analysis does not answer later submissions: they run again.
    const retry = await h2.submit(second.analysis.artifact.package.name ? h2.artifact(second.analysis.artifact.package.name) : h2.artifact());
    expect(retry.deduplicated).toBe(false);
  });

  it('cancelling a running analysis aborts it; cancelling a queued one removes its job', async () => {
    let aborted = 0;
    const analyze = createFakeAnalyzer({ durationMs: 20_000 });
    const counting: Analyzer = async (job, ctx) => {
      ctx.signal.addEventListener('abort', () => (aborted += 1));
      return analyze(job, ctx);
    };
    const { h } = await setup(counting, 1);
    const running = await h.submit(h.artifact());
    const queued = await h.submit(h.artifact());
    await h.waitForStatus(running.analysis.id, ['running']);

    const { markCancelled } = await import('@vetbox/store');
    await markCancelled(h.prisma, queued.analysis.id);
    expect(await h.queue.cancel(queued.analysis.id)).toBe('removed');
    await markCancelled(h.prisma, running.analysis.id);
    const t0 = Date.now();
    expect(await h.queue.cancel(running.analysis.id)).toBe('signalled');
    await waitFor(() => aborted === 1, 'abort signal');
    expect(Date.now() - t0).toBeLessThan(3_000);
    await waitFor(async () => !(await h.queue.bull.getActiveCount()), 'job to leave active');
    const a = await h.waitForStatus(running.analysis.id, ['cancelled']);
    expect(a.errorCode).toBe('CANCELLED');
    expect(await getReport(h.prisma, running.analysis.id)).toBeNull();
    expect(await h.queue.has(queued.analysis.id)).toBe(false);
    expect((await h.waitForStatus(queued.analysis.id, ['cancelled'])).startedAt).toBeNull();
  });

  it('a job whose payload fails validation is failed with INVALID_INPUT, never run', async () => {
    let runs = 0;
    const { h } = await setup(createFakeAnalyzer({ durationMs: 20, onStart: () => (runs += 1) }));
    const { submitAnalysis } = await import('@vetbox/store');
    const { analysis } = await submitAnalysis(h.prisma, { artifact: h.artifact(), analyzerVersion: FAKE_ANALYZER_VERSION, queue: h.queueName });
    // Bypasses the producer's validation, as a foreign or corrupted producer would.
    await h.queue.bull.add('analyze', { analysisId: analysis.id, artifact: { ecosystem: 'rubygems', name: 'x' } }, { jobId: analysis.id });
    const failed = await h.waitForStatus(analysis.id, ['failed', 'completed']);
    expect(failed).toMatchObject({ status: 'failed', errorCode: 'INVALID_INPUT' });
    expect(failed.errorMessage).toMatch(/artifact\.ecosystem/);
    expect(runs).toBe(0);
    await expect(h.queue.enqueue({ analysisId: analysis.id } as never)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('rescoreAll re-runs rules over stored reports and updates verdict, score and findings', async () => {
    const { h } = await setup(createFakeAnalyzer({ durationMs: 20, verdict: 'suspicious' }));
    const { analysis } = await h.submit(h.artifact());
    await h.waitForStatus(analysis.id, ['completed']);
    const summary = await rescoreAll(h.prisma, (report) =>
      report.analysisId === analysis.id
        ? { verdict: 'malicious', score: 95, summary: 'rescored', findings: report.findings.map((f) => ({ ...f, severity: 'critical' as const, rule: 'credential-exfiltration' })) }
        : { verdict: report.verdict, score: report.score, findings: report.findings, summary: report.summary },
    );
    expect(summary.changed).toBeGreaterThanOrEqual(1);
    const after = await h.prisma.analysis.findUnique({ where: { id: analysis.id }, include: { findings: true } });
    expect(after).toMatchObject({ verdict: 'malicious', score: 95, summary: 'rescored' });
    expect(after?.findings.map((f) => [f.rule, f.severity])).toEqual([['credential-exfiltration', 'critical']]);
    expect((await getReport(h.prisma, analysis.id))?.verdict).toBe('malicious');
  });
});

describe('pipeline: a worker paused by an outage always takes jobs again', () => {
  /** A worker watching a Docker whose answer the test decides (PostgreSQL always answers). */
  async function outageSetup(extra: { reconcileSandboxes?: (active: ReadonlySet<string>) => Promise<void>; reconcileTimeoutMs?: number; dependencyCheckMs?: number }) {
    const docker = { up: true };
    const monitor = new DependencyMonitor({
      probes: [
        {
          name: 'docker',
          check: async () => {
            if (!docker.up) throw new Error('connect ENOENT docker.sock');
          },
        },
        { name: 'postgres', check: async () => undefined },
      ],
      intervalMs: 50,
      retryMinMs: 50,
      retryMaxMs: 50,
    });
    await monitor.start();
    cleanups.push(async () => monitor.stop());
    const h = new PipelineHarness();
    cleanups.push(() => h.close());
    await h.progress.whenReady();
    const worker = createAnalysisWorker({
      queueName: h.queueName,
      redisUrl: REDIS_URL,
      prisma: h.prisma,
      analyze: createFakeAnalyzer({ durationMs: 50, verdict: 'benign' }),
      logger,
      concurrency: 1,
      retentionDays: 30,
      attempts: 3,
      reconcileIntervalMs: 0,
      dependencies: monitor,
      ...extra,
    });
    cleanups.push(() => worker.close());
    await worker.ready();
    return { h, worker, docker };
  }

  it('Docker back but its clean-up never answers: jobs are taken once the clean-up time bound passes', async () => {
    const { h, worker, docker } = await outageSetup({ reconcileSandboxes: () => new Promise<void>(() => {}), reconcileTimeoutMs: 1_000 });
    docker.up = false;
    await waitFor(() => worker.worker.isPaused(), 'the worker to pause', 5_000);
    const { analysis } = await h.submit(h.artifact());
    await new Promise((r) => setTimeout(r, 300));
    expect((await h.waitForStatus(analysis.id, ['queued'])).status).toBe('queued');
    docker.up = true;
    // Without the bound the worker waits on the clean-up for ever, and the analysis stays queued.
    expect((await h.waitForStatus(analysis.id, ['completed', 'failed'], 15_000)).status).toBe('completed');
    expect(worker.worker.isPaused()).toBe(false);
  });

  it('paused with every dependency up (an event it never acted on): the periodic check resumes it', async () => {
    const { h, worker } = await outageSetup({ dependencyCheckMs: 200 });
    await worker.worker.pause(true);
    const { analysis } = await h.submit(h.artifact());
    expect((await h.waitForStatus(analysis.id, ['completed', 'failed'], 15_000)).status).toBe('completed');
  });
});
