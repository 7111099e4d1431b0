import { createHash } from 'node:crypto';
import { Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { authenticate } from './auth.js';
import { HttpProblem } from './http-problem.js';
import { analysesRoutes } from './routes/analyses.js';
import { diffRoutes } from './routes/diff.js';
import { keysRoutes } from './routes/keys.js';
import { packagesRoutes } from './routes/packages.js';
import { shareRoutes } from './routes/share.js';
import type { ApiServices } from './services.js';

type RedisClient = ApiServices['redis'];

/**
 * Resolves true once the client is ready. A client that has never been ready (the API just
 * started and is still connecting) is waited for briefly, so the first requests are counted;
 * one that was ready and lost Redis is not waited for, so an outage costs no latency.
 */
function readyForCommands(redis: RedisClient, firstConnect: { done: boolean }): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve((firstConnect.done = true));
  if (firstConnect.done || redis.status === 'end') return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, 2_000);
    const onReady = () => {
      clearTimeout(timer);
      resolve((firstConnect.done = true));
    };
    redis.once('ready', onReady);
  });
}

/**
 * SCRIPT LOAD for the rate limiter that never rejects: the store loads its scripts when it is
 * made and awaits them only on the first request, so a rejection while Redis is away would
 * crash the API as an unhandled rejection. The SHA is the script's SHA-1, so it is known
 * without Redis; the script itself is loaded as soon as Redis is (back) up.
 */
async function loadScript(redis: RedisClient, script: string, firstConnect: { done: boolean }): Promise<RedisReply> {
  const sha = createHash('sha1').update(script).digest('hex');
  const load = () => redis.call('SCRIPT', 'LOAD', script).then(() => sha);
  const later = () => {
    redis.once('ready', () => void load().catch(() => undefined));
    return sha;
  };
  return (await readyForCommands(redis, firstConnect)) ? load().catch(later) : later();
}

/** Per API key, shared by every API instance through Redis. */
function perKeyRateLimit(s: ApiServices) {
  const firstConnect = { done: false };
  return rateLimit({
    windowMs: 60_000,
    limit: s.rateLimitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => req.apiKey?.id ?? 'anonymous',
    // Redis away: reads from PostgreSQL keep working unlimited rather than all failing.
    passOnStoreError: true,
    store: new RedisStore({
      prefix: `vetbox:rl:${s.queue.name}:`,
      // While Redis is away the counter is skipped (passOnStoreError) without waiting.
      sendCommand: (command: string, ...args: string[]) => {
        if (command === 'SCRIPT' && args[0]?.toUpperCase() === 'LOAD' && args[1] !== undefined) return loadScript(s.redis, args[1], firstConnect);
        return readyForCommands(s.redis, firstConnect).then((ready) =>
          ready ? (s.redis.call(command, ...args) as Promise<RedisReply>) : Promise.reject(new Error('Redis unavailable')),
        );
      },
    }),
    handler: (_req, _res, next, options) => {
      next(new HttpProblem(429, 'RATE_LIMITED', `rate limit of ${options.limit} requests per minute for this API key exceeded; retry later`));
    },
  });
}

/** Everything under /v1: authentication first, then the per-key limit, then the routes. */
export function v1Router(s: ApiServices): Router {
  const router = Router();
  router.use('/v1', authenticate(s.prisma));
  if (s.rateLimitPerMinute > 0) router.use('/v1', perKeyRateLimit(s));
  router.use(analysesRoutes(s));
  router.use(diffRoutes(s));
  router.use(packagesRoutes(s));
  router.use(keysRoutes(s));
  router.use(shareRoutes(s));
  return router;
}
