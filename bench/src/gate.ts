// npm run bench:gate: cached abbreviated packuments from the vetted registry, as a CI fleet's npm
// asks for them (Accept: application/vnd.npm.install-v1+json, gzip, a read key), for a package
// with 120 versions, all analyzed. In-process app against the real Redis and PostgreSQL; the
// upstream is a loopback server (its packument is cached after the first request, as in
// production for GATE_UPSTREAM_TTL_SECONDS). autocannon runs in its own process. GET /healthz of
// the same app is measured in the same run as a baseline. Prints figures, never asserts:
//   gate-packument: <N> req/s p99 <N> ms
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import type autocannon from 'autocannon';
import { createLogger, loadEnv } from '@vetbox/config';
import { createApp, createApiServices, createGate } from '@vetbox/api';
import { createPrismaClient } from '@vetbox/db';
import { completeAnalysis, createApiKey, markRunning, submitAnalysis } from '@vetbox/store';
import { syntheticReport } from './lib/synthetic-report.ts';

const env = loadEnv();
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const VERSIONS = Number(process.env.BENCH_VERSIONS ?? 120);
const ANALYZER = `bench-${randomUUID().slice(0, 8)}`;
const logger = createLogger('bench-gate', { level: 'warn' });
const AUTOCANNON = path.join(path.dirname(createRequire(import.meta.url).resolve('autocannon/package.json')), 'autocannon.js');

const prisma = createPrismaClient({ databaseUrl: env.DATABASE_URL, maxConnections: 10 });
const pkgName = `vetbox-bench-gate-${randomUUID().slice(0, 8)}`;
const { key, record } = await createApiKey(prisma, { name: 'bench-gate', role: 'read' });

// A packument shaped like a real one: 120 releases with dependencies, scripts, a readme and times.
const versions = Array.from({ length: VERSIONS }, (_, i) => `1.${Math.floor(i / 10)}.${i % 10}`);
const tarballSha = (v: string) => createHash('sha256').update(`${pkgName}@${v}`).digest('hex');
const upstream = http.createServer((req, res) => {
  const base = `http://${req.headers.host}`;
  const doc = {
    _id: pkgName,
    name: pkgName,
    'dist-tags': { latest: versions[versions.length - 1] },
    readme: 'x'.repeat(20_000),
    time: { created: '2020-01-01T00:00:00.000Z', modified: '2025-01-01T00:00:00.000Z', ...Object.fromEntries(versions.map((v, i) => [v, new Date(Date.UTC(2020, 0, 1 + i * 7)).toISOString()])) },
    versions: Object.fromEntries(
      versions.map((v) => [
        v,
        {
          name: pkgName,
          version: v,
          description: 'A benchmark package with a realistic manifest',
          main: 'index.js',
          scripts: { test: 'node test.js', build: 'tsc -p .' },
          dependencies: { 'left-pad': '^1.3.0', ms: '^2.1.3', debug: '^4.3.4' },
          devDependencies: { typescript: '^5.0.0', vitest: '^1.0.0' },
          engines: { node: '>=18' },
          license: 'MIT',
          dist: { tarball: `${base}/${pkgName}/-/${pkgName}-${v}.tgz`, shasum: 'a'.repeat(40), integrity: `sha512-${Buffer.from(tarballSha(v), 'hex').toString('base64')}`, fileCount: 12, unpackedSize: 34_567 },
        },
      ]),
    ),
  };
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
});
await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

// Every version analyzed benign, as a worker would have stored it.
for (const v of versions) {
  const outcome = await submitAnalysis(prisma, { artifact: { ecosystem: 'npm', name: pkgName, version: v, source: 'registry' }, analyzerVersion: ANALYZER });
  await markRunning(prisma, outcome.analysis.id, 1);
  const report = syntheticReport(pkgName, v, ANALYZER);
  report.verdict = 'benign';
  report.findings = [];
  report.package.sha256 = tarballSha(v);
  await completeAnalysis(prisma, outcome.analysis.id, { report, raw: [], retentionDays: 1 });
}

const api = await createApiServices({ ...env, QUEUE_NAME: `bench-${randomUUID()}` }, logger, prisma);
const services = { ...api.services, analyzerVersion: ANALYZER };
const gate = createGate(services, { npmRegistryUrl: upstreamUrl, pypiUrl: upstreamUrl, prefetchVersions: 0, upstreamTtlMs: 120_000, maxArtifactBytes: env.UPLOAD_MAX_BYTES });
const app = createApp({ logger, readiness: [], services, routers: gate.routers, webDistDir: false });
const server = app.listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const ACCEPT = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

async function cannon(title: string, extra: string[] = [], expectStatus = 200, urlPath = `/registry/npm/${pkgName}`) {
  const args = ['-j', '-c', String(CONNECTIONS), '-d', String(DURATION_S), '-H', `authorization=Bearer ${key}`, '-H', `accept=${ACCEPT}`, '-H', 'accept-encoding=gzip', ...extra, `${base}${urlPath}`];
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(AUTOCANNON, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`autocannon exited ${code}`))));
  });
  const result = JSON.parse(out) as autocannon.Result;
  const unexpected = expectStatus === 200 ? result.non2xx : result.requests.total - (result.statusCodeStats?.[String(expectStatus) as '304']?.count ?? 0);
  if (unexpected > 0 || result.errors > 0) console.error(`${title}: ${unexpected} answers other than ${expectStatus}, ${result.errors} errors`);
  return { title, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, bytes: result.throughput.average };
}

try {
  const warm = await fetch(`${base}/registry/npm/${pkgName}`, { headers: { authorization: `Bearer ${key}`, accept: ACCEPT } });
  const body = (await warm.json()) as { versions: Record<string, unknown> };
  if (warm.status !== 200 || Object.keys(body.versions).length !== VERSIONS) throw new Error(`warm-up: HTTP ${warm.status}, ${Object.keys(body.versions ?? {}).length} versions served`);
  const etag = warm.headers.get('etag')!;
  // The same app's cheapest route, in the same run: on a shared machine the ratio says more than the figure.
  const baseline = await cannon('healthz', [], 200, '/healthz');
  const full = await cannon('gate-packument');
  const revalidate = await cannon('gate-packument-304', ['-H', `if-none-match=${etag}`], 304);
  console.log(`\nautocannon: ${CONNECTIONS} connections, ${DURATION_S} s per run, ${VERSIONS} versions (${Math.round(JSON.stringify(body).length / 1024)} KB abbreviated, gzip)`);
  console.log(`  baseline GET /healthz: ${Math.round(baseline.rps)} req/s p99 ${baseline.p99} ms (the packument runs at ${Math.round((full.rps / baseline.rps) * 100)}% of it)`);
  console.log(`  revalidation (If-None-Match, 304): ${Math.round(revalidate.rps)} req/s p50 ${revalidate.p50} ms p99 ${revalidate.p99} ms`);
  console.log(`gate-packument: ${Math.round(full.rps)} req/s p99 ${full.p99} ms`);
} finally {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  upstream.close();
  await gate.close();
  await prisma.package.deleteMany({ where: { name: pkgName } });
  await prisma.apiKey.delete({ where: { id: record.id } });
  await api.close();
  await prisma.$disconnect();
}
