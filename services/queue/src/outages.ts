import type { Redis } from 'ioredis';

/** What one worker sees of the services it needs; shared through Redis with every API instance. */
export interface WorkerDependencyReport {
  workerId: string;
  /** Dependencies down now, since when (epoch ms), and why. */
  down: Array<{ name: string; since: number; error?: string }>;
  /** Down for longer than DEPENDENCY_OUTAGE_MAX_MS (reported loudly; work still waits). */
  exceeded: string[];
  /** When the worker wrote this (epoch ms). */
  at: number;
}

const key = (queueName: string, workerId: string) => `vetbox:${queueName}:dependencies:${workerId}`;

/** Reports expire unless refreshed, so a dead worker's last outage does not linger. */
export const DEPENDENCY_REPORT_TTL_S = 30;

export async function publishDependencyReport(redis: Redis, queueName: string, report: WorkerDependencyReport): Promise<void> {
  await redis.set(key(queueName, report.workerId), JSON.stringify(report), 'EX', DEPENDENCY_REPORT_TTL_S);
}

export async function clearDependencyReport(redis: Redis, queueName: string, workerId: string): Promise<void> {
  await redis.del(key(queueName, workerId));
}

/** Every live worker's report for the queue (a handful of keys: SCAN is cheap here). */
export async function readDependencyReports(redis: Redis, queueName: string): Promise<WorkerDependencyReport[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', key(queueName, '*'), 'COUNT', 100);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  return values.flatMap((v) => {
    if (!v) return [];
    try {
      return [JSON.parse(v) as WorkerDependencyReport];
    } catch {
      return [];
    }
  });
}

/** Dependencies any worker reports down, each with the earliest time it went down. */
export function downDependencies(reports: readonly WorkerDependencyReport[]): Map<string, { since: number; error?: string; exceeded: boolean }> {
  const out = new Map<string, { since: number; error?: string; exceeded: boolean }>();
  for (const r of reports) {
    for (const d of r.down) {
      const prev = out.get(d.name);
      const exceeded = (prev?.exceeded ?? false) || r.exceeded.includes(d.name);
      if (!prev || d.since < prev.since) out.set(d.name, { since: d.since, ...(d.error ? { error: d.error } : {}), exceeded });
      else prev.exceeded = exceeded;
    }
  }
  return out;
}
