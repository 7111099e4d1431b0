import type { RequestHandler, Router } from 'express';
import { Router as makeRouter } from 'express';
import client from 'prom-client';
import { Stage, type ErrorCode } from '@vetbox/contracts';
import { checkReadiness, type ReadinessProbe } from '@vetbox/config';
import type { ApiServices } from './services.js';

/** Stages whose durations the worker records as `<stage>Ms` timings. */
const TIMED_STAGES = new Set<string>(Stage.options.filter((s) => s !== 'done'));

// Failures that mean the sandbox (Docker, the image, the container run) let us down.
const SANDBOX_FAILURE_CODES: readonly ErrorCode[] = ['SANDBOX_FAILED', 'DOCKER_UNAVAILABLE', 'SANDBOX_IMAGE_MISSING'];

export interface ApiMetrics {
  router: Router;
  /** Times every request by route (not by raw path, which would explode label cardinality). */
  httpTimer: RequestHandler;
  stop(): void;
}

/**
 * Prometheus metrics. Counts come from the database and the queue at scrape time (so every API
 * instance reports the same truth); stage durations are observed as analyses complete, from the
 * progress events every API instance hears.
 */
export function createMetrics(s: ApiServices, probes: readonly ReadinessProbe[] = []): ApiMetrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'vetbox_api_' });
  registerDependencyMetrics(registry, s, probes);

  new client.Gauge({
    name: 'vetbox_queue_jobs',
    help: 'Jobs in the analysis queue by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await s.queue.counts();
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  new client.Gauge({
    name: 'vetbox_queue_depth',
    help: 'Analyses waiting or running in the queue',
    registers: [registry],
    async collect() {
      this.set(await s.queue.depth());
    },
  });
  new client.Gauge({
    name: 'vetbox_analyses',
    help: 'Analyses by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = await s.prisma.analysis.groupBy({ by: ['status'], _count: { _all: true } });
      this.reset();
      for (const r of rows) this.set({ status: r.status }, r._count._all);
    },
  });
  new client.Gauge({
    name: 'vetbox_analyses_by_verdict',
    help: 'Completed analyses by verdict',
    labelNames: ['verdict'],
    registers: [registry],
    async collect() {
      const rows = await s.prisma.analysis.groupBy({ by: ['verdict'], where: { status: 'completed' }, _count: { _all: true } });
      this.reset();
      for (const r of rows) if (r.verdict) this.set({ verdict: r.verdict }, r._count._all);
    },
  });
  new client.Gauge({
    name: 'vetbox_sandbox_failures',
    help: 'Failed analyses whose error was the sandbox (Docker, image, container run)',
    labelNames: ['code'],
    registers: [registry],
    async collect() {
      const rows = await s.prisma.analysis.groupBy({
        by: ['errorCode'],
        where: { status: 'failed', errorCode: { in: [...SANDBOX_FAILURE_CODES] } },
        _count: { _all: true },
      });
      this.reset();
      for (const code of SANDBOX_FAILURE_CODES) this.set({ code }, rows.find((r) => r.errorCode === code)?._count._all ?? 0);
    },
  });

  const stageSeconds = new client.Histogram({
    name: 'vetbox_stage_duration_seconds',
    help: 'Time per pipeline stage (fetch, install, import, parse, rules, store) and queue wait, per completed analysis',
    labelNames: ['stage'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const finished = new client.Counter({
    name: 'vetbox_analyses_finished_total',
    help: 'Analyses that reached a final status, seen by this API instance',
    labelNames: ['status'],
    registers: [registry],
  });
  const off = s.progress.on('*', (e) => {
    if (e.status === 'running' || e.status === 'queued') return;
    finished.inc({ status: e.status });
    if (e.status !== 'completed') return;
    void s.prisma.analysis
      .findUnique({ where: { id: e.analysisId }, select: { timings: true } })
      .then((a) => {
        const timings = (a?.timings ?? {}) as Record<string, number>;
        for (const [key, ms] of Object.entries(timings)) {
          const stage = key.endsWith('Ms') ? key.slice(0, -2) : '';
          if (TIMED_STAGES.has(stage) && typeof ms === 'number') stageSeconds.observe({ stage }, ms / 1000);
        }
      })
      .catch(() => {});
  });

  const http = new client.Histogram({
    name: 'vetbox_http_request_duration_seconds',
    help: 'API request latency by route',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });
  const httpTimer: RequestHandler = (req, res, next) => {
    const end = http.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };

  const router = makeRouter();
  router.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  });
  return { router, httpTimer, stop: off };
}

/**
 * Outages as gauges: `vetbox_dependency_up{name}` from this API's own probes and from what the
 * workers report (Docker and PostgreSQL as they see them), `vetbox_dependency_down_seconds`
 * and `vetbox_dependency_outage_exceeded` (past DEPENDENCY_OUTAGE_MAX_MS: alert on it).
 */
function registerDependencyMetrics(registry: client.Registry, s: ApiServices, probes: readonly ReadinessProbe[]): void {
  new client.Gauge({
    name: 'vetbox_dependency_up',
    help: 'Whether a dependency answers (1) or not (0), as the API and the workers see it',
    labelNames: ['name'],
    registers: [registry],
    async collect() {
      const [own, reports] = await Promise.all([checkReadiness(probes, 1_000), s.outages?.reports() ?? []]);
      const down = new Set(reports.flatMap((r) => r.down.map((d) => d.name)));
      const names = new Set([...Object.keys(own), ...down, ...(reports.length > 0 ? ['docker', 'postgres'] : [])]);
      this.reset();
      for (const name of names) this.set({ name }, own[name]?.ok === false || down.has(name) ? 0 : 1);
    },
  });
  new client.Gauge({
    name: 'vetbox_dependency_down_seconds',
    help: 'How long a dependency has been unreachable, as the workers report it (0 when up)',
    labelNames: ['name'],
    registers: [registry],
    async collect() {
      const down = (await s.outages?.down()) ?? new Map();
      this.reset();
      for (const [name, d] of down) this.set({ name }, Math.round((Date.now() - d.since) / 1000));
    },
  });
  new client.Gauge({
    name: 'vetbox_dependency_outage_exceeded',
    help: 'A dependency has been down for longer than DEPENDENCY_OUTAGE_MAX_MS (analyses still wait)',
    labelNames: ['name'],
    registers: [registry],
    async collect() {
      const down = (await s.outages?.down()) ?? new Map();
      this.reset();
      for (const [name, d] of down) this.set({ name }, d.exceeded ? 1 : 0);
    },
  });
}
