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
 * SCRIPT LOAD for the rate limiter that never rejects: the store loads its scripts when it is
 * made and awaits them only on the first request, so a rejection while Redis is away would
 * crash the API as an unhandled rejection. The SHA is the script's SHA-1, so it is known
 * without Redis; the script itself is loaded as soon as Redis is (back) up.
 */
function loadScript(redis: RedisClient, script: string): Promise<RedisReply> {
  const sha = createHash('sha1').update(script).digest('hex');
  const load = () => redis.call('SCRIPT', 'LOAD', script).then(() => sha);
  const later = () => {
    redis.once('ready', () => void load().catch(() => undefined));
    return sha;
  };
  return redis.status === 'ready' ? load().catch(later) : Promise.resolve(later());
}

/** Per API key, shared by every API instance through Redis. */
function perKeyRateLimit(s: ApiServices) {
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
        if (command === 'SCRIPT' && args[0]?.toUpperCase() === 'LOAD' && args[1] !== undefined) return loadScript(s.redis, args[1]);
        return s.redis.status === 'ready' ? (s.redis.call(command, ...args) as Promise<RedisReply>) : Promise.reject(new Error('Redis unavailable'));
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
