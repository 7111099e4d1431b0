import { SEVERITY_ORDER, type Finding, type KnownMaliciousRef } from '@vetbox/contracts';
import { completeFinding, type Evaluation } from './evaluate.js';
import { score } from './scoring.js';

/**
 * The `known-malicious` finding: one per analysis, citing every record that lists the version
 * (evidence kind `intel`, indexed into `report.knownMalicious`). None when no record matches.
 */
export function knownMaliciousFinding(records: readonly KnownMaliciousRef[]): Finding | undefined {
  if (records.length === 0) return undefined;
  const ids = records.map((r) => r.id);
  return completeFinding({
    rule: 'known-malicious',
    severity: 'critical',
    phase: null,
    title: `Known malicious: ${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ` and ${ids.length - 3} more` : ''}`,
    evidence: records.map((r, index) => ({
      kind: 'intel' as const,
      index,
      summary: `${r.id}${r.summary ? ` (${r.summary})` : ''}, listed by ${r.source} as of ${r.sourceDate.slice(0, 10)}`,
      key: r.id,
    })),
  });
}

/**
 * Adds (or replaces, or removes) the `known-malicious` finding and scores again: a listed
 * version is malicious whatever its detonation showed. Same shape as `withBaseline`.
 */
export function withKnownMalicious<E extends { findings: Finding[]; verdict: string; score: number; summary?: string }>(
  evaluation: E,
  records: readonly KnownMaliciousRef[],
): E & Pick<Evaluation, 'verdict' | 'score' | 'summary'> {
  const had = evaluation.findings.some((f) => f.rule === 'known-malicious');
  const finding = knownMaliciousFinding(records);
  if (!finding && !had) return evaluation as E & Pick<Evaluation, 'verdict' | 'score' | 'summary'>;
  const findings = [...evaluation.findings.filter((f) => f.rule !== 'known-malicious'), ...(finding ? [finding] : [])].sort(
    (a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || a.rule.localeCompare(b.rule),
  );
  const scored = score(findings);
  return { ...evaluation, findings, verdict: scored.verdict, score: scored.score, summary: scored.summary };
}
