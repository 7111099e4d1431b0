// npm run bench:api: latency and throughput of the API on loopback (autocannon), in-process,
// against the real Redis and PostgreSQL. Prints figures, never asserts.
// Each endpoint runs twice: unthrottled (the most it serves with BENCH_CONNECTIONS connections;
// the last lines), then at a fixed offered load of BENCH_RATE req/s (the goal's 500 by default):
//   api-report: <N> req/s p99 <N> ms        GET /v1/analyses/{id}/report of a stored report
//   api-submit-dedup: <N> req/s p99 <N> ms  POST /v1/analyses of an already-analyzed package
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import type autocannon from 'autocannon';
import { createLogger, loadEnv } from '@vetbox/config';
import { createApp, createApiServices, type ApiServices } from '@vetbox/api';
import { createPrismaClient } from '@vetbox/db';
import { completeAnalysis, createApiKey, markRunning, submitAnalysis } from '@vetbox/store';
import { measure, measureConcurrent, report, type Sample } from './harness.ts';
import { syntheticReport } from './lib/synthetic-report.ts';

const env = loadEnv();
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const RATE = Number(process.env.BENCH_RATE ?? 500);
const ANALYZER = `bench-${randomUUID().slice(0, 8)}`;
const logger = createLogger('bench-api', { level: 'warn' });
const AUTOCANNON = path.join(path.dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');

const prisma = createPrismaClient({ databaseUrl: env.DATABASE_URL, maxConnections: 20 });
const queueName = `bench-${randomUUID()}`;
const pkgName = `vetbox-bench-${randomUUID().slice(0, 8)}`;
const { key, record } = await createApiKey(prisma, { name: 'bench', role: 'submit' });

// A completed analysis with a stored report: what the two measured requests read.
const outcome = await submitAnalysis(prisma, { artifact: { ecosystem: 'npm', name: pkgName, version: '1.0.0', source: 'registry' }, analyzerVersion: ANALYZER });
await markRunning(prisma, outcome.analysis.id, 1);
const stored = syntheticReport(pkgName, '1.0.0', ANALYZER);
await completeAnalysis(prisma, outcome.analysis.id, { report: stored, raw: [], retentionDays: 1 });

// The API's own wiring (Redis overrides, queue time limits), on this run's queue and analyzer version.
const api = await createApiServices({ ...env, QUEUE_NAME: queueName }, logger, prisma);
const services: ApiServices = {
  ...api.services,
  analyzerVersion: ANALYZER,
  inspectUpload: () => Promise.reject(new Error('no uploads in this benchmark')),
  // High enough never to trigger, but the per-key Redis counter stays on the measured path.
  rateLimitPerMinute: 100_000_000,
};
const { queue } = services;
const app = createApp({ logger, readiness: [], services });
const server = app.listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const headers = { authorization: `Bearer ${key}` };

/**
 * autocannon in its own process, so the load generator does not share the API's event loop
 * (this machine has two cores: one for each).
 */
async function cannon(title: string, opts: { method: 'GET' | 'POST'; path: string; body?: string; rate?: number }) {
  const args = ['-j', '-c', String(CONNECTIONS), '-d', String(DURATION_S), '-m', opts.method, '-H', `authorization=Bearer ${key}`];
  if (opts.rate) args.push('-R', String(opts.rate));
  if (opts.body) args.push('-H', 'content-type=application/json', '-b', opts.body);
  args.push(`${base}${opts.path}`);
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(AUTOCANNON, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`autocannon exited ${code}`))));
  });
  const result = JSON.parse(out) as autocannon.Result;
  if (result.non2xx > 0 || result.errors > 0) console.error(`${title}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return { title, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, total: result.requests.total };
}

try {
  const reportBytes = JSON.stringify(stored).length;
  const get = (path: string) => async () => {
    const res = await fetch(`${base}${path}`, { headers });
    await res.arrayBuffer();
    if (res.status >= 400) throw new Error(`${path} answered ${res.status}`);
  };
  const samples: Sample[] = [];
  samples.push(await measure('GET /healthz (sequential)', get('/healthz'), { runs: 500, warmup: 20 }));
  samples.push(await measureConcurrent('GET /healthz (16 in flight)', get('/healthz'), { total: 5_000, concurrency: 16 }));
  samples.push(await measure(`GET report ${Math.round(reportBytes / 1024)} KB (sequential)`, get(`/v1/analyses/${outcome.analysis.id}/report`), { runs: 300, warmup: 20 }));
  report('api', samples);

  const reportPath = `/v1/analyses/${outcome.analysis.id}/report`;
  const submitBody = JSON.stringify({ ecosystem: 'npm', name: pkgName, version: '1.0.0' });
  const runs = {
    reportMax: await cannon('api-report', { method: 'GET', path: reportPath }),
    submitMax: await cannon('api-submit-dedup', { method: 'POST', path: '/v1/analyses', body: submitBody }),
    report: await cannon('api-report', { method: 'GET', path: reportPath, rate: RATE }),
    submit: await cannon('api-submit-dedup', { method: 'POST', path: '/v1/analyses', body: submitBody, rate: RATE }),
  };
  console.log(`\nautocannon: ${CONNECTIONS} connections, ${DURATION_S} s per run, report of ${Math.round(reportBytes / 1024)} KB`);
  for (const r of [runs.reportMax, runs.submitMax]) console.log(`  ${r.title} unthrottled: ${Math.round(r.rps)} req/s p50 ${r.p50} ms p99 ${r.p99} ms`);
  for (const r of [runs.report, runs.submit]) console.log(`  ${r.title} at ${RATE} req/s offered: p50 ${r.p50} ms p99 ${r.p99} ms`);
  console.log(`api-report: ${Math.round(runs.reportMax.rps)} req/s p99 ${runs.reportMax.p99} ms`);
  console.log(`api-submit-dedup: ${Math.round(runs.submitMax.rps)} req/s p99 ${runs.submitMax.p99} ms`);
} finally {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await prisma.package.deleteMany({ where: { name: pkgName } });
  await prisma.apiKey.delete({ where: { id: record.id } });
  await queue.obliterate().catch(() => {});
  await api.close();
  await prisma.$disconnect();
}
