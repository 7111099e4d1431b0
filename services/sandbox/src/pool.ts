import { randomUUID } from 'node:crypto';
import { defaultLogger, type Logger } from './log.js';

/**
 * Pool members are labeled `vetbox.analysis=pool-<uuid>` (and their worker, like every
 * container): the dead-worker reaper removes them by the worker label; the outage reconciler
 * tells idle members (removable) from taken ones (an analysis runs in them) with `poolMemberInUse`.
 */
export const POOL_LABEL_PREFIX = 'pool-';

export function isPoolLabel(analysisId: string): boolean {
  return analysisId.startsWith(POOL_LABEL_PREFIX);
}

/** Labels of this process's pool members that were handed to an analysis and not yet released. */
const inUse = new Set<string>();

export function poolMemberInUse(label: string): boolean {
  return inUse.has(label);
}

/**
 * Whether the outage reconciler may remove a pool member's resources: this worker's when no
 * analysis runs in it; another worker's when that worker is dead (the reaper's liveness test).
 */
export function poolMemberStale(label: string, worker: string | undefined, self: string, isWorkerAlive: (workerId: string) => boolean): boolean {
  if (worker === self) return !poolMemberInUse(label);
  return worker === undefined || !isWorkerAlive(worker);
}

export interface PoolMember {
  /** Its resources' vetbox.analysis label (`pool-<uuid>`). */
  readonly label: string;
  /** Removes everything it holds (containers, host files); must not throw for what is already gone. */
  discard(): Promise<void>;
}

export interface WarmPoolOptions<T extends PoolMember> {
  /** Members kept ready (0: the pool stays empty and every take falls back to the caller). */
  size: number;
  /** Prepares one member with no package in it, labeled `label`; removes what it made if it fails. */
  make: (label: string) => Promise<T>;
  logger?: Logger;
  /** First wait after a failed make (doubles up to a minute): an engine outage does not spin. */
  retryMs?: number;
  /**
   * Wait after a take before making its replacement (default 1 s): the taker stages its package
   * then (a fraction of a second), and a make at once would compete with it for the engine and
   * the cores (it doubled the take on a loaded 2-core machine).
   */
  refillDelayMs?: number;
}

const MAX_RETRY_MS = 60_000;

/**
 * Members prepared ahead (a sandbox and its sinkhole, say), each handed out once and never
 * returned: the taker removes it. Refills one member at a time in the background, so a worker's
 * running analyses keep the cores; nothing is made before `start()` (a CLI run or a test that
 * never starts a pool creates nothing behind its back). `drain()` removes every idle member.
 */
export class WarmPool<T extends PoolMember> {
  private readonly ready: T[] = [];
  private filling: Promise<void> | undefined;
  private started = false;
  private closed = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private refillTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(private readonly opts: WarmPoolOptions<T>) {
    this.log = opts.logger ?? defaultLogger();
  }

  get size(): number {
    return this.opts.size;
  }

  /** Members ready to be taken now. */
  get idle(): number {
    return this.ready.length;
  }

  /** Begins filling (idempotent). */
  start(): void {
    if (this.closed || this.started) return;
    this.started = true;
    this.refill();
  }

  /** A ready member, or undefined (empty or not started: the caller creates one on demand). */
  take(): T | undefined {
    const member = this.ready.shift();
    if (member === undefined) {
      this.refill();
      return undefined;
    }
    inUse.add(member.label);
    if (this.started && !this.closed && this.refillTimer === undefined) {
      this.refillTimer = setTimeout(() => {
        this.refillTimer = undefined;
        this.refill();
      }, this.opts.refillDelayMs ?? 1_000);
      this.refillTimer.unref();
    }
    return member;
  }

  /** The taker is done with a member it took (after removing it). */
  release(member: T): void {
    inUse.delete(member.label);
  }

  /** Resolves once `idle` reaches `n` or the pool closes (tests, benchmarks). */
  async whenIdle(n = this.size): Promise<void> {
    while (!this.closed && this.ready.length < n) {
      if (this.filling) await this.filling;
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Stops refilling and removes every idle member, including one being made now. */
  async drain(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.refillTimer) clearTimeout(this.refillTimer);
    await this.filling;
    const idle = this.ready.splice(0);
    await Promise.all(idle.map((m) => m.discard().catch((err: unknown) => this.log.error({ label: m.label, err: String(err) }, 'pool member removal failed'))));
    if (idle.length > 0) this.log.info({ removed: idle.length }, 'sandbox pool drained');
  }

  private refill(): void {
    if (!this.started || this.closed || this.filling || this.retryTimer || this.refillTimer || this.ready.length >= this.opts.size) return;
    this.filling = this.fillOne().finally(() => {
      this.filling = undefined;
      this.refill();
    });
  }

  private async fillOne(): Promise<void> {
    const label = `${POOL_LABEL_PREFIX}${randomUUID()}`;
    let member: T;
    try {
      member = await this.opts.make(label);
    } catch (err) {
      const waitMs = Math.min(MAX_RETRY_MS, (this.opts.retryMs ?? 2_000) * 2 ** this.failures++);
      this.log.warn({ label, err: String(err), retryInMs: waitMs }, 'preparing a pooled sandbox failed');
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.refill();
      }, waitMs);
      this.retryTimer.unref();
      return;
    }
    this.failures = 0;
    if (this.closed) await member.discard().catch(() => undefined);
    else this.ready.push(member);
  }
}
