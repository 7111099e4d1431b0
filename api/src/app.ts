import { randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler, type Router } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Logger } from '@vetbox/config';
import type { VetboxError } from '@vetbox/contracts';
import { toVetboxError } from '@vetbox/store';
import { createMetrics } from './metrics.js';
import { openApiRoutes, type OpenApiExtension } from './openapi.js';
import { errorHandler, notFoundHandler, problemType, sendProblem } from './problem.js';
import type { ReadinessProbe } from '@vetbox/config';
import { healthRoutes } from './routes/health.js';
import type { ApiServices } from './services.js';
import { v1Router } from './v1.js';
import { webUiRouter } from './web-ui.js';

export interface AppDeps {
  logger: Logger;
  /** What /readyz checks (redis, postgres, docker in production). */
  readiness: readonly ReadinessProbe[];
  readinessTimeoutMs?: number;
  /** Extra routers mounted after the health routes (analyses, batches, UI, ...). */
  routers?: readonly Router[];
  /**
   * The /v1 API (analyses, packages, keys), /metrics, /openapi.json and /docs. Routers in
   * `routers` are mounted after it, so `/v1/...` requests reaching them are already
   * authenticated (`req.apiKey`) and rate limited; guard them with `requireRole`.
   */
  services?: ApiServices;
  /** Documents the routes in `routers` in /openapi.json (see OpenApiExtension). */
  openapi?: readonly OpenApiExtension[];
  /**
   * The built web UI served at `/` (default: the repo's web/dist); `false` serves no UI. A
   * missing directory makes `/` explain how to build it.
   */
  webDistDir?: string | false;
}

const JSON_LIMIT_BYTES = 1024 * 1024;

/**
 * body-parser answers 413 only after draining the whole body; a declared oversize JSON body is
 * refused before a byte of it is read, and the connection closed.
 */
function rejectOversizedJson(limit: number): RequestHandler {
  return (req, res, next) => {
    const declared = Number(req.get('content-length') ?? NaN);
    if (req.is('application/json') && Number.isFinite(declared) && declared > limit) {
      res.setHeader('Connection', 'close');
      sendProblem(res, {
        type: problemType('ARCHIVE_TOO_LARGE'),
        title: 'Payload Too Large',
        status: 413,
        code: 'ARCHIVE_TOO_LARGE',
        detail: `JSON body of ${(declared / 1024 / 1024).toFixed(1)} MB is over the 1 MB allowed for JSON (upload archives as multipart/form-data)`,
      });
      return;
    }
    next();
  };
}

/** Database and Redis outages answer 503 with their code instead of an anonymous 500. */
function classifyInfrastructureError(err: unknown): VetboxError | undefined {
  const classified = toVetboxError(err);
  return classified.code === 'INTERNAL' ? undefined : classified;
}

// Accept a caller's request id only if it is short and plain; otherwise make one.
const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,100}$/;

/** The HTTP app without a listening socket, so tests can mount it on any port. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          // The UI and /docs load only their own scripts, styles and fonts: nothing from the internet.
          'style-src': ["'self'", "'unsafe-inline'"],
          'font-src': ["'self'", 'data:'],
          // Same-origin assets over plain HTTP (a LAN address, docker-compose) must not be rewritten to https.
          'upgrade-insecure-requests': null,
        },
      },
    }),
  );
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Keys never reach the logs.
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
    }),
  );
  const metrics = deps.services ? createMetrics(deps.services, deps.readiness) : undefined;
  if (metrics) app.use(metrics.httpTimer);
  app.use(rejectOversizedJson(JSON_LIMIT_BYTES));
  app.use(express.json({ limit: JSON_LIMIT_BYTES }));
  app.use(healthRoutes(deps.readiness, deps.readinessTimeoutMs));
  if (deps.services && metrics) {
    app.use(openApiRoutes(deps.openapi));
    app.use(metrics.router);
    app.use(v1Router(deps.services));
  }
  for (const router of deps.routers ?? []) app.use(router);
  if (deps.webDistDir !== false) app.use(webUiRouter(deps.webDistDir));
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger, deps.services ? classifyInfrastructureError : undefined));
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
} from '@vetbox/config';
export { startServer, type RunningServer } from './server.js';
export { authenticateRegistry, requireRole, roleAllows, type AuthenticatedKey } from './auth.js';
export { HttpProblem, notFound } from './http-problem.js';
export { buildOpenApiDocument, type OpenApiDocument, type OpenApiExtension, type OpenApiHelpers } from './openapi.js';
export { httpRegistryLookup } from './registry.js';
export { createGate, gateOpenApi, Gate, type GateConfig, type GateHandle } from './gate/index.js';
export { batchesRoutes, batchesOpenApi, BATCH_MAX_BYTES, BATCH_MAX_ENTRIES, type BatchRouteOptions } from './routes/batches.js';
export { parseOrThrow } from './validate.js';
export { DEFAULT_WEB_DIST_DIR, webUiRouter } from './web-ui.js';
export type { ApiServices, InspectedUpload, RegistryLookup } from './services.js';
export { API_BULL_OVERRIDES, API_QUEUE_TIMEOUT_MS, API_REDIS_OVERRIDES, createApiServices, type ApiServiceHandles } from './wiring.js';
