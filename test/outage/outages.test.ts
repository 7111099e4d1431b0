/**
 * Outages that cost time, never verdicts: the Docker daemon SIGKILLed and restarted under a
 * running analysis, the daemon down for longer than a phase's time limit, PostgreSQL restarted
 * mid-analysis. These stop shared services for real, so they run apart from the rest of the
 * suite (`npm test` runs this file last, alone: vitest.outage.config.ts).
 *
 * The daemon is restarted through the setup script's own start function (step_docker), so the
 * test proves the path an operator takes. DOCKER_HOST / DOCKER_SOCKET / DOCKER_PIDFILE /
 * DOCKERD_EXTRA_ARGS select another daemon than the shared one (a developer's private daemon
 * while others use the machine); OUTAGE_PG_CLUSTER ("<version> <name>") another PostgreSQL.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@vetbox/config';
import { ANALYZER_VERSION } from '@vetbox/pipeline';
import { readDependencyReports } from '@vetbox/queue';
import { getAnalysis, getReport, submitAnalysis } from '@vetbox/store';
import { containersOf } from '../fixtures/pipeline/container-analyzer.js';
import { DATABASE_URL, PipelineHarness, REDIS_URL, waitFor } from '../fixtures/pipeline/harness.js';
import { npmArchive } from '../fixtures/pipeline/imitation.js';
import { WorkerProcess } from '../fixtures/pipeline/processes.js';

const DOCKER_PIDFILE = process.env.DOCKER_PIDFILE ?? '/var/run/docker.pid';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});
// Whatever happened, leave the daemon and the database running for whoever comes next.
afterAll(() => {
  if (!dockerAnswers()) startDocker();
  startPostgres();
});

function dockerAnswers(): boolean {
  return spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/** SIGKILL, as a crash or an OOM kill of the daemon would: no chance to clean anything up. */
function killDocker(): void {
  const pid = Number(execFileSync('cat', [DOCKER_PIDFILE], { encoding: 'utf8' }).trim());
  expect(pid).toBeGreaterThan(1);
  process.kill(pid, 'SIGKILL');
}

/** The setup script's own start function (removes the stale pid file, starts, waits for `docker info`). */
function startDocker(): void {
  const r = spawnSync('bash', ['-c', 'source scripts/setup.sh && step_docker'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`step_docker failed (${r.status}): ${r.stdout}\n${r.stderr}`);
}

function pgCluster(): [string, string] {
  const given = process.env.OUTAGE_PG_CLUSTER?.split(/\s+/);
  if (given?.length === 2) return [given[0]!, given[1]!];
  const version = execFileSync('ls', ['/usr/lib/postgresql'], { encoding: 'utf8' }).trim().split('\n').sort().pop()!;
  return [version, 'main'];
}

function stopPostgres(): void {
  execFileSync('pg_ctlcluster', [...pgCluster(), 'stop', '-m', 'fast'], { stdio: 'ignore' });
}

function startPostgres(): void {
  spawnSync('pg_ctlcluster', [...pgCluster(), 'start'], { stdio: 'ignore' });
}

function harness(): PipelineHarness {
  const h = new PipelineHarness(REDIS_URL);
  cleanups.push(() => h.close());
  return h;
}

/** A worker process with the production wiring (real pipeline, dependency monitor, reconciler). */
function worker(h: PipelineHarness, env: Record<string, string> = {}): WorkerProcess {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'vetbox-outage-data-'));
  const w = new WorkerProcess({ QUEUE_NAME: h.queueName, REDIS_URL: h.redisUrl, DATABASE_URL, REAL_PIPELINE: '1', DATA_DIR: dataDir, ...env });
  cleanups.push(async () => {
    // OUTAGE_DEBUG=<file>: what the worker logged (LOG_LEVEL=info), for a failure's post-mortem.
    if (process.env.OUTAGE_DEBUG) writeFileSync(process.env.OUTAGE_DEBUG, w.events.map((e) => JSON.stringify(e)).join('\n') + '\n' + w.stderr);
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
    expect(dockerAnswers(), 'the Docker daemon must be running before the test').toBe(true);
    const h = harness();
    const w = worker(h);
    await w.ready();
    const id = await submitSlow(h, 8);
    await waitFor(async () => (await statusOf(h, id))?.stage === 'install', 'the install phase', 180_000);
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
    // BullMQ counts the attempt that completed; the interrupted one was handed back uncounted.
    const job = await h.queue.bull.getJob(id);
    expect(job?.attemptsMade).toBe(1);
    const report = await getReport(h.prisma, id);
    expect(report?.verdict).toBe('benign');
    expect(report?.phases.find((p) => p.name === 'install')?.status).toBe('completed');
    // The interrupted attempt's sandbox and sinkhole were removed once the daemon was back.
    await waitFor(() => containersOf(id).length === 0, 'no labeled container of the analysis', 30_000);
  }, 600_000);

  it('dockerd down for longer than a phase time limit: queued analyses wait, then complete', async () => {
    const h = harness();
    const w = worker(h, { SANDBOX_PHASE_TIMEOUT_MS: '10000', WORKER_CONCURRENCY: '2' });
    await w.ready();
    killDocker();
    await waitFor(() => !dockerAnswers(), 'the daemon to be gone', 15_000);
    const ids = [await submitSlow(h, 1), await submitSlow(h, 1)];
    // Longer than the phase limit and than a retry backoff: nothing fails meanwhile.
    await new Promise((r) => setTimeout(r, 20_000));
    for (const id of ids) {
      const a = await statusOf(h, id);
      expect(a?.status, `${id} while Docker is down`).toBe('queued');
      expect(a?.attempts ?? 0).toBeLessThanOrEqual(1);
    }
    startDocker();
    for (const id of ids) {
      const done = await waitForCompletion(h, id, 400_000);
      expect(done.verdict).toBe('benign');
      const job = await h.queue.bull.getJob(id);
      expect(job?.attemptsMade, 'an outage spends no attempt (only the completing one counts)').toBe(1);
    }
  }, 900_000);

  it('PostgreSQL restarted mid-analysis: the analysis completes', async () => {
    const h = harness();
    const w = worker(h);
    await w.ready();
    const id = await submitSlow(h, 6);
    await waitFor(async () => (await statusOf(h, id))?.stage === 'install', 'the install phase', 180_000);
    stopPostgres();
    // Down for longer than the sandbox takes to finish: the worker holds the result until it can store it.
    await new Promise((r) => setTimeout(r, 12_000));
    startPostgres();
    const done = await waitForCompletion(h, id, 400_000);
    expect(done.verdict).toBe('benign');
    expect(done.attempts).toBe(1);
  }, 600_000);
});
