import type { PrismaClient } from '@vetbox/db';
import type { AnalysisQueue } from '@vetbox/queue';
import { jobFor, listInFlight } from '@vetbox/store';

/**
 * The database is the record of what is owed; Redis is only the delivery. When Redis lost its
 * data (restarted without persistence, flushed) or a producer died between the insert and the
 * enqueue, analyses stay queued or running with no job. This re-adds them; adding twice is a
 * no-op because the job id is the analysis id. Returns how many were re-added.
 */
export async function reconcileLostJobs(prisma: PrismaClient, queue: AnalysisQueue, opts: { minAgeMs: number }): Promise<number> {
  // Only this queue's analyses: other deployments (or tests) may share the database.
  const candidates = await listInFlight(prisma, queue.name, opts.minAgeMs);
  let added = 0;
  for (const analysis of candidates) {
    if (await queue.has(analysis.id)) continue;
    await queue.enqueue(jobFor(analysis), analysis.priority > 1 ? { priority: analysis.priority } : {});
    added += 1;
  }
  return added;
}
