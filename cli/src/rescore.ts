import type { KnownMaliciousRef, Report } from '@vetbox/contracts';
import { applyKnownMalicious, rescoreReport as judgeAgain } from '@vetbox/pipeline';
import type { RescoreEvidence, Rescored } from '@vetbox/store';

/**
 * The current rules over one stored report's behavior (no sandbox run), through the pipeline's
 * own judge so a rescore reaches what a fresh analysis would, with the known-malicious records
 * that list the version now (`knownMalicious`; undefined keeps the ones it cites), and with the
 * stored sinkhole capture identity and environment leaks searched again. Reports with
 * nothing to judge (verdict `error`, or no sandbox facts) keep their findings, but a record
 * listing the version still makes them malicious.
 */
export function rescoreReport(report: Report, knownMalicious?: readonly KnownMaliciousRef[], evidence: RescoreEvidence = {}): Rescored {
  if (report.verdict === 'error' || report.error || !report.sandbox) {
    const applied = applyKnownMalicious(report, knownMalicious ?? report.knownMalicious ?? []);
    return { verdict: applied.verdict, score: applied.score, findings: applied.findings, summary: applied.summary, knownMalicious: applied.knownMalicious };
  }
  return judgeAgain(report, knownMalicious, evidence);
}
