import jsYaml from 'js-yaml';
import semver from 'semver';
import { z } from 'zod';
import { Severity, VetboxError, type Ecosystem, type Verdict } from '@vetbox/contracts';
import { isValidNpmName, isValidPypiName, isValidVersion, normalizePypiName } from './collector.js';
import { splitNameAndRange } from './npm-spec.js';

/** Which verdict fails the batch: `malicious` only, or `suspicious` and worse. */
export const FailOn = z.enum(['malicious', 'suspicious']);
export type FailOn = z.infer<typeof FailOn>;

const RULE_ID_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const DATE_ONLY_RE = /^\d{4}-\d{2}-\d{2}$/;

export interface PackageTarget {
  ecosystem: Ecosystem;
  /** npm: as written; PyPI: PEP 503-normalized. */
  name: string;
  version: string;
}

/** `npm:<name>@<version>` or `pypi:<name>==<version>` → target, or an error message. */
export function parsePackageTarget(text: string): PackageTarget | string {
  if (text.startsWith('npm:')) {
    const { name, range } = splitNameAndRange(text.slice(4));
    if (!isValidNpmName(name)) return `"${name}" is not a valid npm package name`;
    if (!range || semver.valid(range) === null) return `npm exceptions need one exact version (npm:${name}@1.2.3), got "${range}"`;
    return { ecosystem: 'npm', name, version: range };
  }
  if (text.startsWith('pypi:')) {
    const match = /^pypi:([^=<>~!\s]+)==(\S+)$/.exec(text);
    if (match === null) return 'PyPI exceptions are written pypi:<name>==<version>';
    const [, name, version] = match;
    if (!isValidPypiName(name)) return `"${name}" is not a valid PyPI package name`;
    if (!isValidVersion('pypi', version)) return `"${version}" is not a valid version`;
    return { ecosystem: 'pypi', name: normalizePypiName(name), version };
  }
  return 'package must start with npm: or pypi: (npm:<name>@<version> or pypi:<name>==<version>)';
}

/**
 * The moment an exception stops applying. A date (`2026-12-31`) is valid through the end of
 * that day, UTC; a full ISO timestamp is valid until that instant.
 */
function expiryInstant(expires: string): Date | null {
  if (DATE_ONLY_RE.test(expires)) {
    const day = new Date(`${expires}T00:00:00Z`);
    if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== expires) return null;
    return new Date(day.getTime() + 24 * 60 * 60 * 1000);
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(expires)) return null;
  const instant = new Date(expires);
  return Number.isNaN(instant.getTime()) ? null : instant;
}

// Field-level checks, so one pass reports every problem of every exception.
const PackageField = z
  .string({ error: 'package is required: npm:<name>@<version> or pypi:<name>==<version>' })
  .trim()
  .superRefine((text, ctx) => {
    const target = parsePackageTarget(text);
    if (typeof target === 'string') ctx.addIssue({ code: 'custom', message: target });
  });
const ExpiresField = z
  .string({ error: 'expires is required: a date (YYYY-MM-DD) after which the exception stops applying' })
  .trim()
  .superRefine((text, ctx) => {
    if (expiryInstant(text) === null) ctx.addIssue({ code: 'custom', message: `"${text}" is not a date (YYYY-MM-DD) or ISO timestamp` });
  });

export const PolicyException = z
  .object({
    package: PackageField,
    rule: z.string({ error: 'rule is required' }).regex(RULE_ID_RE, 'rule must be a kebab-case rule id, e.g. network-outbound'),
    evidenceHash: z.string().trim().min(1).optional(),
    reason: z.string({ error: 'reason is required: say why this finding is acceptable' }).trim().min(1, 'reason must not be empty'),
    expires: ExpiresField,
  })
  .strict()
  .transform((raw) => ({
    ...raw,
    target: parsePackageTarget(raw.package) as PackageTarget,
    expiresAt: (expiryInstant(raw.expires) as Date).toISOString(),
  }));
export type PolicyException = z.infer<typeof PolicyException>;

export const Policy = z
  .object({
    version: z.literal(1).optional(),
    failOn: FailOn.default('malicious'),
    /** An analysis that ended in `error` could not vouch for the package: fail closed by default. */
    failOnError: z.boolean().default(true),
    /** Fail a package whose analysis could not run every phase (`report.incomplete`), whatever its verdict. */
    failOnIncomplete: z.boolean().default(false),
    exceptions: z.array(PolicyException).default([]),
  })
  .strict();
export type Policy = z.infer<typeof Policy>;
/** What a policy file may contain before defaults and validation. */
export type PolicyInput = z.input<typeof Policy>;

export const DEFAULT_POLICY: Policy = Object.freeze({ failOn: 'malicious', failOnError: true, failOnIncomplete: false, exceptions: [] }) as Policy;

/** Validates an already-parsed policy (e.g. JSON sent with a batch). Throws INVALID_INPUT listing every problem. */
export function policyFromObject(value: unknown, source = 'policy'): Policy {
  const result = Policy.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  throw new VetboxError('INVALID_INPUT', `${source} is invalid:\n  ${problems.join('\n  ')}`, { details: { problems } });
}

/**
 * Parses `vetbox.policy.yaml`:
 *   failOn: suspicious            # or malicious (default)
 *   failOnIncomplete: true        # fail packages whose install/import phase failed (default false)
 *   exceptions:
 *     - package: npm:left-pad@1.3.0
 *       rule: network-outbound
 *       evidenceHash: 3f9c…       # optional: only this exact evidence
 *       reason: calls our own telemetry host, reviewed in SEC-123
 *       expires: 2026-12-31
 */
export function parsePolicy(yamlText: string, source = 'vetbox.policy.yaml'): Policy {
  let doc: unknown;
  try {
    // CORE schema: dates stay strings (we interpret them), no custom types.
    doc = jsYaml.load(yamlText, { schema: jsYaml.CORE_SCHEMA, filename: source });
  } catch (err) {
    throw new VetboxError('INVALID_INPUT', `${source} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  if (doc !== undefined && doc !== null && (typeof doc !== 'object' || Array.isArray(doc))) {
    throw new VetboxError('INVALID_INPUT', `${source} must be a mapping with failOn and exceptions`);
  }
  return policyFromObject(doc, source);
}

// ---------------------------------------------------------------------------------------------
// Evaluation

export interface VetItemFinding {
  rule: string;
  severity: Severity;
  evidenceHash?: string;
  title?: string;
  explanation?: string;
}

/** One analysed (or not yet analysed) package version of a batch. */
export interface VetItem {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  /** null while the analysis has not finished. */
  verdict: Verdict | null;
  findings: VetItemFinding[];
  /** A phase failed before the package's code could act (`report.incomplete`). */
  incomplete?: boolean;
  /** Line in the submitted lockfile, for SARIF (LockfileEntry.line). */
  line?: number;
  analysisId?: string;
}

export const ITEM_STATUSES = ['failed', 'passed', 'excepted', 'pending', 'error'] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

export interface AppliedException {
  /** Index in policy.exceptions. */
  index: number;
  package: string;
  rule: string;
  evidenceHash?: string;
  reason: string;
  expires: string;
}

export interface ExceptedFinding<F extends VetItemFinding = VetItemFinding> {
  finding: F;
  exception: AppliedException;
}

/** What evaluatePolicy adds to each item. */
export interface ItemEvaluation<F extends VetItemFinding = VetItemFinding> {
  /** The verdict once excepted findings are removed (null while pending). */
  effectiveVerdict: Verdict | null;
  status: ItemStatus;
  /** Findings no exception covers. */
  remainingFindings: F[];
  /** Findings removed by an exception, each with the exception that removed it. */
  exceptedFindings: ExceptedFinding<F>[];
  appliedExceptions: AppliedException[];
}

export type EvaluatedItem<T extends VetItem = VetItem> = T & ItemEvaluation<T['findings'][number]>;

export interface ExceptionReport extends AppliedException {
  /** How many findings it matched (for expired ones: would have matched). */
  matchedFindings: number;
}

export interface PolicyEvaluation<T extends VetItem = VetItem> {
  /** True when nothing failed and nothing is still pending. */
  pass: boolean;
  outcome: 'pass' | 'fail' | 'incomplete';
  failOn: FailOn;
  failOnError: boolean;
  failOnIncomplete: boolean;
  evaluatedAt: string;
  counts: Record<ItemStatus, number>;
  items: EvaluatedItem<T>[];
  /** Exceptions past their expiry: they no longer apply. */
  expiredExceptions: ExceptionReport[];
  /** Active exceptions that matched no finding of this batch. */
  unusedExceptions: ExceptionReport[];
}

const VERDICT_RANK: Record<Exclude<Verdict, 'error'>, number> = { benign: 0, suspicious: 1, malicious: 2 };

/**
 * Verdict from findings alone, used when exceptions removed some findings:
 * any `critical` → malicious; any `high` or `medium` → suspicious; otherwise benign
 * (a benign verdict means no finding above `low`).
 * This mirrors the verdict contract until @vetbox/rules exports its own scoring; pass that
 * as `options.verdictOf` to evaluatePolicy to keep one source of truth.
 */
export function verdictFromFindings(findings: ReadonlyArray<Pick<VetItemFinding, 'severity'>>): Exclude<Verdict, 'error'> {
  if (findings.some((f) => f.severity === 'critical')) return 'malicious';
  if (findings.some((f) => f.severity === 'high' || f.severity === 'medium')) return 'suspicious';
  return 'benign';
}

export interface EvaluateOptions {
  verdictOf?: (findings: VetItemFinding[]) => Exclude<Verdict, 'error'>;
}

function sameTarget(target: PackageTarget, item: VetItem): boolean {
  if (target.ecosystem !== item.ecosystem || target.version !== item.version) return false;
  return item.ecosystem === 'pypi' ? normalizePypiName(item.name) === target.name : item.name === target.name;
}

function exceptionMatches(exception: PolicyException, item: VetItem, finding: VetItemFinding): boolean {
  if (exception.rule !== finding.rule || !sameTarget(exception.target, item)) return false;
  return exception.evidenceHash === undefined || exception.evidenceHash === finding.evidenceHash;
}

function appliedView(exception: PolicyException, index: number): AppliedException {
  const view: AppliedException = { index, package: exception.package, rule: exception.rule, reason: exception.reason, expires: exception.expires };
  if (exception.evidenceHash !== undefined) view.evidenceHash = exception.evidenceHash;
  return view;
}

/**
 * Applies a policy to a batch's items. An active exception removes the findings it matches
 * (same package version and rule, and evidence hash when given); the item's verdict is then
 * recomputed from what remains, never above the analysed verdict. Expired exceptions do not
 * apply and are reported.
 */
export function evaluatePolicy<T extends VetItem>(policy: Policy, items: readonly T[], now: Date = new Date(), options: EvaluateOptions = {}): PolicyEvaluation<T> {
  const verdictOf = options.verdictOf ?? verdictFromFindings;
  const nowMs = now.getTime();
  const active = policy.exceptions.map((e) => Date.parse(e.expiresAt) > nowMs);
  const matched = policy.exceptions.map(() => 0);
  const failRank = VERDICT_RANK[policy.failOn];
  const counts: Record<ItemStatus, number> = { failed: 0, passed: 0, excepted: 0, pending: 0, error: 0 };

  const evaluated = items.map((item): EvaluatedItem<T> => {
    type F = T['findings'][number];
    const remaining: F[] = [];
    const excepted: ExceptedFinding<F>[] = [];
    const applied = new Map<number, AppliedException>();
    for (const finding of item.findings) {
      let appliedIndex = -1;
      policy.exceptions.forEach((exception, index) => {
        if (!exceptionMatches(exception, item, finding)) return;
        matched[index]++;
        if (active[index] && appliedIndex < 0) appliedIndex = index;
      });
      if (appliedIndex < 0) {
        remaining.push(finding);
        continue;
      }
      const view = applied.get(appliedIndex) ?? appliedView(policy.exceptions[appliedIndex], appliedIndex);
      applied.set(appliedIndex, view);
      excepted.push({ finding, exception: view });
    }
    const { effectiveVerdict, status } = decide(item.verdict, remaining, excepted.length > 0, item.incomplete === true);
    counts[status]++;
    const evaluation: ItemEvaluation<F> = {
      effectiveVerdict,
      status,
      remainingFindings: remaining,
      exceptedFindings: excepted,
      appliedExceptions: [...applied.values()],
    };
    return { ...item, ...evaluation };
  });

  function decide(verdict: Verdict | null, remaining: VetItemFinding[], anyExcepted: boolean, incomplete: boolean): { effectiveVerdict: Verdict | null; status: ItemStatus } {
    if (verdict === null) return { effectiveVerdict: null, status: 'pending' };
    if (verdict === 'error') return { effectiveVerdict: 'error', status: 'error' };
    let effective: Exclude<Verdict, 'error'> = verdict;
    if (anyExcepted) {
      const recomputed = verdictOf(remaining);
      if (VERDICT_RANK[recomputed] < VERDICT_RANK[verdict]) effective = recomputed;
    }
    if (VERDICT_RANK[effective] >= failRank) return { effectiveVerdict: effective, status: 'failed' };
    // An analysis that could not run the package's code cannot vouch for it, when the policy says so.
    if (policy.failOnIncomplete && incomplete) return { effectiveVerdict: effective, status: 'failed' };
    const exceptedIntoPassing = anyExcepted && VERDICT_RANK[verdict] >= failRank;
    return { effectiveVerdict: effective, status: exceptedIntoPassing ? 'excepted' : 'passed' };
  }

  const report = (index: number): ExceptionReport => ({ ...appliedView(policy.exceptions[index], index), matchedFindings: matched[index] });
  const indexes = policy.exceptions.map((_, i) => i);
  const failing = counts.failed > 0 || (policy.failOnError && counts.error > 0);
  const outcome = failing ? 'fail' : counts.pending > 0 ? 'incomplete' : 'pass';
  return {
    pass: outcome === 'pass',
    outcome,
    failOn: policy.failOn,
    failOnError: policy.failOnError,
    failOnIncomplete: policy.failOnIncomplete ?? false,
    evaluatedAt: now.toISOString(),
    counts,
    items: evaluated,
    expiredExceptions: indexes.filter((i) => !active[i]).map(report),
    unusedExceptions: indexes.filter((i) => active[i] && matched[i] === 0).map(report),
  };
}
