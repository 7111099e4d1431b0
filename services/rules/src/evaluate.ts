import { createHash } from 'node:crypto';
import { SEVERITY_ORDER, type EvidenceRef, type Finding, type IncompletePhase, type Verdict } from '@vetbox/contracts';
import { attributeDrafts } from './trigger-attribution.js';
import { foldRepeats } from './repeats.js';
import { ruleInfo } from './catalog.js';
import { RuleContext, type Draft, type EvaluateInput, type Evidence } from './context.js';
import { credentialExfiltration, credentialStoreRead } from './rules/credentials.js';
import { environmentExfiltration, identityExfiltration } from './rules/exfiltration.js';
import {
  downloaderExecution,
  droppedExecutableRun,
  executableMadeOutsidePackage,
  reverseShell,
  shellExecution,
} from './rules/execution.js';
import { antiForensics, writeOutsidePackage } from './rules/filesystem.js';
import { incompleteClause, incompletePhases, raiseUnconfirmed } from './incomplete.js';
import { STATIC_RULES } from './rules/static.js';
import { cryptoMining } from './rules/mining.js';
import { networkActivity } from './rules/network.js';
import { persistence } from './rules/persistence.js';
import { droppedPayload, persistenceCradle } from './rules/content.js';
import { backgroundProcess, processInjection, sandboxProbe } from './rules/probes.js';
import { traceFlood } from './rules/trace.js';
import { score } from './scoring.js';
import { attributeToDependencies } from './attribution.js';
import { archiveQuirks } from './rules/archive.js';
import { checkTyposquat, typosquatting } from './typosquat.js';

export interface Evaluation {
  findings: Finding[];
  verdict: Exclude<Verdict, 'error'>;
  score: number;
  summary: string;
  /** The popular package the name imitates, for `Report.lookalikeOf`. */
  lookalikeOf?: string;
  /** Phases that failed before the package's code could act (`Report.incompletePhases`); evaluate() always sets it. */
  incomplete?: IncompletePhase[];
}

type BehaviorRule = (ctx: RuleContext) => Draft[];

/** Behavior rules in catalog order; `typosquatting` is static and runs on the name alone. */
const BEHAVIOR_RULES: readonly BehaviorRule[] = [
  credentialExfiltration,
  identityExfiltration,
  environmentExfiltration,
  credentialStoreRead,
  networkActivity,
  downloaderExecution,
  shellExecution,
  reverseShell,
  droppedExecutableRun,
  droppedPayload,
  executableMadeOutsidePackage,
  persistence,
  persistenceCradle,
  writeOutsidePackage,
  sandboxProbe,
  cryptoMining,
  processInjection,
  backgroundProcess,
  traceFlood,
  antiForensics,
  ...STATIC_RULES,
];

/**
 * Cited evidence per finding; the rest is counted in a last summary-only reference. High enough
 * that a grouped finding keeps every lookup and connection of a flood (the viewers collapse long
 * lists), low enough to bound a report.
 */
export const MAX_EVIDENCE = 5000;

/** Hash of what the evidence says (not where it sits), so a policy exception survives re-runs. */
export function evidenceHash(rule: string, keys: readonly string[]): string {
  const content = [rule, ...[...new Set(keys)].sort()].join('\n');
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

/**
 * Drops evidence that reads exactly like an earlier entry of the same kind: a shell's forked
 * subshells keep its argv, so one pipeline otherwise shows up once per fork.
 */
function distinctEvidence(evidence: readonly Evidence[]): Evidence[] {
  const seen = new Set<string>();
  return evidence.filter((e) => {
    const id = `${e.kind}\u0000${e.summary}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

export function completeFinding(draft: Draft): Finding {
  const info = ruleInfo(draft.rule);
  const distinct = distinctEvidence(draft.evidence);
  const kept = distinct.slice(0, MAX_EVIDENCE);
  const evidence: EvidenceRef[] = kept.map(({ key: _key, ...ref }) => ref);
  if (distinct.length > MAX_EVIDENCE) {
    evidence.push({ kind: kept[0]!.kind, summary: `… and ${distinct.length - MAX_EVIDENCE} more` });
  }
  return {
    rule: draft.rule,
    severity: draft.severity,
    title: draft.title ?? info.title,
    explanation: draft.detail ? `${info.explanation} ${draft.detail}` : info.explanation,
    phase: draft.phase,
    evidence,
    evidenceHash: evidenceHash(draft.rule, draft.evidence.map((e) => e.key)),
  };
}

function bySeverityThenRule(a: Finding, b: Finding): number {
  return SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || a.rule.localeCompare(b.rule);
}

/**
 * Runs every rule over one analysis and combines the findings into a verdict. Pure: the same
 * input gives the same findings, order and hashes.
 */
export function evaluate(input: EvaluateInput): Evaluation {
  const ctx = new RuleContext(input);
  const lookalike = checkTyposquat(input.package.ecosystem, input.package.name);
  const drafts = foldRepeats([...typosquatting(input.package, lookalike), ...archiveQuirks(input.package), ...BEHAVIOR_RULES.flatMap((rule) => rule(ctx))]);
  attributeDrafts(ctx, drafts);
  const incomplete = incompletePhases(input.phases, input.sandbox);
  const completed = raiseUnconfirmed(drafts.filter((d) => d.evidence.length > 0).map(completeFinding), incomplete);
  const findings = attributeToDependencies(completed, input.behavior, input.package.name).sort(bySeverityThenRule);
  const scored = score(findings);
  return {
    findings,
    verdict: scored.verdict,
    score: scored.score,
    summary: incomplete.length > 0 ? `${scored.summary} (${incompleteClause(incomplete)})` : scored.summary,
    lookalikeOf: lookalike?.target,
    incomplete,
  };
}
