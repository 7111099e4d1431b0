import { createOutageView } from './outages.js';
import type { Env, Logger } from '@vetbox/config';
import type { PrismaClient } from '@vetbox/db';
import { inspectUpload } from '@vetbox/fetch';
import { AnalysisQueue, ProgressSubscriber, bullConnection, createRedis } from '@vetbox/queue';
import { httpRegistryLookup } from './registry.js';
import type { ApiServices } from './services.js';

/**
 * The API's own Redis commands (publishing) give up after one reconnect attempt instead of
 * waiting for Redis to return: an HTTP request should not hang on an outage. (Rate-limit
 * counters skip Redis entirely while it is away: see v1.ts.)
 */
export const API_REDIS_OVERRIDES = { maxRetriesPerRequest: 1 } as const;
/** BullMQ's producer connection: it needs its offline queue; calls are bounded by API_QUEUE_TIMEOUT_MS. */
export const API_BULL_OVERRIDES = { maxRetriesPerRequest: 2 } as const;

/** How long a submission waits for Redis before answering 503. */
export const API_QUEUE_TIMEOUT_MS = 3_000;

export interface ApiServiceHandles {
  services: ApiServices;
  /** Closes the queue and the Redis connections it opened (not the Prisma client it was given). */
  close(): Promise<void>;
}

/** Where ANALYZER_VERSION comes from: the pipeline module the worker runs (see worker/src/start.ts). */
async function resolveAnalyzerVersion(): Promise<string> {
  const specifier = process.env.ANALYZER_MODULE ?? '@vetbox/pipeline';
  try {
    const mod = (await import(specifier)) as { ANALYZER_VERSION?: unknown };
    if (typeof mod.ANALYZER_VERSION === 'string') return mod.ANALYZER_VERSION;
  } catch {
    // No pipeline module in this deployment: fall through.
  }
  return process.env.ANALYZER_VERSION ?? 'dev';
}

/** The real dependencies of the /v1 API for a process (server.ts calls this). */
export async function createApiServices(env: Env, logger: Logger, prisma: PrismaClient): Promise<ApiServiceHandles> {
  // Before any Redis client exists: their first commands may fail (Redis down) while this import
  // is still loading, and a rejection nobody awaits yet would end the process.
  const analyzerVersion = await resolveAnalyzerVersion();
  // Requests fail fast (503) while Redis is away instead of waiting for it to return.
  const redis = createRedis(env.REDIS_URL, API_REDIS_OVERRIDES);
  redis.on('error', () => {});
  const queue = new AnalysisQueue({ name: env.QUEUE_NAME, connection: bullConnection(env.REDIS_URL, API_BULL_OVERRIDES), publisher: redis, attempts: env.JOB_ATTEMPTS, commandTimeoutMs: API_QUEUE_TIMEOUT_MS });
  const progress = new ProgressSubscriber(createRedis(env.REDIS_URL), env.QUEUE_NAME);
  const services: ApiServices = {
    outages: createOutageView(redis, env.QUEUE_NAME),
    prisma,
    redis,
    queue,
    progress,
    logger,
    analyzerVersion,
    registry: httpRegistryLookup({ npmRegistryUrl: env.NPM_REGISTRY_URL, pypiUrl: env.PYPI_URL }),
    inspectUpload: (path, originalName) => inspectUpload(path, originalName, { limits: { maxCompressedBytes: env.UPLOAD_MAX_BYTES, maxUnpackedBytes: env.ARCHIVE_MAX_UNPACKED_BYTES } }),
    dataDir: env.DATA_DIR,
    uploadMaxBytes: env.UPLOAD_MAX_BYTES,
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    ...(env.PUBLIC_URL ? { publicUrl: env.PUBLIC_URL } : {}),
  };
  return {
    services,
    async close() {
      await progress.close();
      await queue.close().catch(() => {});
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
