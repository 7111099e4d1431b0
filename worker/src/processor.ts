import { DelayedError, UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { AnalysisJob, isTransient, type Analyzer, type AnalysisStatus, type ProgressEvent, type Report, type Stage, type Verdict } from '@vetbox/contracts';
import type { DependencyMonitor, DependencyName, Logger } from '@vetbox/config';
import type { PrismaClient } from '@vetbox/db';
import { findKnownMalicious } from '@vetbox/intel';
import { applyKnownMalicious } from '@vetbox/pipeline';
import { publishProgress } from '@vetbox/queue';
import { completeAnalysis, getAnalysis, getReport, markCancelled, markFailed, markRequeued, markRunning, toVetboxError, updateStage } from '@vetbox/store';
import { materializeUpload } from './uploads.js';
import { resolvePreviousBaseline, type BaselineDeps } from './baseline.js';

/** AbortSignal reasons the worker itself uses. */
export const ABORT_CANCELLED = 'cancelled';
export const ABORT_SHUTDOWN = 'shutdown';
/** A dependency (Docker) went away mid-analysis: the job goes back to the queue, no attempt spent. */
export const ABORT_OUTAGE = 'outage';

/** What an analysis needs to run; while one is down, jobs wait instead of failing. */
export const ANALYSIS_NEEDS: readonly DependencyName[] = ['docker', 'postgres'];
const DEPENDENCY_LABEL: Record<DependencyName, string> = { docker: 'Docker', postgres: 'PostgreSQL', redis: 'Redis' };

/** How long a job handed back during an outage stays delayed before any worker looks again. */
const OUTAGE_RETRY_DELAY_MS = 2_000;

export interface ProcessorDeps {
  queueName: string;
  prisma: PrismaClient;
  publisher: Redis;
  analyze: Analyzer;
  retentionDays: number;
  /** Where uploads are written when the API host's copy is not on this host. */
  dataDir: string;
  logger: Logger;
  /** Removes what an earlier attempt of this analysis left behind (containers, by label). */
  reapAnalysis?: (analysisId: string) => Promise<void>;
  /** For `baseline: previous` jobs: where the worker submits the previous release. */
  baselines?: Omit<BaselineDeps, 'prisma'>;
  /** Called once an analysis reached a final status (webhooks). Never awaited by the job. */
  onFinished?: (analysisId: string, status: AnalysisStatus) => void;
  /**
   * Watches Docker and PostgreSQL: while one is down, jobs are handed back without spending an
   * attempt, a result produced while Docker went away is discarded (the sandbox was cut short:
   * its verdict cannot stand), and storing waits for PostgreSQL.
   */
  dependencies?: DependencyMonitor;
  /** Analyses this worker is running now (the reconciler keeps their containers). */
  active?: Set<string>;
}

export type ProcessOutcome =
  | { outcome: 'completed'; verdict: Verdict; score: number }
  | { outcome: 'cancelled' }
  | { outcome: 'skipped'; status: string };

/** Thrown inside the processor to hand a job back because a dependency is down. */
class DependencyOutage extends Error {
  constructor(readonly dependencies: DependencyName[]) {
    super(`waiting for ${dependencies.map((d) => DEPENDENCY_LABEL[d]).join(' and ')}`);
  }
}

/** How long a job whose baseline analysis has not finished yet waits before it looks again. */
const BASELINE_RECHECK_MS = 3_000;

/** Progress writes are at most this frequent per analysis (stage changes always go through). */
const PROGRESS_WRITE_INTERVAL_MS = 500;

/**
 * Runs one analysis job: validate → mark running → analyze (with progress and an abort signal)
 * → store. Safe to run twice for the same analysis (a stalled job retaken by another worker):
 * a final analysis is skipped, results are replaced, not duplicated.
 */
export function createProcessor(deps: ProcessorDeps) {
  const { prisma, logger } = deps;

  return async function processAnalysis(job: Job, token?: string, signal?: AbortSignal): Promise<ProcessOutcome> {
    const parsed = AnalysisJob.safeParse(job.data);
    if (!parsed.success) {
      const message = `invalid job payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
      if (job.id) await markFailed(prisma, job.id, 'INVALID_INPUT', message).catch(() => false);
      throw new UnrecoverableError(message);
    }
    const id = parsed.data.analysisId;
    const log = logger.child({ analysisId: id, jobId: job.id, attempt: job.attemptsMade + 1 });
    deps.active?.add(id);
    try {
      return await runJob(job, parsed.data, log, token, signal);
    } catch (err) {
      if (!(err instanceof DependencyOutage)) throw err;
      return await handBackForOutage(job, id, err, log, token);
    } finally {
      deps.active?.delete(id);
    }
  };

  /** The dependencies an analysis needs that are down now (after probing, when asked to). */
  async function missingDependencies(probe: boolean): Promise<DependencyName[]> {
    const monitor = deps.dependencies;
    if (!monitor) return [];
    if (probe) await monitor.check();
    return ANALYSIS_NEEDS.filter((d) => !monitor.isUp(d));
  }

  /**
   * Back to the queue without spending an attempt (moveToDelayed keeps attemptsMade): an outage
   * is a fact about our infrastructure, not about the package. The worker pauses until the
   * dependency answers; another worker with a working Docker may take the job meanwhile.
   */
  async function handBackForOutage(job: Job, id: string, outage: DependencyOutage, log: Logger, token?: string): Promise<never> {
    log.warn({ waitingFor: outage.dependencies }, 'dependency unavailable: job handed back without spending an attempt');
    const progress = new ProgressReporter(deps, job, id, log);
    await markRequeued(prisma, id).catch(() => undefined);
    progress.report('queued', 'queued', 0, undefined, outage.message);
    await progress.settled();
    await job.moveToDelayed(Date.now() + OUTAGE_RETRY_DELAY_MS, token);
    throw new DelayedError();
  }

  async function runJob(job: Job, initial: AnalysisJob, log: Logger, token?: string, signal?: AbortSignal): Promise<ProcessOutcome> {
    let data = initial;
    const id = data.analysisId;
    const abort = signal ?? new AbortController().signal;
    const attempt = job.attemptsMade + 1;
    const jobStarted = Date.now();

    const down = await missingDependencies(false);
    if (down.length > 0) throw new DependencyOutage(down);
    let running: boolean;
    try {
      running = await markRunning(prisma, id, attempt);
    } catch (err) {
      const missing = await missingDependencies(true);
      if (missing.length > 0) throw new DependencyOutage(missing);
      throw err;
    }
    if (!running) {
      const current = await getAnalysis(prisma, id);
      log.info({ status: current?.status ?? 'missing' }, 'analysis already final, skipping job');
      return { outcome: 'skipped', status: current?.status ?? 'missing' };
    }

    if (data.baseline === 'previous' && !data.baselineAnalysisId && deps.baselines) {
      try {
        data = await resolvePreviousBaseline({ prisma, ...deps.baselines }, data, abort);
        if (data.baselineAnalysisId) await job.updateData(data);
      } catch (err) {
        // No baseline is no reason to fail the analysis itself: it runs without a comparison.
        log.warn({ err: (err as Error).message }, 'could not resolve the previous version; analyzing without a baseline');
      }
    }
    const baseline = await loadBaseline(prisma, data.baselineAnalysisId);
    if (baseline === 'pending') {
      // The baseline (the previous version) runs first; this job steps aside instead of holding
      // a worker slot, so a single worker cannot deadlock waiting for itself.
      log.info({ baselineAnalysisId: data.baselineAnalysisId }, 'baseline analysis not finished yet; job delayed');
      await markRequeued(prisma, id);
      await job.moveToDelayed(Date.now() + BASELINE_RECHECK_MS, token);
      throw new DelayedError();
    }

    const progress = new ProgressReporter(deps, job, id, log);
    progress.report('running', 'fetch', 0);
    const startedAt = Date.now();
    try {
      await deps.reapAnalysis?.(id);
      const local = await materializeUpload(prisma, data, deps.dataDir);
      const analyzeStarted = Date.now();
      const result = await deps.analyze(local, {
        signal: abort,
        attempt,
        ...(baseline ? { baseline } : {}),
        onStage: (stage, percent) => progress.report('running', stage, percent),
      });
      const analyzeMs = Date.now() - analyzeStarted;
      // Docker went away while the sandbox ran (even if it is back): phases were cut short, so
      // this report says nothing true about the package. Run it again instead.
      if (deps.dependencies) {
        await deps.dependencies.check();
        if (deps.dependencies.wasDownSince('docker', analyzeStarted)) throw new DependencyOutage(['docker']);
      }
      // A listed version is malicious whatever the detonation showed (a quiet or sandbox-aware payload).
      const report = await storeWhenPossible(async () => applyKnownMalicious(result.report, await findKnownMalicious(prisma, result.report.package)), abort, log);
      progress.report('running', 'store', 95);
      await progress.settled();
      const timings = { ...progress.stageDurations(), analyzeMs, workerMs: Date.now() - startedAt };
      const stored = await storeWhenPossible(
        () =>
          completeAnalysis(prisma, id, {
            report,
            raw: result.raw,
            retentionDays: deps.retentionDays,
            timings,
          }),
        abort,
        log,
      );
      if (!stored) {
        // Cancelled while the sandbox ran, or finished by another worker that retook the job
        // while this one was unresponsive: either way this result is not the record.
        const current = await prisma.analysis.findUnique({ where: { id }, select: { status: true } });
        if (current?.status === 'cancelled') {
          log.info('analysis was cancelled while running; result discarded');
          return await finishCancelled(deps, progress, id);
        }
        log.warn({ status: current?.status }, 'analysis already ended elsewhere; result discarded');
        return { outcome: 'skipped', status: current?.status ?? 'missing' };
      }
      progress.report('completed', 'done', 100, report.verdict);
      await progress.settled();
      deps.onFinished?.(id, 'completed');
      log.info({ verdict: report.verdict, score: report.score }, 'analysis completed');
      return { outcome: 'completed', verdict: report.verdict, score: report.score };
    } catch (err) {
      if (err instanceof DependencyOutage) throw err;
      const outage = abort.aborted ? (abort.reason === ABORT_OUTAGE ? ['docker' as const] : []) : await outageDuring(jobStarted);
      if (outage.length > 0) throw new DependencyOutage(outage);
      if (abort.aborted && abort.reason === ABORT_SHUTDOWN) {
        // Hand the job back so another worker (or this one after restart) runs it from the start.
        log.info('worker shutting down: job handed back to the queue');
        await progress.settled();
        await markRequeued(prisma, id);
        progress.report('queued', 'queued', 0, undefined, 'worker shut down; job requeued');
        await progress.settled();
        await job.moveToWait(token);
        throw new WaitingError();
      }
      if (abort.aborted || (await isCancelled(prisma, id))) {
        log.info('analysis cancelled');
        return await finishCancelled(deps, progress, id);
      }
      const error = toVetboxError(err);
      const maxAttempts = job.opts.attempts ?? 1;
      const final = !isTransient(error.code) || attempt >= maxAttempts;
      await progress.settled();
      if (final) {
        log.warn({ code: error.code, err: error.message }, 'analysis failed');
        await markFailed(prisma, id, error.code, error.message);
        progress.report('failed', 'done', 100, undefined, `${error.code}: ${error.message}`);
        await progress.settled();
        deps.onFinished?.(id, 'failed');
        throw new UnrecoverableError(`${error.code}: ${error.message}`);
      }
      log.warn({ code: error.code, err: error.message, maxAttempts }, 'transient failure, will retry');
      await markRequeued(prisma, id, { code: error.code, message: error.message });
      progress.report('queued', 'queued', 0, undefined, `retrying after ${error.code}`);
      await progress.settled();
      throw error;
    }
  }

  /** The dependencies that went away since `sinceMs` (a failure that came with an outage). */
  async function outageDuring(sinceMs: number): Promise<DependencyName[]> {
    const monitor = deps.dependencies;
    if (!monitor) return [];
    await monitor.check();
    return ANALYSIS_NEEDS.filter((d) => monitor.wasDownSince(d, sinceMs));
  }

  /**
   * Stores the result, waiting out a PostgreSQL outage: the sandbox's work is done and sound, so
   * it is kept and written once the database answers again (the job keeps its lock meanwhile).
   */
  async function storeWhenPossible<T>(write: () => Promise<T>, abort: AbortSignal, log: Logger): Promise<T> {
    for (;;) {
      try {
        return await write();
      } catch (err) {
        const monitor = deps.dependencies;
        if (!monitor || abort.aborted) throw err;
        await monitor.check();
        if (monitor.isUp('postgres')) throw err;
        log.warn({ err: (err as Error).message }, 'PostgreSQL is unreachable: holding the result until it answers');
        await monitor.waitUntilUp(['postgres'], abort);
      }
    }
  }
}

/**
 * The report a job is to be compared with: `pending` while that analysis is still queued or
 * running; undefined when there is none or it ended without a report (the analysis then runs
 * without a comparison rather than failing).
 */
async function loadBaseline(prisma: PrismaClient, baselineId: string | undefined): Promise<Report | 'pending' | undefined> {
  if (!baselineId) return undefined;
  const base = await prisma.analysis.findUnique({ where: { id: baselineId }, select: { status: true } });
  if (!base) return undefined;
  if (base.status === 'queued' || base.status === 'running') return 'pending';
  if (base.status !== 'completed') return undefined;
  return (await getReport(prisma, baselineId)) ?? undefined;
}

async function isCancelled(prisma: PrismaClient, id: string): Promise<boolean> {
  const a = await prisma.analysis.findUnique({ where: { id }, select: { status: true } });
  return a?.status === 'cancelled';
}

async function finishCancelled(deps: ProcessorDeps, progress: ProgressReporter, id: string): Promise<ProcessOutcome> {
  await progress.settled();
  const result = await markCancelled(deps.prisma, id);
  progress.report('cancelled', 'done', 100, undefined, 'cancelled on request');
  await progress.settled();
  if (result.found && result.changed) deps.onFinished?.(id, 'cancelled');
  return { outcome: 'cancelled' };
}

/**
 * Publishes progress without ever blocking or failing the analysis: writes are chained (so they
 * stay in order) and their errors are logged. `settled()` waits for the chain before a final
 * status is published, so a late "running" can never follow "completed".
 */
class ProgressReporter {
  private chain: Promise<void> = Promise.resolve();
  private lastWrite = 0;
  private lastStage: Stage | undefined;
  private readonly stageStarts: Array<{ stage: Stage; at: number }> = [];

  constructor(
    private readonly deps: ProcessorDeps,
    private readonly job: Job,
    private readonly id: string,
    private readonly log: Logger,
  ) {}

  report(status: AnalysisStatus, stage: Stage, percent: number, verdict?: Verdict, message?: string): void {
    const now = Date.now();
    const stageChanged = stage !== this.lastStage;
    if (stageChanged && status === 'running') this.stageStarts.push({ stage, at: now });
    const final = status !== 'running';
    if (!stageChanged && !final && now - this.lastWrite < PROGRESS_WRITE_INTERVAL_MS) return;
    this.lastStage = stage;
    this.lastWrite = now;
    const clamped = Math.max(0, Math.min(100, Math.round(percent)));
    const event: ProgressEvent = { analysisId: this.id, status, stage, percent: clamped, ...(verdict ? { verdict } : {}), ...(message ? { message } : {}) };
    this.chain = this.chain.then(async () => {
      try {
        if (status === 'running') await updateStage(this.deps.prisma, this.id, stage, clamped);
        await publishProgress(this.deps.publisher, this.deps.queueName, event);
        if (status === 'running') await this.job.updateProgress({ stage, percent: clamped });
      } catch (err) {
        this.log.warn({ err: (err as Error).message, stage }, 'progress update failed');
      }
    });
  }

  settled(): Promise<void> {
    return this.chain;
  }

  /** `<stage>Ms` for each stage the analyzer reported, measured between stage changes. */
  stageDurations(): Record<string, number> {
    const out: Record<string, number> = {};
    const end = Date.now();
    this.stageStarts.forEach((s, i) => {
      const next = this.stageStarts[i + 1]?.at ?? end;
      out[`${s.stage}Ms`] = (out[`${s.stage}Ms`] ?? 0) + (next - s.at);
    });
    return out;
  }
}
