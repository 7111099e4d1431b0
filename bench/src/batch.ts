// npm run bench:batch: how long POST /v1/batches takes to accept a 5,000-entry package-lock and
// queue its analyses, in-process against the real Redis and PostgreSQL. Prints figures, never asserts.
//   1. a fresh lockfile: 5,000 new analyses written in bulk and added to the queue (addBulk)
//   2. the same lockfile again: every entry answered by the analyses of run 1 (nothing queued)
//   3. the lockfile grown by 100 packages: 5,000 answered at once, 100 queued
// Everything runs on its own queue name and analyzer version (no worker picks the jobs up,
// nothing deduplicates against real data) and is removed at the end.
// Last line: `batch-5000: <N> s` (run 1, request sent → every analysis queued).
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createLogger, loadEnv } from '@vetbox/config';
import { batchesOpenApi, batchesRoutes, createApp, createApiServices, type ApiServices } from '@vetbox/api';
import { createPrismaClient } from '@vetbox/db';
import { syntheticPackageLock } from '@vetbox/lockfiles';
import { createApiKey } from '@vetbox/store';
import { report, summarize, type Sample } from './harness.ts';

const env = loadEnv();
const ENTRIES = Number(process.env.BENCH_BATCH_ENTRIES ?? 5_000);
const id = randomUUID().slice(0, 8);
const prefix = `vetbox-bench-batch-${id}`;
const analyzerVersion = `bench-batch-${id}`;
const queueName = `bench-batch-${randomUUID()}`;
const logger = createLogger('bench-batch', { level: 'warn' });

const prisma = createPrismaClient({ databaseUrl: env.DATABASE_URL });
const { key, record } = await createApiKey(prisma, { name: 'bench-batch', role: 'submit' });

// The API's own wiring (Redis overrides, queue time limits), on this run's queue and analyzer version.
const api = await createApiServices({ ...env, QUEUE_NAME: queueName }, logger, prisma);
const services: ApiServices = {
  ...api.services,
  analyzerVersion,
  inspectUpload: () => Promise.reject(new Error('no uploads in this benchmark')),
  rateLimitPerMinute: 0,
};
const { queue } = services;
const app = createApp({ logger, readiness: [], services, routers: [batchesRoutes(services)], openapi: [batchesOpenApi], webDistDir: false });
const server = app.listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

interface Created {
  id: string;
  total: number;
  queued: number;
  linked: number;
}

async function post(lockfile: string): Promise<{ ms: number; body: Created }> {
  const started = performance.now();
  const res = await fetch(`${base}/v1/batches?filename=package-lock.json`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'text/plain' },
    body: lockfile,
  });
  const body = (await res.json()) as Created;
  const ms = performance.now() - started;
  if (res.status !== 201) throw new Error(`POST /v1/batches answered ${res.status}: ${JSON.stringify(body)}`);
  return { ms, body };
}

let firstSeconds = NaN;
try {
  const lockfile = syntheticPackageLock(ENTRIES, { prefix });
  console.error(`lockfile: ${ENTRIES} entries, ${(lockfile.length / 1024 / 1024).toFixed(2)} MB; queue ${queueName}`);
  // Warm the connection pool and code paths with a tiny batch (its own names, removed below).
  await post(syntheticPackageLock(5, { prefix: `${prefix}-warm` }));

  const first = await post(lockfile);
  const counts = await queue.counts();
  firstSeconds = first.ms / 1000;
  console.error(`fresh: ${first.body.queued} queued, ${first.body.linked} linked in ${first.ms.toFixed(0)} ms; queue holds ${counts.prioritized + counts.waiting} jobs (${counts.prioritized} prioritized)`);

  const second = await post(lockfile);
  console.error(`again: ${second.body.queued} queued, ${second.body.linked} linked in ${second.ms.toFixed(0)} ms`);

  // syntheticPackageLock names entries by index: the first ENTRIES of a longer lockfile are run 1's.
  const grown = await post(syntheticPackageLock(ENTRIES + 100, { prefix }));
  console.error(`grown by 100: ${grown.body.queued} queued, ${grown.body.linked} linked in ${grown.ms.toFixed(0)} ms`);

  const t = performance.now();
  const view = await fetch(`${base}/v1/batches/${second.body.id}`, { headers: { authorization: `Bearer ${key}` } });
  const viewMs = performance.now() - t;
  const viewBytes = (await view.arrayBuffer()).byteLength;
  console.error(`GET /v1/batches/{id} of ${ENTRIES} items: ${viewMs.toFixed(0)} ms, ${(viewBytes / 1024).toFixed(0)} KB`);

  const samples: Sample[] = [
    { ...summarize(`batch-${ENTRIES} fresh (all queued)`, [first.ms]), queued: first.body.queued, linked: first.body.linked },
    { ...summarize(`batch-${ENTRIES} again (deduplicated)`, [second.ms]), queued: second.body.queued, linked: second.body.linked },
    { ...summarize(`batch-${ENTRIES + 100} mostly analysed`, [grown.ms]), queued: grown.body.queued, linked: grown.body.linked },
    { ...summarize(`GET batch of ${ENTRIES} items`, [viewMs]), queued: 0, linked: 0 },
  ];
  report('batch', samples);
} finally {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await prisma.batch.deleteMany({ where: { apiKeyId: record.id } });
  await prisma.package.deleteMany({ where: { OR: [{ name: { startsWith: prefix } }, { name: { startsWith: `@${prefix}` } }] } });
  await prisma.apiKey.delete({ where: { id: record.id } });
  await queue.obliterate().catch(() => {});
  await api.close();
  await prisma.$disconnect();
}
console.log(`batch-${ENTRIES}: ${firstSeconds.toFixed(2)} s`);
