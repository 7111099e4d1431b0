import { createHash } from 'node:crypto';
import type * as Sarif from 'sarif';
import type { Severity } from '@vetbox/contracts';
import type { EvaluatedItem, PolicyEvaluation, VetItem, VetItemFinding } from './policy.js';
import { formatPackage, type LockfileFormat, type SkippedEntry } from './types.js';

/** Everything an export needs: the policy evaluation of a batch plus what was not analysed. */
export interface VetReport<T extends VetItem = VetItem> {
  batchId?: string;
  createdAt?: string;
  lockfile?: { path?: string; format?: LockfileFormat };
  evaluation: PolicyEvaluation<T>;
  skipped?: SkippedEntry[];
}

export const VET_REPORT_JSON_FORMAT = 'vetbox-vet-report/v1';

/** The report as pretty JSON, tagged with its format so readers can check what they got. */
export function toJson(report: VetReport): string {
  return `${JSON.stringify({ format: VET_REPORT_JSON_FORMAT, ...report }, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180: CRLF line breaks, fields with `"`, `,`, CR or LF quoted, quotes doubled)

export const CSV_COLUMNS = [
  'ecosystem',
  'name',
  'version',
  'line',
  'status',
  'verdict',
  'effective_verdict',
  'findings',
  'excepted_findings',
  'analysis_id',
  'note',
] as const;

export function csvField(value: string | number | null | undefined): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const findingList = (findings: readonly VetItemFinding[]): string => findings.map((f) => `${f.rule} (${f.severity})`).join('; ');

/** One row per item, then one per skipped entry (status `skipped`, the reason in `note`). */
export function toCsv(report: VetReport): string {
  const rows: Array<Array<string | number | null | undefined>> = [[...CSV_COLUMNS]];
  for (const item of report.evaluation.items) {
    const note = item.appliedExceptions.map((e) => `excepted ${e.rule} until ${e.expires}: ${e.reason}`).join('; ');
    rows.push([
      item.ecosystem,
      item.name,
      item.version,
      item.line,
      item.status,
      item.verdict,
      item.effectiveVerdict,
      findingList(item.remainingFindings),
      findingList(item.exceptedFindings.map((e) => e.finding)),
      item.analysisId,
      note,
    ]);
  }
  for (const skipped of report.skipped ?? []) {
    rows.push(['', skipped.name ?? skipped.raw, '', skipped.line, 'skipped', '', '', '', '', '', `${skipped.reason}: ${skipped.message}`]);
  }
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

// ---------------------------------------------------------------------------------------------
// SARIF 2.1.0

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

export interface SarifOptions {
  /** Path of the scanned lockfile relative to the repository root (used as artifact URI). */
  lockfilePath?: string;
  /**
   * `failing` (default): results for the findings that make items fail.
   * `all`: also findings of passing items, and excepted findings as suppressed results.
   */
  include?: 'failing' | 'all';
  toolVersion?: string;
  informationUri?: string;
}

const CONVENTIONAL_NAMES: Record<LockfileFormat, string> = {
  'package-lock': 'package-lock.json',
  'npm-shrinkwrap': 'npm-shrinkwrap.json',
  'yarn-classic': 'yarn.lock',
  'yarn-berry': 'yarn.lock',
  pnpm: 'pnpm-lock.yaml',
  requirements: 'requirements.txt',
  poetry: 'poetry.lock',
  uv: 'uv.lock',
  pipfile: 'Pipfile.lock',
  allowlist: 'vetbox-allowlist.txt',
};

/** critical/high → error, medium → warning, low/info → note. */
export function sarifLevel(severity: Severity): Sarif.Result.level {
  switch (severity) {
    case 'critical':
    case 'high':
      return 'error';
    case 'medium':
      return 'warning';
    case 'low':
    case 'info':
      return 'note';
    default: {
      const exhaustive: never = severity;
      return exhaustive;
    }
  }
}

/** A relative path as a URI reference: `/` separators, each segment percent-encoded. */
export function pathToUri(path: string): string {
  return path
    .replace(/\\/g, '/')
    .replace(/^\.\//, '')
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

// GitHub code scanning ranks security alerts by this 0–10 score (critical > 9, high ≥ 7, medium ≥ 4).
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '2.0', info: '0.0' };

const ANALYSIS_ERROR_RULE = 'analysis-error';
const NOT_VETTED_RULE = 'not-vetted';
const VERDICT_RULE = 'failing-verdict';

/**
 * SARIF 2.1.0 log with one run of the `vetbox` tool. Each result sits at the lockfile line of
 * its package, so code scanning shows it on the dependency that caused it.
 */
export function toSarif(report: VetReport, options: SarifOptions = {}): Sarif.Log {
  const include = options.include ?? 'failing';
  const format = report.lockfile?.format;
  const path = options.lockfilePath ?? report.lockfile?.path ?? (format ? CONVENTIONAL_NAMES[format] : 'vetbox-batch');
  const uri = pathToUri(path);
  const rules = new Map<string, Sarif.ReportingDescriptor>();
  const results: Sarif.Result[] = [];

  const ruleIndex = (id: string, finding?: VetItemFinding): number => {
    if (!rules.has(id)) rules.set(id, describeRule(id, finding));
    return [...rules.keys()].indexOf(id);
  };

  for (const item of report.evaluation.items) {
    const failing = item.status === 'failed' || (item.status === 'error' && report.evaluation.failOnError);
    if (item.status === 'error' && (failing || include === 'all')) {
      results.push(errorResult(item, uri, ruleIndex(ANALYSIS_ERROR_RULE), failing));
      continue;
    }
    if (failing || include === 'all') {
      for (const finding of item.remainingFindings) results.push(findingResult(item, finding, uri, ruleIndex(finding.rule, finding)));
    }
    // A failing verdict with no finding to show (should not happen, but a failure must be visible).
    if (failing && item.remainingFindings.length === 0) results.push(verdictResult(item, uri, ruleIndex(VERDICT_RULE)));
    if (include === 'all') {
      for (const { finding, exception } of item.exceptedFindings) {
        const result = findingResult(item, finding, uri, ruleIndex(finding.rule, finding));
        result.suppressions = [{ kind: 'external', status: 'accepted', justification: `${exception.reason} (policy exception until ${exception.expires})` }];
        results.push(result);
      }
    }
  }

  if (include === 'all') {
    for (const skipped of report.skipped ?? []) results.push(skippedResult(skipped, uri, ruleIndex(NOT_VETTED_RULE)));
  }

  const driver: Sarif.ToolComponent = { name: 'vetbox', rules: [...rules.values()] };
  if (options.toolVersion) driver.version = options.toolVersion;
  if (options.informationUri) driver.informationUri = options.informationUri;
  const run: Sarif.Run = {
    tool: { driver },
    artifacts: [{ location: { uri } }],
    results,
    properties: {
      outcome: report.evaluation.outcome,
      failOn: report.evaluation.failOn,
      counts: report.evaluation.counts,
      skipped: report.skipped?.length ?? 0,
      ...(report.batchId ? { batchId: report.batchId } : {}),
    },
  };
  return { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [run] };
}

function describeRule(id: string, finding?: VetItemFinding): Sarif.ReportingDescriptor {
  if (id === ANALYSIS_ERROR_RULE) {
    return {
      id,
      name: 'AnalysisError',
      shortDescription: { text: 'The package could not be analysed, so it was not vetted' },
      defaultConfiguration: { level: 'error' },
    };
  }
  if (id === NOT_VETTED_RULE) {
    return {
      id,
      name: 'NotVetted',
      shortDescription: { text: 'A lockfile entry that is not a pinned registry package was not analysed' },
      defaultConfiguration: { level: 'note' },
    };
  }
  if (id === VERDICT_RULE) {
    return {
      id,
      name: 'FailingVerdict',
      shortDescription: { text: 'The package verdict fails the policy' },
      defaultConfiguration: { level: 'error' },
    };
  }
  const descriptor: Sarif.ReportingDescriptor = {
    id,
    shortDescription: { text: finding?.title ?? id },
    defaultConfiguration: { level: finding ? sarifLevel(finding.severity) : 'warning' },
  };
  if (finding?.explanation) descriptor.fullDescription = { text: finding.explanation };
  if (finding) descriptor.properties = { severity: finding.severity, 'security-severity': SECURITY_SEVERITY[finding.severity], tags: ['security', 'supply-chain'] };
  return descriptor;
}

function location(uri: string, line: number | undefined): Sarif.Location[] {
  const physicalLocation: Sarif.PhysicalLocation = { artifactLocation: { uri, index: 0 } };
  if (line !== undefined && line >= 1) physicalLocation.region = { startLine: line };
  return [{ physicalLocation }];
}


function fingerprint(...parts: Array<string | undefined>): string {
  return createHash('sha256').update(parts.map((p) => p ?? '').join('\u0000')).digest('hex');
}

function findingResult(item: EvaluatedItem, finding: VetItemFinding, uri: string, index: number): Sarif.Result {
  const title = finding.title ?? finding.rule;
  const text = `${formatPackage(item)}: ${title}${finding.explanation ? `. ${finding.explanation}` : ''} (verdict: ${item.effectiveVerdict ?? 'pending'})`;
  const result: Sarif.Result = {
    ruleId: finding.rule,
    ruleIndex: index,
    level: sarifLevel(finding.severity),
    message: { text },
    locations: location(uri, item.line),
    partialFingerprints: { 'vetboxFinding/v1': fingerprint(item.ecosystem, item.name, item.version, finding.rule, finding.evidenceHash) },
    properties: {
      ecosystem: item.ecosystem,
      package: item.name,
      version: item.version,
      severity: finding.severity,
      verdict: item.effectiveVerdict,
      ...(finding.evidenceHash ? { evidenceHash: finding.evidenceHash } : {}),
      ...(item.analysisId ? { analysisId: item.analysisId } : {}),
    },
  };
  return result;
}

function errorResult(item: EvaluatedItem, uri: string, index: number, failing: boolean): Sarif.Result {
  return {
    ruleId: ANALYSIS_ERROR_RULE,
    ruleIndex: index,
    level: failing ? 'error' : 'note',
    message: { text: `${formatPackage(item)}: the analysis ended in an error, so this package was not vetted` },
    locations: location(uri, item.line),
    partialFingerprints: { 'vetboxFinding/v1': fingerprint(item.ecosystem, item.name, item.version, ANALYSIS_ERROR_RULE) },
    properties: { ecosystem: item.ecosystem, package: item.name, version: item.version, ...(item.analysisId ? { analysisId: item.analysisId } : {}) },
  };
}

function verdictResult(item: EvaluatedItem, uri: string, index: number): Sarif.Result {
  return {
    ruleId: VERDICT_RULE,
    ruleIndex: index,
    level: 'error',
    message: { text: `${formatPackage(item)}: verdict ${item.effectiveVerdict ?? 'unknown'} fails the policy` },
    locations: location(uri, item.line),
    partialFingerprints: { 'vetboxFinding/v1': fingerprint(item.ecosystem, item.name, item.version, VERDICT_RULE) },
    properties: { ecosystem: item.ecosystem, package: item.name, version: item.version, verdict: item.effectiveVerdict, ...(item.analysisId ? { analysisId: item.analysisId } : {}) },
  };
}

function skippedResult(skipped: SkippedEntry, uri: string, index: number): Sarif.Result {
  return {
    ruleId: NOT_VETTED_RULE,
    ruleIndex: index,
    level: 'note',
    message: { text: `${skipped.name ?? skipped.raw}: not vetted (${skipped.reason}): ${skipped.message}` },
    locations: location(uri, skipped.line),
    partialFingerprints: { 'vetboxFinding/v1': fingerprint(NOT_VETTED_RULE, skipped.raw, skipped.reason) },
    properties: { reason: skipped.reason, ...(skipped.name ? { package: skipped.name } : {}) },
  };
}
