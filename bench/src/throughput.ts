// npm run bench:throughput: N analyses of small packages through the real queue (Redis), worker
// and store (PostgreSQL) with WORKER_CONCURRENCY, then K analyses one at a time to isolate the
// latency the queue and storage add. Prints figures, never asserts. Last lines:
//   throughput: <N> analyses/min
//   queue-latency: <N> ms   (median of end-to-end time minus time inside the analyzer)
// Before them, the CPU an analysis cost the whole machine in phase 1 (worker, containers, the
// engine, the tracer, the databases) and the ceiling that puts on any concurrency here: measure
// on a quiet machine, since everything else running is counted too. The npm script sets
// LOG_LEVEL=warn unless given one: the sandboxes' info lines would bury the figures. Then the same by part (this
// worker's sandboxes and sinkholes, the engine, the eBPF loader, the databases: lib/cpu-parts.ts).
//
// The analyzer is the real pipeline (`analyze` of ANALYZER_MODULE, default @vetbox/pipeline)
// when it loads; otherwise, or with BENCH_ANALYZER=stand-in, a stand-in that sleeps
// BENCH_STANDIN_MS per analysis, so the figures then describe the queue and store only.
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger, loadEnv } from '@vetbox/config';
import type { Analyzer, ProgressEvent } from '@vetbox/contracts';
import { createPrismaClient } from '@vetbox/db';
import { AnalysisQueue, ProgressSubscriber, bullConnection, createRedis } from '@vetbox/queue';
import { submitAnalysis } from '@vetbox/store';
import { createAnalysisWorker } from '@vetbox/worker';
import { createFakeAnalyzer } from '../../test/fixtures/pipeline/fake-analyzer.ts';
import { npmTarball } from '../../test/fixtures/api/archives.ts';
import { createHash } from 'node:crypto';
import { workerId } from '@vetbox/sandbox';
import { measureCpu } from './lib/cpu.js';
import { sampleCpuParts } from './lib/cpu-parts.js';

const env = loadEnv();
const N = Number(process.env.BENCH_N ?? 20);
const K = Number(process.env.BENCH_LATENCY_RUNS ?? 10);
const STANDIN_MS = Number(process.env.BENCH_STANDIN_MS ?? 2_000);
const logger = createLogger('bench-throughput', { level: 'warn' });

async function loadAnalyzer(): Promise<{ analyze: Analyzer; label: string }> {
  if (process.env.BENCH_ANALYZER !== 'stand-in') {
    const specifier = process.env.ANALYZER_MODULE ?? '@vetbox/pipeline';
    try {
      const mod = (await import(specifier)) as { analyze?: Analyzer };
      if (typeof mod.analyze === 'function') return { analyze: mod.analyze, label: `real pipeline (${specifier})` };
    } catch (err) {
      console.error(`pipeline not loadable from ${specifier}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return { analyze: createFakeAnalyzer({ durationMs: STANDIN_MS }), label: `STAND-IN analyzer sleeping ${STANDIN_MS} ms (queue + store figures only)` };
}

const { analyze, label } = await loadAnalyzer();
const prisma = createPrismaClient({ databaseUrl: env.DATABASE_URL });
const redis = createRedis(env.REDIS_URL);
const queueName = `bench-${randomUUID()}`;
const queue = new AnalysisQueue({ name: queueName, connection: bullConnection(env.REDIS_URL), publisher: redis, attempts: 1 });
const progress = new ProgressSubscriber(createRedis(env.REDIS_URL), queueName);
await progress.whenReady();
const dir = path.join(env.DATA_DIR, 'bench', queueName);
await mkdir(dir, { recursive: true });
const prefix = `vetbox-bench-${randomUUID().slice(0, 6)}`;
const names: string[] = [];

const worker = createAnalysisWorker({
  queueName,
  redisUrl: env.REDIS_URL,
  prisma,
  analyze,
  logger,
  concurrency: env.WORKER_CONCURRENCY,
  retentionDays: env.ARTIFACT_RETENTION_DAYS,
  attempts: 1,
  reconcileIntervalMs: 0,
});
await worker.ready();
// As the worker does (worker/src/start.ts): sandboxes prepared ahead (SANDBOX_POOL_SIZE).
analyze.warm?.();

/** A tiny npm package with an install script, stored as an upload (no registry needed). */
async function smallPackage(i: number) {
  const name = `${prefix}-${i}`;
  names.push(name);
  const tgz = await npmTarball(name, '1.0.0');
  const storedPath = path.join(dir, `${name}-1.0.0.tgz`);
  await writeFile(storedPath, tgz);
  return { ecosystem: 'npm' as const, name, version: '1.0.0', source: 'upload' as const, sha256: createHash('sha256').update(tgz).digest('hex'), size: tgz.length, storedPath };
}

const finished = new Map<string, { at: number; status: string }>();
const waiters = new Map<string, () => void>();
progress.on('*', (e: ProgressEvent) => {
  if (e.status === 'running' || e.status === 'queued') return;
  finished.set(e.analysisId, { at: performance.now(), status: e.status });
  waiters.get(e.analysisId)?.();
});
const done = (id: string) => new Promise<void>((resolve) => (finished.has(id) ? resolve() : waiters.set(id, resolve)));

/** What the API does for a submission: insert (with dedup) and enqueue. */
async function submit(i: number) {
  const artifact = await smallPackage(i);
  const t0 = performance.now();
  const outcome = await submitAnalysis(prisma, { artifact, analyzerVersion: `bench-${queueName}`, queue: queueName });
  await queue.enqueue(outcome.job!);
  return { id: outcome.analysis.id, t0 };
}

async function analyzeMs(id: string): Promise<number> {
  const a = await prisma.analysis.findUniqueOrThrow({ where: { id }, select: { timings: true, status: true, errorCode: true } });
  if (a.status !== 'completed') throw new Error(`analysis ${id} ended ${a.status} (${a.errorCode})`);
  return (a.timings as Record<string, number>).analyzeMs;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

try {
  console.log(`analyzer: ${label}`);
  console.log(`worker concurrency: ${env.WORKER_CONCURRENCY}; sandbox pool: ${env.SANDBOX_POOL_SIZE}; ${N} analyses at once, then ${K} one at a time`);

  // Phase 1: throughput with everything submitted at once.
  const startedAt = performance.now();
  const spent = measureCpu();
  const parts = sampleCpuParts(workerId());
  const batch = [];
  for (let i = 0; i < N; i++) batch.push(await submit(i));
  await Promise.all(batch.map((b) => done(b.id)));
  const wallMs = performance.now() - startedAt;
  const cpu = spent();
  const byPart = await parts.stop();
  const failed = batch.filter((b) => finished.get(b.id)?.status !== 'completed').length;
  if (failed) console.error(`${failed} of ${N} analyses did not complete`);
  const perMin = (N - failed) / (wallMs / 60_000);
  console.log(`phase 1: ${N} analyses in ${(wallMs / 1000).toFixed(1)} s; load average ${os.loadavg()[0].toFixed(1)} on ${cpu.cores} CPUs`);
  const done1 = Math.max(1, N - failed);
  const per = (s: number | undefined) => (s === undefined ? 'n/a' : (s / done1).toFixed(2));
  console.log(`cpu per analysis: ${per(cpu.machineS)} core-s machine-wide (worker ${per(cpu.processS)}, containers ${per(cpu.containersS)}, engine/tracer/databases/other ${per(cpu.containersS === undefined ? undefined : cpu.machineS - cpu.processS - cpu.containersS)})`);
  console.log(`cpu by part per analysis (core-s): worker ${per(cpu.processS)}, sandboxes ${per(byPart.sandboxesS)}, sinkholes ${per(byPart.sinkholesS)}, engine (dockerd, containerd, shims, runc; at least) ${per(byPart.engineS)}, eBPF loader ${per(byPart.tracerS)}, PostgreSQL+Redis ${per(byPart.databasesS)}`);
  console.log(`cpu ceiling: ${((cpu.cores * 60) / (cpu.machineS / done1)).toFixed(1)} analyses/min with all ${cpu.cores} CPUs busy`);

  // Phase 2: idle workers, one analysis at a time: end-to-end minus the analyzer's own time.
  const added: number[] = [];
  for (let i = 0; i < K; i++) {
    const { id, t0 } = await submit(N + i);
    await done(id);
    const e2e = finished.get(id)!.at - t0;
    added.push(e2e - (await analyzeMs(id)));
  }
  console.log(`phase 2: added latency per analysis (ms): ${added.map((x) => Math.round(x)).join(' ')}`);
  console.log(`throughput: ${perMin.toFixed(1)} analyses/min`);
  console.log(`queue-latency: ${Math.round(median(added))} ms`);
} finally {
  await worker.close();
  await analyze.close?.();
  await prisma.package.deleteMany({ where: { name: { in: names } } });
  await queue.obliterate().catch(() => {});
  await queue.close();
  await progress.close();
  await redis.quit();
  await prisma.$disconnect();
  await rm(dir, { recursive: true, force: true });
}
