import type { Redis } from 'ioredis';
import type { AnalysisSummary } from '@vetbox/contracts';
import type { ReadinessProbe } from '@vetbox/config';
import { downDependencies, readDependencyReports, type WorkerDependencyReport } from '@vetbox/queue';

/** Workers' reports are re-read at most this often (every status request would otherwise SCAN). */
const CACHE_MS = 1_000;

export interface OutageView {
  /** Dependencies any worker of the queue reports down (docker, postgres), earliest first. */
  down(): Promise<Map<string, { since: number; error?: string; exceeded: boolean }>>;
  reports(): Promise<WorkerDependencyReport[]>;
  /** Adds `waitingFor` to summaries of analyses that wait on an outage (queued or running). */
  annotate<T extends AnalysisSummary>(summary: T): Promise<T>;
}

/**
 * What the workers see of Docker and PostgreSQL, as they publish it to Redis. The API may run
 * without the Docker socket (docker-compose), so the workers' view is the one that says whether
 * analyses wait for Docker.
 */
export function createOutageView(redis: Redis, queueName: string): OutageView {
  let cached: { at: number; reports: Promise<WorkerDependencyReport[]> } | undefined;
  const reports = () => {
    if (!cached || Date.now() - cached.at > CACHE_MS) {
      cached = { at: Date.now(), reports: readDependencyReports(redis, queueName).catch(() => []) };
    }
    return cached.reports;
  };
  const down = async () => downDependencies(await reports());
  return {
    reports,
    down,
    async annotate(summary) {
      if (summary.status !== 'queued' && summary.status !== 'running') return summary;
      const waiting = [...(await down()).keys()];
      return waiting.length > 0 ? { ...summary, waitingFor: waiting } : summary;
    },
  };
}

/**
 * A readiness check from the workers' reports: fails while any worker says `name` is down (for
 * the API without its own Docker socket, where /readyz cannot probe the engine itself).
 */
export function workerReportedProbe(name: 'docker', view: OutageView): ReadinessProbe {
  return {
    name,
    async check() {
      const outage = (await view.down()).get(name);
      if (outage) throw new Error(`workers report ${name} unreachable since ${new Date(outage.since).toISOString()}${outage.error ? `: ${outage.error}` : ''}`);
    },
  };
}
