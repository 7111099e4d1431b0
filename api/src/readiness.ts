import http from 'node:http';
import { VetboxError, type ErrorCode } from '@vetbox/contracts';

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

const UNAVAILABLE: Record<DependencyName, ErrorCode> = {
  redis: 'REDIS_UNAVAILABLE',
  postgres: 'DATABASE_UNAVAILABLE',
  docker: 'DOCKER_UNAVAILABLE',
};

async function runProbe(probe: ReadinessProbe, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new VetboxError(UNAVAILABLE[probe.name], `${probe.name} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([probe.check(controller.signal), timeout]);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, ms: Math.round(performance.now() - started), error: message || 'unreachable' };
  } finally {
    clearTimeout(timer);
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
