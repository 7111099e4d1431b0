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
      // While Redis is away the counter is skipped (passOnStoreError) without waiting; the
      // script loads at startup may wait for the first connection.
      sendCommand: (command: string, ...args: string[]) =>
        s.redis.status === 'ready' || command === 'SCRIPT'
          ? (s.redis.call(command, ...args) as Promise<RedisReply>)
          : Promise.reject(new Error('Redis unavailable')),
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
