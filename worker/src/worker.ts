import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Worker } from 'bullmq';
import type { Analyzer, AnalysisStatus } from '@vetbox/contracts';
import { loadEnv, within, type DependencyMonitor, type Logger } from '@vetbox/config';
import type { PrismaClient } from '@vetbox/db';
import { AnalysisQueue, CancelSubscriber, bullConnection, clearDependencyReport, createRedis, publishDependencyReport } from '@vetbox/queue';
import { markFailed, purgeExpiredRawArtifacts } from '@vetbox/store';
import { ABORT_CANCELLED, ABORT_OUTAGE, ABORT_SHUTDOWN, ANALYSIS_NEEDS, createProcessor } from './processor.js';
import { reconcileLostJobs } from './reconcile.js';
import { notifyAnalysisEnd } from './notify.js';

export interface AnalysisWorkerOptions {
  queueName: string;
  redisUrl: string;
  prisma: PrismaClient;
  analyze: Analyzer;
  logger: Logger;
  concurrency: number;
  /** Raw evidence retention (ARTIFACT_RETENTION_DAYS). */
  retentionDays: number;
  /** This host's DATA_DIR (uploads are materialized under artifacts/); default: the config's. */
  dataDir?: string;
  /** Tries for re-adding lost jobs (the queue's JOB_ATTEMPTS). */
  attempts: number;
  /**
   * How long a job's lock lives without renewal: a SIGKILLed worker's job is retaken after
   * roughly this plus `stalledIntervalMs`. The lock is renewed every lockDuration/2.
   */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** How many times a job may stall (its worker died) before it fails for good. */
  maxStalledCount?: number;
  /** At SIGTERM, how long running jobs may still finish before they are handed back. */
  shutdownGraceMs?: number;
  /** Re-add jobs of in-flight analyses that Redis lost; 0 disables. */
  reconcileIntervalMs?: number;
  /** Only analyses older than this are considered lost (a submission in progress is not). */
  reconcileMinAgeMs?: number;
  reapAnalysis?: (analysisId: string) => Promise<void>;
  /** Registries asked for the previous release (`baseline: previous` jobs); default from the environment. */
  registryUrl?: string;
  pypiUrl?: string;
  /** Deletes raw evidence past its retention; 0 disables. Every worker may run it (idempotent). */
  purgeIntervalMs?: number;
  /** Test hook / metrics: every final status this worker recorded. */
  onFinished?: (analysisId: string, status: AnalysisStatus) => void;
  workerId?: string;
  /**
   * Docker and PostgreSQL as this worker sees them: while one is down the worker takes no jobs,
   * hands back the one it held without spending an attempt, and resumes when it answers.
   */
  dependencies?: DependencyMonitor;
  /**
   * After Docker came back: removes what analyses no longer running here left (containers,
   * networks, work directories), before the worker takes jobs again.
   */
  reconcileSandboxes?: (active: ReadonlySet<string>) => Promise<void>;
  /**
   * How long that clean-up may hold the worker paused: an engine just back can leave a request
   * unanswered (a container removal waiting on a shim of the engine that died), and the queue
   * must not wait on it for ever. Past it the worker takes jobs again; what the clean-up did
   * not remove is reaped by the next one, or by the orphan reaper before each analysis.
   */
  reconcileTimeoutMs?: number;
  /** How often the worker republishes what it sees and checks that it is not paused with every dependency up. */
  dependencyCheckMs?: number;
}

export interface AnalysisWorker {
  readonly id: string;
  readonly worker: Worker;
  /** Resolves once the worker listens for jobs and cancellations. */
  ready(): Promise<void>;
  /** Graceful stop: no new jobs; running ones finish within the grace period or are handed back. */
  close(): Promise<void>;
}

/**
 * A BullMQ worker running analyses. Several of them, in any number of processes or machines,
 * share one queue through Redis and one database: a job is held by exactly one worker at a time,
 * and a job whose worker died is retaken by another after its lock expires.
 */
export function createAnalysisWorker(opts: AnalysisWorkerOptions): AnalysisWorker {
  const id = opts.workerId ?? `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const log = opts.logger.child({ workerId: id, queue: opts.queueName });
  const publisher = createRedis(opts.redisUrl);
  publisher.on('error', () => {});
  const queue = new AnalysisQueue({ name: opts.queueName, connection: bullConnection(opts.redisUrl), publisher, attempts: opts.attempts });

  const onFinished = (analysisId: string, status: AnalysisStatus) => {
    opts.onFinished?.(analysisId, status);
    notifyAnalysisEnd(opts.prisma, analysisId, status, log);
  };
  const active = new Set<string>();
  const processor = createProcessor({
    queueName: opts.queueName,
    prisma: opts.prisma,
    publisher,
    analyze: opts.analyze,
    retentionDays: opts.retentionDays,
    dataDir: opts.dataDir ?? loadEnv().DATA_DIR,
    logger: log,
    reapAnalysis: opts.reapAnalysis,
    baselines: { queue, queueName: opts.queueName, registryUrl: opts.registryUrl ?? loadEnv().NPM_REGISTRY_URL, pypiUrl: opts.pypiUrl ?? loadEnv().PYPI_URL },
    onFinished,
    dependencies: opts.dependencies,
    active,
  });

  const worker = new Worker(opts.queueName, (job, token, signal) => processor(job, token, signal), {
    connection: bullConnection(opts.redisUrl),
    concurrency: Math.max(1, opts.concurrency),
    lockDuration: opts.lockDurationMs ?? 30_000,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    maxStalledCount: opts.maxStalledCount ?? 2,
    name: id,
    autorun: true,
  });
  worker.on('error', (err) => log.warn({ err: err.message }, 'worker error'));
  worker.on('stalled', (jobId) => log.warn({ jobId }, 'job stalled (its worker died); it will be retried'));
  worker.on('failed', (job, err) => {
    if (!job?.id) return;
    const jobId = job.id;
    // Failures our processor decided are already in the database; this catches the ones BullMQ
    // decided itself (a job stalled too often), which the processor never saw.
    void (async () => {
      if (!(await job.isFailed())) return;
      if (await markFailed(opts.prisma, jobId, 'INTERNAL', err.message)) onFinished(jobId, 'failed');
    })().catch((e: unknown) => log.warn({ err: (e as Error).message, jobId }, 'could not record failure'));
  });

  const cancels = new CancelSubscriber(createRedis(opts.redisUrl), opts.queueName, (analysisId) => {
    if (worker.cancelJob(analysisId, ABORT_CANCELLED)) log.info({ analysisId }, 'cancelling running analysis');
  });

  let reconcileTimer: NodeJS.Timeout | undefined;
  const reconcileEvery = opts.reconcileIntervalMs ?? 60_000;
  const reconcile = () =>
    reconcileLostJobs(opts.prisma, queue, { minAgeMs: opts.reconcileMinAgeMs ?? 60_000 })
      .then((n) => n > 0 && log.warn({ requeued: n }, 're-added jobs missing from the queue'))
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'reconcile failed'));
  if (reconcileEvery > 0) {
    reconcileTimer = setInterval(reconcile, reconcileEvery);
    reconcileTimer.unref();
    void reconcile();
  }

  let purgeTimer: NodeJS.Timeout | undefined;
  const purgeEvery = opts.purgeIntervalMs ?? 3_600_000;
  if (purgeEvery > 0) {
    purgeTimer = setInterval(() => {
      purgeExpiredRawArtifacts(opts.prisma)
        .then((n) => n > 0 && log.info({ purged: n }, 'purged expired raw artifacts'))
        .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'raw artifact purge failed'));
    }, purgeEvery);
    purgeTimer.unref();
  }

  const stopWatching = opts.dependencies ? watchDependencies(opts.dependencies) : () => {};

  /**
   * Pause on an outage, resume when every dependency an analysis needs answers again; after a
   * Docker outage, clear what the interrupted analyses left first. Each worker publishes what it
   * sees to Redis, where the API reads it for /readyz, /metrics and "waiting for Docker".
   */
  function watchDependencies(monitor: DependencyMonitor): () => void {
    let dockerWasDown = false;
    let resuming: Promise<void> = Promise.resolve();
    /** A resume is queued or under way: the periodic check does not queue another. */
    let resumePending = false;
    const publish = () =>
      publishDependencyReport(publisher, opts.queueName, {
        workerId: id,
        down: monitor.down(),
        exceeded: ANALYSIS_NEEDS.filter((d) => monitor.exceeded(d)),
        at: Date.now(),
      }).catch(() => undefined);
    const resume = () => {
      if (resumePending) return;
      resumePending = true;
      resuming = resuming.then(async () => {
        try {
          if (dockerWasDown && opts.reconcileSandboxes) {
            dockerWasDown = false;
            const bound = opts.reconcileTimeoutMs ?? 60_000;
            await within(opts.reconcileSandboxes(active), bound, () => new Error(`no answer within ${bound} ms`)).catch((err: unknown) =>
              log.warn({ err: (err as Error).message }, 'reconciling sandboxes after the outage failed: taking jobs anyway'),
            );
          }
          if (monitor.isUp(...ANALYSIS_NEEDS) && !closing && worker.isPaused()) {
            await worker.resume();
            log.info('dependencies answer again: taking jobs');
          }
        } finally {
          resumePending = false;
        }
      });
    };
    const off = monitor.onChange((change) => {
      void publish();
      if (!ANALYSIS_NEEDS.includes(change.name)) return;
      if (!change.up) {
        if (change.name === 'docker') dockerWasDown = true;
        log.warn({ dependency: change.name }, 'pausing: no new jobs until it answers');
        void worker.pause(true).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'pause failed'));
        // A sandbox without its engine cannot finish: stop now and hand the job back.
        if (change.name === 'docker') worker.cancelAllJobs(ABORT_OUTAGE);
        return;
      }
      if (monitor.isUp(...ANALYSIS_NEEDS)) resume();
    });
    if (!monitor.isUp(...ANALYSIS_NEEDS)) {
      dockerWasDown = !monitor.isUp('docker');
      void worker.pause(true).catch(() => undefined);
      log.warn({ waitingFor: monitor.down().map((d) => d.name) }, 'starting paused: a dependency is down');
    }
    void publish();
    // Besides the events: a worker paused while everything answers (an event it never acted on) takes jobs again.
    const timer = setInterval(() => {
      void publish();
      if (monitor.isUp(...ANALYSIS_NEEDS) && worker.isPaused() && !closing) resume();
    }, opts.dependencyCheckMs ?? 10_000);
    timer.unref();
    return () => {
      off();
      clearInterval(timer);
    };
  }

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      if (reconcileTimer) clearInterval(reconcileTimer);
      stopWatching();
      if (purgeTimer) clearInterval(purgeTimer);
      const grace = opts.shutdownGraceMs ?? 10_000;
      const handBack = setTimeout(() => {
        log.info('shutdown grace over: handing running jobs back');
        worker.cancelAllJobs(ABORT_SHUTDOWN);
      }, grace);
      try {
        await worker.close();
      } finally {
        clearTimeout(handBack);
        await cancels.close();
        if (opts.dependencies) await clearDependencyReport(publisher, opts.queueName, id).catch(() => {});
        await queue.close().catch(() => {});
        await publisher.quit().catch(() => publisher.disconnect());
        log.info('worker closed');
      }
    })();
    return closing;
  };

  return {
    id,
    worker,
    async ready() {
      await Promise.all([worker.waitUntilReady(), cancels.whenReady()]);
    },
    close,
  };
}
