import type { AnalysisStatus } from '@vetbox/contracts';
import type { Logger } from '@vetbox/config';
import type { PrismaClient } from '@vetbox/db';
import { sendWebhookInBackground } from '@vetbox/queue';
import { getAnalysis, getAnalysisSummary, webhookTargetForAnalysis } from '@vetbox/store';

/**
 * Calls the submitting key's webhook (if it has one) with the analysis summary, signed with the
 * key's secret, event `analysis.<status>`. Background work: never delays or fails the job.
 */
export function notifyAnalysisEnd(prisma: PrismaClient, analysisId: string, status: AnalysisStatus, log: Logger): void {
  void (async () => {
    const target = await webhookTargetForAnalysis(prisma, analysisId);
    if (!target) return;
    const analysis = await getAnalysis(prisma, analysisId);
    if (!analysis) return;
    const payload = await getAnalysisSummary(prisma, analysis);
    sendWebhookInBackground({ url: target.url, secret: target.secret, event: `analysis.${status}`, payload }, (err) =>
      log.warn({ analysisId, err: err.message }, 'webhook delivery failed'),
    );
  })().catch((err: unknown) => log.warn({ analysisId, err: (err as Error).message }, 'webhook lookup failed'));
}
