import { Redis, type RedisOptions } from 'ioredis';
import type { ConnectionOptions } from 'bullmq';

/**
 * ioredis options every vetbox connection shares. `maxRetriesPerRequest: null` is what BullMQ
 * requires for blocking connections, and it also means a command issued while Redis restarts
 * waits for the reconnect instead of failing: a Redis restart is an outage, not data loss.
 */
export function redisOptions(url: string, overrides: RedisOptions = {}): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined;
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: Number.isInteger(db) ? db : undefined,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    // Reconnect quickly but not in a hot loop while Redis is down.
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...overrides,
  };
}

/** A new connection; callers own it and must `quit()` it. */
export function createRedis(url: string, overrides: RedisOptions = {}): Redis {
  return new Redis(redisOptions(url, overrides));
}

/** The same options, typed for BullMQ (whose own RedisOptions type differs from ioredis's). */
export function bullConnection(url: string, overrides: RedisOptions = {}): ConnectionOptions {
  return redisOptions(url, overrides) as ConnectionOptions;
}
