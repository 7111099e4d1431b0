import type { Verdict } from '@vetbox/contracts';
import type { PolicyEvaluation, VetItem, VetItemFinding } from './policy.js';
import type { LockfileEntry } from './types.js';

/** What is known of a package's analysis: a stored Report fits, as does a queued row. */
export interface AnalysisOutcome {
  analysisId?: string;
  /** Absent or null while the analysis has not finished. */
  verdict?: Verdict | null;
  findings?: VetItemFinding[];
  incomplete?: boolean;
}

/** Joins a lockfile entry with its analysis (if any) into the item evaluatePolicy takes. */
export function toVetItem(entry: LockfileEntry, analysis?: AnalysisOutcome | null): VetItem {
  const item: VetItem = {
    ecosystem: entry.ecosystem,
    name: entry.name,
    version: entry.version,
    line: entry.line,
    verdict: analysis?.verdict ?? null,
    findings: (analysis?.findings ?? []).map(({ rule, severity, evidenceHash, title, explanation }) => ({
      rule,
      severity,
      ...(evidenceHash !== undefined ? { evidenceHash } : {}),
      ...(title !== undefined ? { title } : {}),
      ...(explanation !== undefined ? { explanation } : {}),
    })),
  };
  if (analysis?.analysisId !== undefined) item.analysisId = analysis.analysisId;
  if (analysis?.incomplete) item.incomplete = true;
  return item;
}

/** One line for a CLI or log: `FAIL: 1 failed, 40 passed, 1 excepted (fail on malicious)`. */
export function summaryLine(evaluation: PolicyEvaluation): string {
  const { counts } = evaluation;
  const parts = [`${counts.failed} failed`, `${counts.passed} passed`];
  if (counts.excepted) parts.push(`${counts.excepted} excepted`);
  if (counts.error) parts.push(`${counts.error} error${counts.error === 1 ? '' : 's'}`);
  if (counts.pending) parts.push(`${counts.pending} pending`);
  const expired = evaluation.expiredExceptions.length ? `; ${evaluation.expiredExceptions.length} expired exception(s)` : '';
  return `${evaluation.outcome.toUpperCase()}: ${parts.join(', ')} (fail on ${evaluation.failOn}${expired})`;
}
