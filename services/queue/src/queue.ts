import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { AnalysisJob, VetboxError } from '@vetbox/contracts';
import { channels } from './channels.js';

export const JOB_NAME = 'analyze';

/** Jobs without a priority run first in BullMQ; batches use this one so single submissions overtake them. */
export const BATCH_PRIORITY = 10;
/**
 * Analyses the registry gate queues on its own when a package is listed (its newest releases):
 * after single submissions and downloads someone is waiting for, before batches.
 */
export const GATE_PREFETCH_PRIORITY = 5;

export interface AnalysisQueueOptions {
  name: string;
  /** Connection options (or an ioredis instance) for BullMQ's own connection. */
  connection: ConnectionOptions;
  /** Used for PUBLISH (cancel); a normal, non-subscriber connection. */
  publisher: Redis;
  /** Total tries of a job whose failures are transient. */
  attempts: number;
  /** First retry delay; later ones double (exponential backoff). */
  backoffMs?: number;
  /**
   * Producer calls (add, cancel, counts) give up after this long while Redis is unreachable:
   * BullMQ itself waits for the reconnect, which an HTTP request should not. Unset: wait.
   */
  commandTimeoutMs?: number;
}

export interface EnqueueOptions {
  /** Lower number = sooner; omitted = ahead of every prioritized job (see BATCH_PRIORITY). */
  priority?: number;
}

export type CancelOutcome = 'removed' | 'signalled' | 'absent';

export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  prioritized: number;
  completed: number;
  failed: number;
}

/** The producer side of the analysis queue: add, cancel, inspect. */
export class AnalysisQueue {
  readonly name: string;
  readonly bull: Queue;
  private readonly publisher: Redis;

  constructor(private readonly opts: AnalysisQueueOptions) {
    this.name = opts.name;
    this.publisher = opts.publisher;
    this.bull = new Queue(opts.name, {
      connection: opts.connection,
      defaultJobOptions: this.defaultJobOptions(),
    });
    // Without a listener an 'error' event would crash the process (Redis restarts emit them).
    this.bull.on('error', () => {});
  }

  private defaultJobOptions(): JobsOptions {
    return {
      attempts: Math.max(1, this.opts.attempts),
      backoff: { type: 'exponential', delay: this.opts.backoffMs ?? 5_000 },
      // The database is the record; Redis keeps finished jobs only briefly for dashboards.
      removeOnComplete: { age: 3_600, count: 1_000 },
      removeOnFail: { age: 24 * 3_600, count: 5_000 },
    };
  }

  /**
   * Validates and adds a job whose id is the analysis id, so adding it twice is a no-op
   * (BullMQ ignores a jobId it already holds): producers may retry safely.
   */
  async enqueue(job: AnalysisJob, options: EnqueueOptions = {}): Promise<void> {
    const parsed = AnalysisJob.safeParse(job);
    if (!parsed.success) {
      throw new VetboxError('INVALID_INPUT', `analysis job rejected: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
        details: { issues: parsed.error.issues },
      });
    }
    try {
      await this.bounded(
        this.bull.add(JOB_NAME, parsed.data, {
          jobId: parsed.data.analysisId,
          ...(options.priority ? { priority: options.priority } : {}),
        }),
      );
    } catch (err) {
      throw new VetboxError('REDIS_UNAVAILABLE', 'could not add the analysis to the queue: Redis is unavailable', { cause: err });
    }
  }

  /**
   * Adds many jobs in pipelined chunks (BullMQ addBulk: one round trip per chunk), each with its
   * analysis id as job id, so re-adding is a no-op. Used by batches, where thousands of analyses
   * are queued at once; the time limit applies per chunk.
   */
  async enqueueBulk(jobs: readonly AnalysisJob[], options: EnqueueOptions & { chunkSize?: number } = {}): Promise<void> {
    const parsed = jobs.map((job) => {
      const result = AnalysisJob.safeParse(job);
      if (!result.success) {
        throw new VetboxError('INVALID_INPUT', `analysis job rejected: ${result.error.issues[0]?.message ?? 'invalid'}`, { details: { issues: result.error.issues } });
      }
      return result.data;
    });
    const chunkSize = Math.max(1, options.chunkSize ?? 1_000);
    for (let start = 0; start < parsed.length; start += chunkSize) {
      const chunk = parsed.slice(start, start + chunkSize).map((data) => ({
        name: JOB_NAME,
        data,
        opts: { jobId: data.analysisId, ...(options.priority ? { priority: options.priority } : {}) },
      }));
      try {
        await this.bounded(this.bull.addBulk(chunk));
      } catch (err) {
        throw new VetboxError('REDIS_UNAVAILABLE', 'could not add the analyses to the queue: Redis is unavailable', { cause: err });
      }
    }
  }

  /** Rejects with REDIS_UNAVAILABLE once commandTimeoutMs passes (the operation itself may still land later). */
  private bounded<T>(op: Promise<T>): Promise<T> {
    const ms = this.opts.commandTimeoutMs;
    if (!ms) return op;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new VetboxError('REDIS_UNAVAILABLE', `Redis did not answer within ${ms} ms`)), ms);
    });
    op.catch(() => {});
    return Promise.race([op, timeout]).finally(() => clearTimeout(timer));
  }

  /** Whether BullMQ holds a job for this analysis in any state. */
  async has(analysisId: string): Promise<boolean> {
    return (await this.bounded(this.bull.getJob(analysisId))) !== undefined;
  }

  /**
   * Stops an analysis: a job still waiting is removed; a running one is told to abort through
   * the cancel channel (the worker that holds it aborts its AbortController). The caller marks
   * the analysis cancelled in the database first, so a worker that picks the job up in between
   * sees the status and skips it.
   */
  async cancel(analysisId: string): Promise<CancelOutcome> {
    return this.bounded(this.cancelUnbounded(analysisId));
  }

  private async cancelUnbounded(analysisId: string): Promise<CancelOutcome> {
    const job = await this.bull.getJob(analysisId);
    if (job) {
      const state = await job.getState();
      if (state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children') {
        try {
          await job.remove();
          return 'removed';
        } catch {
          // Taken by a worker between getState and remove: signal it below.
        }
      }
    }
    // Published even when no job is found: a worker may hold it under a lock we cannot see.
    await this.publisher.publish(channels.cancel(this.name), analysisId);
    return job ? 'signalled' : 'absent';
  }

  async counts(): Promise<QueueCounts> {
    const c = await this.bounded(this.bull.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'));
    return {
      waiting: c.waiting ?? 0,
      active: c.active ?? 0,
      delayed: c.delayed ?? 0,
      prioritized: c.prioritized ?? 0,
      completed: c.completed ?? 0,
      failed: c.failed ?? 0,
    };
  }

  /** Jobs not yet finished: what /metrics reports as queue depth. */
  async depth(): Promise<number> {
    const c = await this.counts();
    return c.waiting + c.delayed + c.prioritized + c.active;
  }

  async close(): Promise<void> {
    await this.bull.close();
  }

  /** Tests only: removes every key of the queue. */
  async obliterate(): Promise<void> {
    await this.bull.obliterate({ force: true });
  }
}
