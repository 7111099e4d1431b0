import path from 'node:path';
import type { Analyzer } from '@vetbox/contracts';
import { VetboxError } from '@vetbox/contracts';
import { DependencyMonitor, dockerProbe, postgresProbe, type Env, type Logger } from '@vetbox/config';
import { createPrismaClient, type PrismaClient } from '@vetbox/db';
import { DockerRuntime, isPoolLabel, localWorkerAlive, poolMemberInUse, poolMemberStale, reapOrphans, reapStale, reapStaleWorkDirs, reapWorkDirs, workerId as sandboxWorkerId } from '@vetbox/sandbox';
import { createAnalysisWorker } from './worker.js';

export interface RunningWorker {
  /** Finishes or hands back current work, then releases every connection. */
  close(): Promise<void>;
}

export interface StartWorkerDeps {
  /** The analysis pipeline; defaults to the `analyze` export of ANALYZER_MODULE. */
  analyze?: Analyzer;
  reapAnalysis?: (analysisId: string) => Promise<void>;
}

/** Where the pipeline's `analyze` comes from (a module specifier, resolved at boot). */
const DEFAULT_ANALYZER_MODULE = '@vetbox/pipeline';

async function loadAnalyzer(specifier: string): Promise<Analyzer> {
  let mod: { analyze?: unknown };
  try {
    mod = (await import(specifier)) as { analyze?: unknown };
  } catch (err) {
    throw new VetboxError('INTERNAL', `cannot load the analysis pipeline from ${specifier}`, { cause: err });
  }
  if (typeof mod.analyze !== 'function') throw new VetboxError('INTERNAL', `${specifier} exports no analyze function`);
  return mod.analyze as Analyzer;
}

/**
 * Without a pipeline the worker must not take jobs (it could only fail them): it stays up, says
 * why, and leaves the queue to a worker that has one. Only for the default module; an
 * ANALYZER_MODULE that was set explicitly and does not load stops the process.
 */
function idleWorker(env: Env, logger: Logger, err: unknown): RunningWorker {
  logger.error({ err: (err as Error).message, queue: env.QUEUE_NAME }, 'no analysis pipeline: this worker takes no jobs');
  const keepAlive = setInterval(() => {}, 1 << 30);
  logger.info({ queue: env.QUEUE_NAME, analyzing: false }, 'worker started');
  return {
    async close() {
      clearInterval(keepAlive);
    },
  };
}

/**
 * Before each analysis (and at startup), removes sandbox containers and networks whose worker
 * process is gone — by label only (see @vetbox/sandbox reapOrphans) — and the work directories
 * such a worker left under DATA_DIR/work. A job retaken from a SIGKILLed worker thus starts with
 * that worker's container and files already removed.
 */
export function orphanReaper(env: Env, logger: Logger): (analysisId: string) => Promise<void> {
  const runtime = new DockerRuntime({ socketPath: env.DOCKER_SOCKET, logger });
  return async (analysisId) => {
    try {
      await reapOrphans({ runtime, logger });
      await reapWorkDirs(path.join(env.DATA_DIR, 'work'), { logger });
    } catch (err) {
      logger.warn({ analysisId, err: (err as Error).message }, 'reaping orphaned sandbox resources failed');
    }
  };
}

/**
 * After Docker came back from an outage: removes every labeled container and network whose
 * analysis is no longer running (finished, failed, cancelled, or handed back by this worker or
 * another), and this worker's work directories of analyses it no longer runs. Analyses unknown
 * to this database belong to another deployment sharing the engine and are left alone.
 */
export function sandboxReconciler(env: Env, prisma: PrismaClient, logger: Logger): (active: ReadonlySet<string>) => Promise<void> {
  const runtime = new DockerRuntime({ socketPath: env.DOCKER_SOCKET, logger });
  return async (active) => {
    const removed = await reapStale({
      runtime,
      logger,
      isStale: async (analysisId, worker) => {
        if (active.has(analysisId)) return false;
        if (isPoolLabel(analysisId)) return poolMemberStale(analysisId, worker, sandboxWorkerId(), localWorkerAlive);
        if (worker === sandboxWorkerId()) return true;
        const analysis = await prisma.analysis.findUnique({ where: { id: analysisId }, select: { status: true } }).catch(() => null);
        return analysis !== null && analysis.status !== 'running';
      },
    });
    const dirs = await reapStaleWorkDirs(path.join(env.DATA_DIR, 'work'), (id) => active.has(id) || poolMemberInUse(id), { logger });
    logger.info({ containers: removed.length, workDirs: dirs.length }, 'reconciled sandboxes after the Docker outage');
  };
}

/** Docker and PostgreSQL as the worker needs them, probed with backoff while down. */
export function workerDependencies(env: Env, prisma: PrismaClient, logger: Logger): DependencyMonitor {
  return new DependencyMonitor({
    probes: [dockerProbe(env.DOCKER_SOCKET), postgresProbe(prisma)],
    outageMaxMs: env.DEPENDENCY_OUTAGE_MAX_MS,
    logger,
  });
}

/** Starts the analysis worker with the real clients (the process entry calls this). */
export async function startWorker(env: Env, logger: Logger, deps: StartWorkerDeps = {}): Promise<RunningWorker> {
  let analyze = deps.analyze;
  if (!analyze) {
    try {
      analyze = await loadAnalyzer(process.env.ANALYZER_MODULE ?? DEFAULT_ANALYZER_MODULE);
    } catch (err) {
      if (process.env.ANALYZER_MODULE) throw err;
      return idleWorker(env, logger, err);
    }
  }
  const reap = deps.reapAnalysis ?? orphanReaper(env, logger);
  const prisma = createPrismaClient({ databaseUrl: env.DATABASE_URL, maxConnections: Math.max(4, env.WORKER_CONCURRENCY * 2) });
  // The first probe decides whether the worker starts taking jobs or waits (it never fails to start).
  const dependencies = workerDependencies(env, prisma, logger);
  await dependencies.start();
  const worker = createAnalysisWorker({
    queueName: env.QUEUE_NAME,
    redisUrl: env.REDIS_URL,
    prisma,
    analyze,
    logger,
    concurrency: env.WORKER_CONCURRENCY,
    retentionDays: env.ARTIFACT_RETENTION_DAYS,
    dataDir: env.DATA_DIR,
    attempts: env.JOB_ATTEMPTS,
    shutdownGraceMs: env.SANDBOX_GRACE_MS + 5_000,
    reapAnalysis: reap,
    dependencies,
    reconcileSandboxes: sandboxReconciler(env, prisma, logger),
  });
  await worker.ready();
  // Containers of workers that died on this host (a retaken job's old sandbox among them).
  await reap('startup');
  // Sandboxes prepared ahead from now on (SANDBOX_POOL_SIZE); removed again at close.
  analyze.warm?.();
  logger.info({ queue: env.QUEUE_NAME, concurrency: env.WORKER_CONCURRENCY, workerId: worker.id }, 'worker started');
  return {
    async close() {
      await worker.close();
      await analyze.close?.().catch((err: unknown) => logger.error({ err: String(err) }, 'draining the sandbox pool failed'));
      dependencies.stop();
      await prisma.$disconnect();
    },
  };
}
