import { workerReportedProbe } from './outages.js';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Redis } from 'ioredis';
import { createLogger, loadEnv, type Env, type Logger } from '@vetbox/config';
import { createPrismaClient } from '@vetbox/db';
import { createApp } from './app.js';
import { batchesOpenApi, batchesRoutes } from './routes/batches.js';
import { dockerProbe, postgresProbe, redisProbe } from '@vetbox/config';
import { createGate, gateOpenApi } from './gate/index.js';
import { createApiServices } from './wiring.js';

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  /** Stops accepting connections, then closes Redis and PostgreSQL clients. */
  close(): Promise<void>;
}

/** Wires the real clients into the app and listens on HOST:PORT (PORT 0 picks a free port). */
export async function startServer(
  env: Env = loadEnv(),
  logger: Logger = createLogger('api', { level: env.LOG_LEVEL, format: env.LOG_FORMAT }),
): Promise<RunningServer> {
  const prisma = createPrismaClient({ databaseUrl: env.DATABASE_URL });
  // Readiness must answer quickly when Redis is down: one retry, then the PING fails.
  const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: true });
  let lastRedisError = '';
  redis.on('error', (err: Error) => {
    if (err.message !== lastRedisError) logger.warn({ err: err.message }, 'redis connection error');
    lastRedisError = err.message;
  });
  redis.on('ready', () => {
    lastRedisError = '';
  });

  // The /v1 API: queue, progress subscriber, registry lookups, upload inspection.
  const api = await createApiServices(env, logger, prisma);
  // The vetted registry (/registry/npm, /registry/pypi, /registry/why, /v1/gate).
  const gate = createGate(api.services, {
    npmRegistryUrl: env.NPM_REGISTRY_URL,
    pypiUrl: env.PYPI_URL,
    prefetchVersions: env.GATE_PREFETCH_VERSIONS,
    upstreamTtlMs: env.GATE_UPSTREAM_TTL_SECONDS * 1000,
    maxArtifactBytes: env.UPLOAD_MAX_BYTES,
  });
  const app = createApp({
    logger,
    services: api.services,
    routers: [batchesRoutes(api.services), ...gate.routers],
    openapi: [batchesOpenApi, gateOpenApi],
    // READYZ_DOCKER=false: for an API that has no Docker socket (docker-compose), where only
    // the worker talks to Docker.
    readiness: [
      redisProbe(redis),
      postgresProbe(prisma),
      // Without its own socket, the API reports Docker as the workers see it.
      ...(env.READYZ_DOCKER ? [dockerProbe(env.DOCKER_SOCKET)] : api.services.outages ? [workerReportedProbe('docker', api.services.outages)] : []),
    ],
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(env.PORT, env.HOST, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST}:${port}`;
  logger.info({ url }, 'api listening');

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      redis.disconnect();
      await gate.close();
      await api.close();
      await prisma.$disconnect();
      logger.info('api closed');
    })();
    return closing;
  };
  return { url, port, server, close };
}
