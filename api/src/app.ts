import express, { type Express, type Router } from 'express';
import type { Logger } from '@vetbox/config';
import { errorHandler, notFoundHandler } from './problem.js';
import type { ReadinessProbe } from './readiness.js';
import { healthRoutes } from './routes/health.js';

export interface AppDeps {
  logger: Logger;
  /** What /readyz checks (redis, postgres, docker in production). */
  readiness: readonly ReadinessProbe[];
  readinessTimeoutMs?: number;
  /** Extra routers mounted after the health routes (analyses, batches, UI, ...). */
  routers?: readonly Router[];
}

/** The HTTP app without a listening socket, so tests can mount it on any port. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(express.json({ limit: '1mb' }));
  app.use(healthRoutes(deps.readiness, deps.readinessTimeoutMs));
  for (const router of deps.routers ?? []) app.use(router);
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}

export { httpStatusFor, sendProblem, problemType, PROBLEM_CONTENT_TYPE, type Problem } from './problem.js';
export {
  checkReadiness,
  dockerProbe,
  postgresProbe,
  redisProbe,
  type DependencyName,
  type ProbeResult,
  type ReadinessProbe,
} from './readiness.js';
export { startServer, type RunningServer } from './server.js';
