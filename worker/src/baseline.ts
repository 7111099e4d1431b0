import type { AnalysisJob } from '@vetbox/contracts';
import type { PrismaClient } from '@vetbox/db';
import { previousVersion } from '@vetbox/fetch';
import type { AnalysisQueue } from '@vetbox/queue';
import { submitAnalysis } from '@vetbox/store';

export interface BaselineDeps {
  prisma: PrismaClient;
  queue: AnalysisQueue;
  queueName: string;
  registryUrl: string;
  pypiUrl: string;
}

/**
 * `baseline: previous` left to the worker (batches): finds the release before this one on the
 * registry, submits it (deduplicated like any submission, same analyzer version, same priority)
 * and records it as this analysis's baseline, so a retry or a job rebuilt from the database
 * keeps it. Returns the job to run; the processor then waits for the baseline as usual.
 * Uploads and first releases have no registry predecessor: the job runs without a comparison.
 */
export async function resolvePreviousBaseline(deps: BaselineDeps, job: AnalysisJob, signal: AbortSignal): Promise<AnalysisJob> {
  if (job.baseline !== 'previous' || job.baselineAnalysisId || job.artifact.source !== 'registry') return job;
  const { ecosystem, name, version } = job.artifact;
  const previous = await previousVersion(ecosystem, name, version, { registryUrl: deps.registryUrl, pypiUrl: deps.pypiUrl, signal });
  if (previous === null) return { ...job, baseline: undefined };
  const self = await deps.prisma.analysis.findUniqueOrThrow({ where: { id: job.analysisId }, select: { analyzerVersion: true, priority: true, apiKeyId: true } });
  const outcome = await submitAnalysis(deps.prisma, {
    artifact: { ecosystem, name, version: previous, source: 'registry' },
    analyzerVersion: self.analyzerVersion,
    priority: self.priority,
    apiKeyId: self.apiKeyId,
    queue: deps.queueName,
  });
  // Batch analyses carry BATCH_PRIORITY; single submissions (priority 1) go unprioritized, first.
  if (outcome.job) await deps.queue.enqueue(outcome.job, self.priority > 1 ? { priority: self.priority } : {});
  await deps.prisma.analysis.update({ where: { id: job.analysisId }, data: { baselineId: outcome.analysis.id } });
  return { ...job, baselineAnalysisId: outcome.analysis.id };
}
