// npm run bench:api: request latency and throughput of the API, in-process on a free port,
// against the real Redis, PostgreSQL and Docker. Add endpoints here as the API grows.
import { createLogger, loadEnv } from '@vetbox/config';
import { startServer } from '@vetbox/api';
import { measure, measureConcurrent, report, type Sample } from './harness.ts';

const env = loadEnv({ ...process.env, PORT: '0', HOST: '127.0.0.1' });
const server = await startServer(env, createLogger('bench-api', { level: 'warn' }));
const get = (path: string) => async () => {
  const res = await fetch(`${server.url}${path}`);
  await res.arrayBuffer();
  if (res.status >= 500) throw new Error(`${path} answered ${res.status}`);
};

try {
  const samples: Sample[] = [];
  samples.push(await measure('GET /healthz (sequential)', get('/healthz'), { runs: 500, warmup: 20 }));
  samples.push(await measureConcurrent('GET /healthz (16 in flight)', get('/healthz'), { total: 5_000, concurrency: 16 }));
  samples.push(await measure('GET /readyz (sequential)', get('/readyz'), { runs: 100, warmup: 5 }));
  report('api', samples);
} finally {
  await server.close();
}
