import { Router } from 'express';
import { sendProblem, problemType } from '../problem.js';
import { checkReadiness, type ReadinessProbe } from '@vetbox/config';

/**
 * GET /healthz: the process is up (no dependency is touched).
 * GET /readyz: Redis, PostgreSQL and Docker all answer; otherwise 503 naming the failing ones.
 */
export function healthRoutes(probes: readonly ReadinessProbe[], timeoutMs?: number): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) });
  });
  router.get('/readyz', async (_req, res) => {
    const checks = await checkReadiness(probes, timeoutMs);
    const failing = Object.entries(checks)
      .filter(([, result]) => !result.ok)
      .map(([name]) => name);
    res.setHeader('Cache-Control', 'no-store');
    if (failing.length === 0) {
      res.json({ status: 'ok', checks });
      return;
    }
    const reasons = failing.map((name) => `${name}: ${checks[name]?.error}`).join('; ');
    sendProblem(res, {
      type: problemType('NOT_READY'),
      title: 'Service Unavailable',
      status: 503,
      code: 'NOT_READY',
      detail: `not ready: ${reasons}`,
      failing,
      checks,
    });
  });
  return router;
}
