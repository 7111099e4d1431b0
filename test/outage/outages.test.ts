/**
 * Outages that cost time, never verdicts: the Docker daemon SIGKILLed and restarted under a
 * running analysis, the daemon down for longer than a phase's time limit, PostgreSQL stopped
 * mid-analysis. They kill a daemon and a database of their own (test/fixtures/outage), started
 * the way an operator starts them (the setup script's step_docker, pg_ctlcluster), so nothing
 * else on the machine loses its services; `npm test` still runs this file alone, after the rest
 * (vitest.outage.config.ts), since outages make timing-sensitive neighbours flaky.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANALYZER_VERSION } from '@vetbox/pipeline';
import { readDependencyReports } from '@vetbox/queue';
import { getAnalysis, getReport, submitAnalysis } from '@vetbox/store';
import { containersOf } from '../fixtures/pipeline/container-analyzer.js';
import { PipelineHarness, REDIS_URL, waitFor } from '../fixtures/pipeline/harness.js';
import { npmArchive } from '../fixtures/pipeline/imitation.js';
import { WorkerProcess } from '../fixtures/pipeline/processes.js';
import {
  ensurePrivateDocker,
  ensurePrivatePostgres,
  OUTAGE_LOG_DIR,
  killPrivateDocker,
  privateDockerAnswers,
  privateDockerEnv,
  startPrivateDocker,
  startPrivatePostgres,
  stopPrivateDocker,
  stopPrivatePostgres,
} from '../fixtures/outage/private-services.js';

let databaseUrl = '';
beforeAll(() => {
  ensurePrivateDocker();
  databaseUrl = ensurePrivatePostgres();
  // The docker CLI in containersOf() follows DOCKER_HOST: look at the private daemon.
  Object.assign(process.env, privateDockerEnv());
}, 900_000);

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});
// Stop both: the machine is left as it was; their storage (the image, the database) stays for the next run.
afterAll(() => {
  stopPrivateDocker();
  stopPrivatePostgres();
}, 120_000);

const killDocker = killPrivateDocker;
const startDocker = startPrivateDocker;
const dockerAnswers = privateDockerAnswers;
const stopPostgres = stopPrivatePostgres;
const startPostgres = startPrivatePostgres;

function harness(): PipelineHarness {
  const h = new PipelineHarness(REDIS_URL, databaseUrl);
  cleanups.push(() => h.close());
  return h;
}

/** A worker process with the production wiring (real pipeline, dependency monitor, reconciler). */
function worker(h: PipelineHarness, env: Record<string, string> = {}): WorkerProcess {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vetbox-outage-data-'));
  // Production lock timings (the fixture's 2 s default loses the lock on a loaded machine).
  const w = new WorkerProcess({
    QUEUE_NAME: h.queueName,
    REDIS_URL: h.redisUrl,
    DATABASE_URL: databaseUrl,
    REAL_PIPELINE: '1',
    DATA_DIR: dataDir,
    LOCK_MS: '30000',
    STALLED_MS: '30000',
    LOG_LEVEL: 'info',
    ...privateDockerEnv(),
    ...env,
  });
  cleanups.push(async () => {
    // What the worker logged, kept beside the private dockerd's log: a rare failure (these tests
    // race real outages against a real engine) is then read from the log, not guessed at.
    mkdirSync(OUTAGE_LOG_DIR, { recursive: true });
    writeFileSync(path.join(OUTAGE_LOG_DIR, `worker-${h.queueName}.log`), w.events.map((e) => JSON.stringify(e)).join('\n') + '\n' + w.stderr);
    await w.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return w;
}

/** An upload whose postinstall runs for `seconds`, long enough to pull the rug from under it. */
async function submitSlow(h: PipelineHarness, seconds: number): Promise<string> {
  const name = h.name('vbx-outage');
  const archive = await npmArchive({
    name,
    version: '1.0.0',
    scripts: { postinstall: `node -e "setTimeout(() => {}, ${seconds * 1000})"` },
    files: { 'index.js': 'module.exports = 1;\n' },
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vetbox-outage-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, `${name}-1.0.0.tgz`);
  writeFileSync(file, archive);
  const outcome = await submitAnalysis(h.prisma, {
    artifact: { ecosystem: 'npm', name, version: '1.0.0', source: 'upload', sha256: createHash('sha256').update(archive).digest('hex'), size: archive.length, storedPath: file },
    blob: archive,
    analyzerVersion: ANALYZER_VERSION,
    queue: h.queueName,
  });
  await h.queue.enqueue(outcome.job!);
  return outcome.analysis.id;
}

/** Polls the database, riding out the moments it is restarting. */
async function statusOf(h: PipelineHarness, id: string) {
  return getAnalysis(h.prisma, id).catch(() => null);
}

async function waitForCompletion(h: PipelineHarness, id: string, timeoutMs: number) {
  return waitFor(async () => {
    const a = await statusOf(h, id);
    if (a && ['failed', 'cancelled'].includes(a.status)) throw new Error(`analysis ${id} ended ${a.status}: ${a.errorCode} ${a.errorMessage}`);
    return a?.status === 'completed' ? a : null;
  }, `analysis ${id} to complete`, timeoutMs);
}

describe.sequential('outages cost time, never verdicts', () => {
  it('dockerd SIGKILLed mid-analysis and restarted: the analysis completes with no attempt spent, nothing labeled is left', async () => {
    const h = harness();
    const w = worker(h);
    await w.ready();
    const id = await submitSlow(h, 8);
    await waitFor(async () => (await statusOf(h, id))?.stage === 'install', 'the install phase', 300_000);
    await waitFor(() => containersOf(id).length === 2, 'the sandbox and sinkhole containers', 30_000);

    killDocker();
    await waitFor(() => !dockerAnswers(), 'the daemon to be gone', 15_000);
    // The worker hands the job back and says why, instead of failing it.
    const waiting = await waitFor(
      () => h.events.find((e) => e.analysisId === id && e.status === 'queued' && /waiting for Docker/i.test(e.message ?? '')),
      'a "waiting for Docker" progress event',
      30_000,
    );
    expect(waiting.stage).toBe('queued');
    const during = await statusOf(h, id);
    expect(during?.status).toBe('queued');
    const reports = await readDependencyReports(h.publisher, h.queueName);
    expect(reports.flatMap((r) => r.down.map((d) => d.name))).toContain('docker');

    await new Promise((r) => setTimeout(r, 5_000));
    startDocker();

    const done = await waitForCompletion(h, id, 400_000);
    expect(done.attempts, 'an outage spends no attempt').toBe(1);
    const report = await getReport(h.prisma, id);
    expect(report?.verdict, report?.summary).toBe('benign');
    expect(report?.phases.find((p) => p.name === 'install')?.status).toBe('completed');
    // The interrupted attempt's sandbox and sinkhole were removed once the daemon was back.
    await waitFor(() => containersOf(id).length === 0, 'no labeled container of the analysis', 30_000);
  }, 600_000);

  it('dockerd down for longer than a phase time limit: queued analyses wait, then complete', async () => {
    const h = harness();
    // A phase limit the outage outlasts, yet long enough for a 1 s postinstall on a loaded host.
    const w = worker(h, { SANDBOX_PHASE_TIMEOUT_MS: '30000', WORKER_CONCURRENCY: '2' });
    await w.ready();
    killDocker();
    await waitFor(() => !dockerAnswers(), 'the daemon to be gone', 15_000);
    const ids = [await submitSlow(h, 1), await submitSlow(h, 1)];
    // Longer than the phase limit and than a retry backoff: nothing fails meanwhile.
    await new Promise((r) => setTimeout(r, 35_000));
    for (const id of ids) {
      const a = await statusOf(h, id);
      expect(a?.status, `${id} while Docker is down`).toBe('queued');
      expect(a?.attempts ?? 0).toBeLessThanOrEqual(1);
    }
    startDocker();
    for (const id of ids) {
      const done = await waitForCompletion(h, id, 400_000);
      expect(done.verdict, (await getReport(h.prisma, id))?.summary).toBe('benign');
      // The attempt that completed is the first: waiting spent none.
      expect(done.attempts, 'an outage spends no attempt').toBe(1);
    }
  }, 900_000);

  it('PostgreSQL restarted mid-analysis: the analysis completes', async () => {
    const h = harness();
    const w = worker(h);
    await w.ready();
    const id = await submitSlow(h, 6);
    await waitFor(async () => (await statusOf(h, id))?.stage === 'install', 'the install phase', 300_000);
    stopPostgres();
    // Down for longer than the sandbox takes to finish: the worker holds the result until it can store it.
    await new Promise((r) => setTimeout(r, 12_000));
    startPostgres();
    const done = await waitForCompletion(h, id, 400_000);
    expect(done.verdict).toBe('benign');
    expect(done.attempts).toBe(1);
  }, 600_000);
});
