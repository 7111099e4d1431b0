import {
  REPORT_SCHEMA_VERSION,
  Report,
  type BaselineComparison,
  type Behavior,
  type CanaryReport,
  type KnownMaliciousRef,
  type PackageRef,
  type PhaseReport,
  type SandboxInfo,
  type SinkholeCapture,
  type StaticAnalysis,
} from '@vetbox/contracts';
import { changeList, diffReports } from '@vetbox/diff';
import { detectMachineLeaks } from '@vetbox/honeytokens';
import { evaluate, withBaseline, withKnownMalicious, type Evaluation } from '@vetbox/rules';

export interface JudgeInput {
  analysisId: string;
  analyzerVersion: string;
  package: PackageRef;
  behavior: Behavior;
  canaries: CanaryReport[];
  sandbox: SandboxInfo;
  phases: PhaseReport[];
  /** The static pass over the package's files (absent when it did not run). */
  static?: StaticAnalysis;
  /** The earlier version's report: what this one adds becomes the `new-behavior` finding. */
  baseline?: Report;
}

/**
 * Rules over the behavior exactly as it will be stored, so `rescore` (which only has the stored
 * report) reaches the same verdict the analysis did.
 */
export function judge(input: JudgeInput): Report {
  const draft = toReport(input, evaluate(input));
  if (!input.baseline) return Report.parse(draft);
  const diff = diffReports(input.baseline, draft);
  const baseline: BaselineComparison = {
    ...(input.baseline.analysisId ? { analysisId: input.baseline.analysisId } : {}),
    version: input.baseline.package.version,
    added: diff.added,
    removed: diff.removed,
  };
  return Report.parse({ ...draft, ...verdictOf(withBaseline(evaluate(input), diff, { ecosystem: input.package.ecosystem })), baseline });
}

/**
 * Canary reports of one analysis: the planted credentials' (searched for at analysis time: their
 * values are not stored) followed by what left about the machine itself (identity, environment),
 * which only needs the capture, the behavior and the sandbox facts, so a rescore can redo it.
 */
export function withMachineLeaks(credentials: CanaryReport[], capture: SinkholeCapture, behavior: Behavior, sandbox: SandboxInfo): CanaryReport[] {
  const planted = credentials.filter((c) => c.kind !== 'identity' && c.kind !== 'environment');
  return [...planted, ...detectMachineLeaks({ capture, behavior, sandbox, credentials: planted })];
}

export interface RescoreExtras {
  /** The analysis's stored sinkhole capture: identity and environment leaks are searched again. */
  capture?: SinkholeCapture;
}

/** A rescore's decision, and the canary reports when they were searched again. */
export type Rescore = Judged & Partial<Pick<Report, 'canaries'>>;

/**
 * Re-evaluates a stored report with the current rules (and its stored baseline diff, if any).
 * `knownMalicious`: the records that list the version now (from the intel store); without it
 * the report keeps the records it cites. With the stored capture (`extras.capture`), what left
 * about the machine is searched again first, so reports made before a detection existed get it.
 */
export function rescoreReport(report: Report, knownMalicious?: readonly KnownMaliciousRef[], extras: RescoreExtras = {}): Rescore {
  if (!report.sandbox) throw new TypeError('a report without sandbox information cannot be rescored');
  const canaries = extras.capture ? withMachineLeaks(report.canaries, extras.capture, report.behavior, report.sandbox) : report.canaries;
  const input = { package: report.package, behavior: report.behavior, canaries, sandbox: report.sandbox, phases: report.phases, static: report.static };
  let evaluation = evaluate(input);
  if (report.baseline) {
    // The same change list the analysis judged, so new-behavior evidence keeps pointing at its entries.
    const { added, removed } = report.baseline;
    evaluation = withBaseline(evaluation, { added, changes: changeList(added, removed) }, { ecosystem: report.package.ecosystem });
  }
  const records = knownMalicious ?? report.knownMalicious ?? [];
  return {
    ...verdictOf(withKnownMalicious(evaluation, records)),
    knownMalicious: records.length > 0 ? [...records] : undefined,
    ...(extras.capture ? { canaries } : {}),
  };
}

/** What judging decides, and so what a rescore replaces in a stored report. */
export type Judged = Pick<Report, 'verdict' | 'score' | 'findings' | 'summary' | 'incomplete' | 'incompletePhases' | 'knownMalicious'>;

/**
 * A finished report with the known-malicious records that list its version: the worker applies
 * them to every fresh report, whatever analyzer made it, so a quiet detonation of a listed
 * version is still malicious. Only the finding, verdict, score and summary change.
 */
export function applyKnownMalicious(report: Report, records: readonly KnownMaliciousRef[]): Report {
  if (records.length === 0 && !report.knownMalicious) return report;
  const { knownMalicious: _old, ...rest } = report;
  // A failed analysis stays failed unless a record now lists it.
  if (report.verdict === 'error' && records.length === 0) return Report.parse(rest);
  return Report.parse({ ...withKnownMalicious(rest, records), ...(records.length > 0 ? { knownMalicious: [...records] } : {}) });
}

function verdictOf(e: Evaluation): Judged {
  const incomplete = e.incomplete ?? [];
  return {
    verdict: e.verdict,
    score: e.score,
    findings: e.findings,
    summary: e.summary,
    incomplete: incomplete.length > 0,
    ...(incomplete.length > 0 ? { incompletePhases: incomplete } : {}),
  };
}

function toReport(input: JudgeInput, e: Evaluation): Report {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    analyzer: { version: input.analyzerVersion },
    analysisId: input.analysisId,
    createdAt: new Date().toISOString(),
    package: input.package,
    ...verdictOf(e),
    phases: input.phases,
    behavior: input.behavior,
    canaries: input.canaries,
    ...(input.static ? { static: input.static } : {}),
    sandbox: input.sandbox,
    ...(e.lookalikeOf ? { lookalikeOf: e.lookalikeOf } : {}),
  };
}
