import http from 'node:http';

export type DependencyName = 'redis' | 'postgres' | 'docker';

/** One dependency /readyz checks; `check` rejects when the dependency cannot serve. */
export interface ReadinessProbe {
  name: DependencyName;
  check(signal: AbortSignal): Promise<void>;
}

export interface ProbeResult {
  ok: boolean;
  ms: number;
  error?: string;
}

export const DEFAULT_PROBE_TIMEOUT_MS = 2_000;

/**
 * `op`, or a rejection with `timedOut()`'s error once `ms` pass without it settling. The operation
 * itself may still settle later; nothing waits for it then.
 */
export function within<T>(op: Promise<T>, ms: number, timedOut: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), ms);
  });
  return Promise.race([op, timeout]).finally(() => clearTimeout(timer));
}

async function runProbe(probe: ReadinessProbe, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  const controller = new AbortController();
  try {
    await within(probe.check(controller.signal), timeoutMs, () => {
      controller.abort();
      return new Error(`${probe.name} did not answer within ${timeoutMs} ms`);
    });
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, ms: Math.round(performance.now() - started), error: message || 'unreachable' };
  }
}

/** Runs every probe concurrently; each gets its own time limit. */
export async function checkReadiness(
  probes: readonly ReadinessProbe[],
  timeoutMs = DEFAULT_PROBE_TIMEOUT_MS,
): Promise<Record<string, ProbeResult>> {
  const results = await Promise.all(probes.map(async (p) => [p.name, await runProbe(p, timeoutMs)] as const));
  return Object.fromEntries(results);
}

/** Minimal client surfaces, so probes do not tie the API to one client library. */
export interface PingableRedis {
  ping(): Promise<string>;
}
export interface QueryablePrisma {
  $queryRawUnsafe(query: string): Promise<unknown>;
}

export function redisProbe(redis: PingableRedis): ReadinessProbe {
  return {
    name: 'redis',
    async check() {
      const reply = await redis.ping();
      if (reply !== 'PONG') throw new Error(`unexpected PING reply ${reply}`);
    },
  };
}

export function postgresProbe(prisma: QueryablePrisma): ReadinessProbe {
  return {
    name: 'postgres',
    async check() {
      await prisma.$queryRawUnsafe('SELECT 1');
    },
  };
}

/** GET /_ping on the Docker Engine API socket. */
export function dockerProbe(socketPath: string): ReadinessProbe {
  return {
    name: 'docker',
    check: (signal) =>
      new Promise<void>((resolve, reject) => {
        const req = http.get({ socketPath, path: '/_ping', signal }, (res) => {
          res.resume();
          if (res.statusCode === 200) resolve();
          else reject(new Error(`docker /_ping answered ${res.statusCode}`));
        });
        req.on('error', (err: NodeJS.ErrnoException) =>
          reject(new Error(err.code ? `${err.code} ${socketPath}` : err.message)),
        );
      }),
  };
}

export interface DependencyState {
  up: boolean;
  /** Epoch ms of the last change (startup counts as one). */
  since: number;
  /** Why the last probe failed, while down. */
  error?: string;
}

export interface DependencyMonitorOptions {
  probes: readonly ReadinessProbe[];
  /** Probe interval while everything answers. */
  intervalMs?: number;
  /** Backoff while a dependency is down: starts at `retryMinMs`, doubles up to `retryMaxMs`. */
  retryMinMs?: number;
  retryMaxMs?: number;
  probeTimeoutMs?: number;
  /** An outage longer than this is reported loudly (error log, `exceeded`); work still waits. */
  outageMaxMs?: number;
  logger?: { info(o: object, m: string): void; warn(o: object, m: string): void; error(o: object, m: string): void };
  now?: () => number;
}

export interface DependencyChange {
  name: DependencyName;
  up: boolean;
  /** How long it was down (on a change to up). */
  downMs?: number;
  error?: string;
}

/**
 * Watches the services a process needs (Docker, PostgreSQL, Redis) and says when one goes away
 * and comes back. Outages cost time, never verdicts: whoever depends on a dependency waits for
 * it through `waitUntilUp` instead of failing. Probes run every `intervalMs` while all is well
 * and with exponential backoff while something is down; `check()` probes at once (call it when
 * an operation failed in a way that smells of an outage).
 */
export class DependencyMonitor {
  private readonly states = new Map<DependencyName, DependencyState>();
  private readonly downSince = new Map<DependencyName, number>();
  /** Epoch ms each dependency was last seen down (kept after it came back). */
  private readonly lastDownAt = new Map<DependencyName, number>();
  private readonly exceededReported = new Set<DependencyName>();
  private readonly listeners = new Set<(c: DependencyChange) => void>();
  private readonly waiters = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private backoff: number;
  private stopped = false;
  private probing: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: DependencyMonitorOptions) {
    this.now = opts.now ?? Date.now;
    this.backoff = opts.retryMinMs ?? 250;
    for (const p of opts.probes) this.states.set(p.name, { up: true, since: this.now() });
  }

  /** First probe, then the polling loop. Resolves after the first probe. */
  async start(): Promise<void> {
    await this.check();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const wake of this.waiters) wake();
  }

  onChange(listener: (c: DependencyChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  state(name: DependencyName): DependencyState | undefined {
    return this.states.get(name);
  }

  /** Dependencies that are down now, with the time each went down. */
  down(): Array<{ name: DependencyName; since: number; error?: string }> {
    return [...this.states].filter(([, s]) => !s.up).map(([name, s]) => ({ name, since: s.since, ...(s.error ? { error: s.error } : {}) }));
  }

  isUp(...names: DependencyName[]): boolean {
    return names.every((n) => this.states.get(n)?.up ?? true);
  }

  /** True when `name` is down now or was seen down at any time since `sinceMs`. */
  wasDownSince(name: DependencyName, sinceMs: number): boolean {
    if (!this.isUp(name)) return true;
    return (this.lastDownAt.get(name) ?? -Infinity) >= sinceMs;
  }

  /** Probes every dependency now (one probe round at a time; concurrent callers share it). */
  check(): Promise<void> {
    this.probing ??= this.probeAll().finally(() => {
      this.probing = undefined;
    });
    return this.probing;
  }

  /** Resolves once every named dependency answers (or the signal aborts, or the monitor stops). */
  async waitUntilUp(names: readonly DependencyName[], signal?: AbortSignal): Promise<void> {
    while (!this.stopped && !signal?.aborted && !this.isUp(...names)) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        this.waiters.add(wake);
        signal?.addEventListener('abort', wake, { once: true });
      });
    }
  }

  private async probeAll(): Promise<void> {
    const results = await checkReadiness(this.opts.probes, this.opts.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS);
    const now = this.now();
    for (const [key, result] of Object.entries(results)) {
      const name = key as DependencyName;
      const before = this.states.get(name)!;
      if (!result.ok) this.lastDownAt.set(name, now);
      if (before.up === result.ok) {
        if (!result.ok) this.states.set(name, { ...before, error: result.error });
        continue;
      }
      this.states.set(name, { up: result.ok, since: now, ...(result.error ? { error: result.error } : {}) });
      if (result.ok) {
        const downMs = now - (this.downSince.get(name) ?? now);
        this.downSince.delete(name);
        this.exceededReported.delete(name);
        this.opts.logger?.info({ dependency: name, downMs }, `${name} is back`);
        this.emit({ name, up: true, downMs });
      } else {
        this.downSince.set(name, now);
        this.opts.logger?.warn({ dependency: name, err: result.error }, `${name} is unreachable: work that needs it waits`);
        this.emit({ name, up: false, ...(result.error ? { error: result.error } : {}) });
      }
    }
    this.reportLongOutages(now);
    // Waiters re-check their own dependencies when woken.
    for (const wake of [...this.waiters]) wake();
  }

  /** Outages past `outageMaxMs`: an error log once per outage (work keeps waiting). */
  private reportLongOutages(now: number): void {
    const max = this.opts.outageMaxMs;
    if (max === undefined) return;
    for (const [name, since] of this.downSince) {
      if (now - since < max || this.exceededReported.has(name)) continue;
      this.exceededReported.add(name);
      this.opts.logger?.error({ dependency: name, downMs: now - since }, `${name} has been unreachable for longer than ${max} ms; queued analyses keep waiting`);
    }
  }

  /** True when a dependency has been down for longer than `outageMaxMs`. */
  exceeded(name: DependencyName): boolean {
    const since = this.downSince.get(name);
    return since !== undefined && this.opts.outageMaxMs !== undefined && this.now() - since >= this.opts.outageMaxMs;
  }

  private emit(change: DependencyChange): void {
    for (const l of this.listeners) {
      try {
        l(change);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    const allUp = this.isUp(...this.states.keys());
    const delay = allUp ? (this.opts.intervalMs ?? 5_000) : this.backoff;
    this.backoff = allUp ? (this.opts.retryMinMs ?? 250) : Math.min(this.backoff * 2, this.opts.retryMaxMs ?? 5_000);
    this.timer = setTimeout(() => {
      void this.check().finally(() => this.schedule());
    }, delay);
    this.timer.unref();
  }
}
