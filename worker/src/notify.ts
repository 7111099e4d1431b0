import type { AnalysisStatus } from '@vetbox/contracts';
import type { Logger } from '@vetbox/config';
import type { PrismaClient } from '@vetbox/db';
import { deliverWebhook } from '@vetbox/queue';
import { getAnalysis, getAnalysisSummary, webhookTargetForAnalysis } from '@vetbox/store';

const RETRY_DELAYS_MS = [1_000, 5_000, 30_000];

/**
 * Calls the submitting key's webhook (if it has one) with the analysis summary, signed with
 * the key's secret. Runs in the background; a failing endpoint is retried a few times, then logged.
 */
export function notifyAnalysisEnd(prisma: PrismaClient, analysisId: string, status: AnalysisStatus, log: Logger): void {
  void (async () => {
    const target = await webhookTargetForAnalysis(prisma, analysisId);
    if (!target) return;
    const analysis = await getAnalysis(prisma, analysisId);
    if (!analysis) return;
    const payload = await getAnalysisSummary(prisma, analysis);
    for (let attempt = 0; ; attempt++) {
      try {
        const code = await deliverWebhook({ url: target.url, secret: target.secret, event: `analysis.${status}`, payload });
        if (code < 500 && code !== 429) return;
        throw new Error(`webhook answered ${code}`);
      } catch (err) {
        const delay = RETRY_DELAYS_MS[attempt];
        if (delay === undefined) throw err;
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  })().catch((err: unknown) => log.warn({ analysisId, err: (err as Error).message }, 'webhook delivery failed'));
}
