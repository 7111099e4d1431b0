import type { AnalysisStatus, Ecosystem, Verdict } from '@vetbox/contracts';
import { evaluatePolicy, type VetItemFinding } from '@vetbox/lockfiles';
import { formatDuration, roughAge } from './duration.js';
import type { KnownMalicious } from './known-malicious.js';
import type { EffectivePolicy } from './policy.js';

/**
 * What the gate does with one version. `allowed` and `approved` are served; `malicious` is
 * refused always; the rest are held until their analysis passes, their cooldown ends, or an
 * admin approves them.
 */
export const GATE_STATES = ['allowed', 'approved', 'malicious', 'suspicious', 'failed', 'queued', 'running', 'unvetted', 'cooldown'] as const;
export type GateState = (typeof GATE_STATES)[number];

/** A failed analysis is tried again when a client asks for the version this long after it failed. */
export const RETRY_FAILED_AFTER_MS = 60 * 60 * 1000;

export interface AnalysisFact {
  id: string;
  status: AnalysisStatus;
  verdict: Verdict | null;
  summary: string | null;
  errorMessage: string | null;
  /** sha256 of the archive the analysis ran on (its report's package.sha256). */
  sha256: string | null;
  createdAt: Date;
  finishedAt: Date | null;
  /** Loaded only when a policy exception names this package (they match findings). */
  findings?: VetItemFinding[];
  /** A phase failed before the package's code could act (`report.incomplete`). */
  incomplete?: boolean;
}

/** An admin's approval of one held version (stored like a policy exception). */
export interface Approval {
  id: string;
  reason: string;
  expiresAt: Date;
  createdAt: Date;
}

/** Everything known about one version when the gate decides. */
export interface VersionFacts {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  /** Upstream publish (npm) or first upload (PyPI) time; null when the registry does not say. */
  publishedAt: Date | null;
  /** Newest completed analysis of the registry release, by any analyzer version. */
  completed: AnalysisFact | null;
  /** Newest queued or running analysis. */
  inFlight: AnalysisFact | null;
  /** Newest failed analysis, when no completed one exists. */
  failed: AnalysisFact | null;
  /** An active (unexpired, unrevoked) approval. */
  approval: Approval | null;
  /** A known-malicious listing (the osv import, #19) naming this version. */
  knownMalicious: KnownMalicious | null;
}

export interface GateDecision {
  state: GateState;
  served: boolean;
  /** One line saying why, for npm's and pip's error output (the package spec is not repeated). */
  reason: string;
  /** The analysis the decision rests on. */
  analysisId?: string;
  verdict?: Verdict;
  /** The verdict once policy exceptions removed findings. */
  effectiveVerdict?: Verdict;
  /** What served bytes must hash to: the archive that was analyzed. */
  sha256?: string;
  /** When a version held only by the cooldown becomes available. */
  availableAt?: Date;
  /** Asking for this version should queue an analysis (none exists, or the last one failed long ago). */
  shouldQueue: boolean;
  approval?: Approval;
  knownMalicious?: KnownMalicious;
}

export const isServed = (state: GateState): boolean => state === 'allowed' || state === 'approved';

const oneLine = (text: string | null | undefined, max = 200): string => {
  const flat = (text ?? '').replace(/[\r\n\t]+/g, ' ').replace(/\s{2,}/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/**
 * The one decision function of the gate: every listing, download and "why" page goes through it.
 * Order matters: a known-malicious listing or a malicious verdict blocks whatever else is true
 * (approvals never lift it); an analysis must exist and pass before age counts; an approval lifts
 * the held states that rest on a finished analysis (suspicious, failed, cooldown).
 */
export function decideVersion(facts: VersionFacts, policy: EffectivePolicy, now: Date = new Date()): GateDecision {
  if (facts.knownMalicious) {
    const k = facts.knownMalicious;
    return {
      state: 'malicious',
      served: false,
      reason: `malicious: listed by ${k.source} (${k.id})${k.summary ? `: ${oneLine(k.summary)}` : ''}`,
      shouldQueue: false,
      knownMalicious: k,
    };
  }
  const held = analysisDecision(facts, policy, now) ?? cooldownDecision(facts, policy, now);
  if (held === null) {
    const a = facts.completed;
    return {
      state: 'allowed',
      served: true,
      reason: a ? `allowed: analyzed ${a.verdict}${a.summary ? ` (${oneLine(a.summary, 120)})` : ''}` : 'allowed: the policy does not fail on analysis errors',
      shouldQueue: false,
      ...analysisFields(facts, policy, now),
    };
  }
  const liftable = held.state === 'suspicious' || held.state === 'failed' || held.state === 'cooldown';
  if (liftable && facts.approval && facts.approval.expiresAt.getTime() > now.getTime()) {
    const ap = facts.approval;
    return {
      ...held,
      state: 'approved',
      served: true,
      shouldQueue: false,
      reason: `approved by an admin until ${ap.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC: ${oneLine(ap.reason, 120)} (held as ${held.state})`,
      approval: ap,
    };
  }
  return held;
}

function analysisFields(facts: VersionFacts, policy: EffectivePolicy, now: Date): Pick<GateDecision, 'analysisId' | 'verdict' | 'effectiveVerdict' | 'sha256'> {
  const a = facts.completed;
  if (!a || !a.verdict) return {};
  return {
    analysisId: a.id,
    verdict: a.verdict,
    effectiveVerdict: effectiveVerdict(facts, a, policy, now).effectiveVerdict ?? a.verdict,
    ...(a.sha256 ? { sha256: a.sha256 } : {}),
  };
}

function effectiveVerdict(facts: VersionFacts, a: AnalysisFact, policy: EffectivePolicy, now: Date) {
  const evaluation = evaluatePolicy(
    { failOn: policy.failOn, failOnError: policy.failOnError, failOnIncomplete: policy.failOnIncomplete, exceptions: policy.exceptions },
    [{ ecosystem: facts.ecosystem, name: facts.name, version: facts.version, verdict: a.verdict, findings: a.findings ?? [], incomplete: a.incomplete === true }],
    now,
  );
  return evaluation.items[0]!;
}

/** The held or blocked decision an analysis (or its absence) leads to; null when it passed. */
function analysisDecision(facts: VersionFacts, policy: EffectivePolicy, now: Date): GateDecision | null {
  const a = facts.completed;
  if (a && a.verdict) {
    const item = effectiveVerdict(facts, a, policy, now);
    const fields = { analysisId: a.id, verdict: a.verdict, ...(item.effectiveVerdict ? { effectiveVerdict: item.effectiveVerdict } : {}), ...(a.sha256 ? { sha256: a.sha256 } : {}) };
    const summary = a.summary ? `: ${oneLine(a.summary)}` : '';
    if (item.effectiveVerdict === 'malicious') {
      return { state: 'malicious', served: false, reason: `malicious: vetbox's analysis found it malicious${summary}`, shouldQueue: false, ...fields };
    }
    if (item.effectiveVerdict === 'error') {
      if (!policy.failOnError) return null;
      return { state: 'failed', served: false, reason: `held: its analysis could not finish, and the policy fails closed${summary}`, shouldQueue: false, ...fields };
    }
    // Failed by the policy but not by the verdict: only an incomplete analysis does that.
    if (item.status === 'failed' && !(item.effectiveVerdict === 'suspicious' && policy.failOn === 'suspicious')) {
      return { state: 'failed', served: false, reason: `held: its analysis could not run every phase, and the policy fails on incomplete analyses${summary}`, shouldQueue: false, ...fields };
    }
    if (item.status === 'failed') {
      return { state: 'suspicious', served: false, reason: `held: vetbox rated it ${item.effectiveVerdict} and the policy fails on ${policy.failOn}${summary}`, shouldQueue: false, ...fields };
    }
    return null;
  }
  if (facts.inFlight) {
    const running = facts.inFlight.status === 'running';
    return {
      state: running ? 'running' : 'queued',
      served: false,
      reason: running ? 'held: vetbox is analyzing it now; try again in a few minutes' : 'held: queued for analysis; try again in a few minutes',
      analysisId: facts.inFlight.id,
      shouldQueue: false,
    };
  }
  if (facts.failed) {
    const f = facts.failed;
    const retry = now.getTime() - (f.finishedAt ?? f.createdAt).getTime() > RETRY_FAILED_AFTER_MS;
    if (!policy.failOnError) return null;
    return {
      state: 'failed',
      served: false,
      reason: `held: its analysis failed${f.errorMessage ? ` (${oneLine(f.errorMessage, 120)})` : ''}${retry ? '; queued again' : ''}`,
      analysisId: f.id,
      shouldQueue: retry,
    };
  }
  return { state: 'unvetted', served: false, reason: 'held: vetbox has not analyzed this version yet; downloading it or opening its link queues the analysis', shouldQueue: true };
}

function cooldownDecision(facts: VersionFacts, policy: EffectivePolicy, now: Date): GateDecision | null {
  if (policy.cooldownSeconds <= 0) return null;
  const cooldown = formatDuration(policy.cooldownSeconds);
  const fields = analysisFields(facts, policy, now);
  if (!facts.publishedAt) {
    return { state: 'cooldown', served: false, reason: `held: the registry gives no release time, and versions are served ${cooldown} after release`, shouldQueue: false, ...fields };
  }
  const availableAt = new Date(facts.publishedAt.getTime() + policy.cooldownSeconds * 1000);
  if (availableAt.getTime() <= now.getTime()) return null;
  return {
    state: 'cooldown',
    served: false,
    reason: `held: released ${roughAge(now.getTime() - facts.publishedAt.getTime())} ago; versions are served ${cooldown} after release (from ${availableAt.toISOString().slice(0, 16).replace('T', ' ')} UTC)`,
    availableAt,
    shouldQueue: false,
    ...fields,
  };
}

/** `left-pad@1.3.0` / `requests==2.32.3`: how the clients' own messages name a version. */
export const versionSpec = (ecosystem: Ecosystem, name: string, version: string): string => (ecosystem === 'npm' ? `${name}@${version}` : `${name}==${version}`);

export interface ListedVersion {
  version: string;
  publishedAt: Date | null;
  prerelease: boolean;
}

/**
 * Versions a listing should queue: among the `limit` newest stable releases (by release time,
 * then the given order), those never analyzed. Keeps a packument fetch of a package with a
 * thousand versions to a handful of analyses.
 */
export function versionsToPrefetch(versions: readonly ListedVersion[], decisions: ReadonlyMap<string, GateDecision>, limit: number): string[] {
  if (limit <= 0) return [];
  const stable = versions.filter((v) => !v.prerelease);
  const newest = [...stable]
    .map((v, i) => ({ v, i }))
    .sort((a, b) => (b.v.publishedAt?.getTime() ?? 0) - (a.v.publishedAt?.getTime() ?? 0) || b.i - a.i)
    .slice(0, limit)
    .map(({ v }) => v.version);
  return newest.filter((v) => decisions.get(v)?.state === 'unvetted');
}
