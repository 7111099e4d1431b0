import type { Report } from '@vetbox/contracts';
import { rescoreReport as judgeAgain } from '@vetbox/pipeline';
import type { RescoreEvidence, Rescored } from '@vetbox/store';

/**
 * The current rules over one stored report's behavior (no sandbox run), through the pipeline's
 * own judge so a rescore reaches what a fresh analysis would; with the stored sinkhole capture,
 * identity and environment leaks are searched again too. Reports with nothing to judge
 * (verdict `error`, or no sandbox facts) keep what they have.
 */
export function rescoreReport(report: Report, evidence: RescoreEvidence = {}): Rescored {
  if (report.verdict === 'error' || report.error || !report.sandbox) {
    return { verdict: report.verdict, score: report.score, findings: report.findings, summary: report.summary };
  }
  return judgeAgain(report, evidence);
}
