import type { Report } from '@vetbox/contracts';
import { evaluate, withBaseline } from '@vetbox/rules';
import type { Rescored } from '@vetbox/store';

/**
 * The current rules over one stored report's behavior (no sandbox run). Reports that hold no
 * judgeable behavior (verdict `error`, or written before sandbox facts were recorded) keep what
 * they have. A report analyzed against a baseline is re-judged against the same stored diff.
 */
export function rescoreReport(report: Report): Rescored {
  const unchanged: Rescored = { verdict: report.verdict, score: report.score, findings: report.findings, summary: report.summary };
  if (report.verdict === 'error' || report.error || !report.sandbox) return unchanged;
  let evaluation = evaluate({
    package: report.package,
    behavior: report.behavior,
    canaries: report.canaries,
    sandbox: report.sandbox,
    phases: report.phases,
  });
  if (report.baseline) {
    evaluation = withBaseline(
      evaluation,
      { base: { version: report.baseline.version }, target: { version: report.package.version }, added: report.baseline.added },
      { ecosystem: report.package.ecosystem },
    );
  }
  return { verdict: evaluation.verdict, score: evaluation.score, findings: evaluation.findings, summary: evaluation.summary };
}
