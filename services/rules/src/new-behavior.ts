import type { Ecosystem, Finding, PhaseName, Severity } from '@vetbox/contracts';
import { DEFAULT_REGISTRY_HOSTS, type Evidence } from './context.js';
import { completeFinding, type Evaluation } from './evaluate.js';
import { binaryHost, hostMatches, isExfilService, isLoopback, isPrivateAddress, looksLikeDnsTunnel, normalizeHost, RELEASE_HOSTS, TOOLCHAIN_HOSTS } from './hosts.js';
import { classify, CREDENTIAL_STORES, PERSISTENCE_LOCATIONS } from './paths.js';
import { incompleteClause } from './incomplete.js';
import { atLeast, score } from './scoring.js';

/**
 * The part of a behavior diff (`@vetbox/diff`'s `BehaviorDiff`) this rule reads, typed
 * structurally so rules do not depend on the diff package. Paths are already normalized
 * (`~/...` for the home); `changes` lists added entries first.
 */
export type DiffCategory = 'hosts' | 'processes' | 'files' | 'canaries' | 'findings';

export interface DiffEntryLike {
  category: DiffCategory;
  key: string;
  summary: string;
  phases: PhaseName[];
  detail: Record<string, unknown>;
}

export interface BehaviorDiffLike {
  base?: { version: string };
  target?: { version: string };
  added: Record<DiffCategory, DiffEntryLike[]>;
  changes?: Array<DiffEntryLike & { change: 'added' | 'removed' }>;
}

export interface NewBehaviorOptions {
  ecosystem?: Ecosystem;
  registryHosts?: string[];
  releaseHosts?: string[];
}

type Kind = 'network' | 'credential-store' | 'persistence' | 'process-spawning' | 'finding';

interface Added {
  kind: Kind;
  severity: Severity;
  entry: DiffEntryLike;
}

const RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** The host a diff entry names: `dns:<name>`, `<proto>:<host>:<port>`, `http(s):<METHOD> <host><path>`. */
function hostOf(entry: DiffEntryLike): string | undefined {
  const d = entry.detail;
  const named = str(d.name) ?? str(d.hostname) ?? str(d.host) ?? str(d.address);
  return named ? normalizeHost(named) : undefined;
}

function judgeHost(entry: DiffEntryLike, opts: Required<NewBehaviorOptions>): Severity | undefined {
  const host = hostOf(entry);
  if (!host || opts.registryHosts.some((r) => hostMatches(host, r))) return undefined;
  // The sandbox's own resolver and loopback are plumbing, as in network-activity.
  const address = str(entry.detail.address);
  if (address && !str(entry.detail.hostname) && (isLoopback(address) || (entry.detail.port === 53 && isPrivateAddress(address)))) return undefined;
  if (isExfilService(host) || looksLikeDnsTunnel(host)) return 'high';
  const method = str(entry.detail.method)?.toUpperCase();
  if (method && !['GET', 'HEAD', 'OPTIONS'].includes(method)) return 'high';
  const known = [...RELEASE_HOSTS, ...TOOLCHAIN_HOSTS, ...opts.releaseHosts];
  if (known.some((k) => hostMatches(host, k)) || binaryHost(host)) return 'low';
  return 'medium';
}

function judgeFile(entry: DiffEntryLike): Added | undefined {
  const path = str(entry.detail.path);
  const op = str(entry.detail.op);
  if (!path) return undefined;
  if (op === 'read' && classify(path, CREDENTIAL_STORES)) return { kind: 'credential-store', severity: 'high', entry };
  if (op === 'write' && classify(path, PERSISTENCE_LOCATIONS)) return { kind: 'persistence', severity: 'high', entry };
  return undefined;
}

function classifyAdded(diff: BehaviorDiffLike, opts: Required<NewBehaviorOptions>): Added[] {
  const out: Added[] = [];
  for (const entry of diff.added.hosts ?? []) {
    const severity = judgeHost(entry, opts);
    if (severity) out.push({ kind: 'network', severity, entry });
  }
  for (const entry of diff.added.files ?? []) {
    const hit = judgeFile(entry);
    if (hit) out.push(hit);
  }
  for (const entry of diff.added.canaries ?? []) out.push({ kind: 'credential-store', severity: 'high', entry });
  for (const entry of diff.added.processes ?? []) out.push({ kind: 'process-spawning', severity: 'low', entry });
  for (const entry of diff.added.findings ?? []) {
    const severity = str(entry.detail.severity) as Severity | undefined;
    // A new finding of its own severity; new-behavior itself stays at most high (the finding is
    // already in the report, this one says it is new).
    if (severity && atLeast(severity, 'medium')) out.push({ kind: 'finding', severity: RANK[severity] > RANK.high ? 'high' : severity, entry });
  }
  return out;
}

function indexInChanges(diff: BehaviorDiffLike, entry: DiffEntryLike): number | undefined {
  const i = diff.changes?.findIndex((c) => c.change === 'added' && c.category === entry.category && c.key === entry.key) ?? -1;
  return i >= 0 ? i : undefined;
}

const KIND_LABEL: Record<Kind, string> = {
  network: 'network',
  'credential-store': 'credential-store access',
  persistence: 'persistence',
  'process-spawning': 'new processes',
  finding: 'new findings',
};

/**
 * new-behavior: what this version adds over its baseline in network, credential-store,
 * process-spawning or persistence behavior. `null` when it adds none of that. Severity is the
 * worst of what was added (credential reads and persistence high, unknown hosts medium,
 * release-host downloads and new processes low); evidence entries point into `diff.changes`.
 */
export function evaluateNewBehavior(diff: BehaviorDiffLike, options: NewBehaviorOptions = {}): Finding | null {
  const ecosystem = options.ecosystem ?? 'npm';
  const opts: Required<NewBehaviorOptions> = {
    ecosystem,
    registryHosts: (options.registryHosts ?? DEFAULT_REGISTRY_HOSTS[ecosystem]).map((h) => h.toLowerCase()),
    releaseHosts: (options.releaseHosts ?? []).map((h) => h.toLowerCase()),
  };
  const added = classifyAdded(diff, opts);
  if (added.length === 0) return null;
  added.sort((a, b) => RANK[b.severity] - RANK[a.severity]);

  const evidence: Evidence[] = added.map(({ entry }) => ({
    kind: 'diff',
    index: indexInChanges(diff, entry),
    summary: `added: ${entry.summary}`,
    key: `diff:${entry.category}:${entry.key}`,
  }));
  const counts = new Map<Kind, number>();
  for (const a of added) counts.set(a.kind, (counts.get(a.kind) ?? 0) + 1);
  const what = [...counts].map(([kind, n]) => `${KIND_LABEL[kind]} (${n})`).join(', ');
  const phases = new Set(added.flatMap((a) => a.entry.phases));
  const base = diff.base?.version ? ` ${diff.base.version}` : '';
  const target = diff.target?.version ? `${diff.target.version} ` : 'This version ';
  return completeFinding({
    rule: 'new-behavior',
    severity: added[0]!.severity,
    phase: phases.size === 1 ? [...phases][0]! : null,
    title: `${target}adds behavior the baseline${base} did not have`,
    detail: `Added: ${what}.`,
    evidence,
  });
}

/** Adds the new-behavior finding (if any) to an evaluation and re-scores it. */
export function withBaseline(evaluation: Evaluation, diff: BehaviorDiffLike, options: NewBehaviorOptions = {}): Evaluation {
  const finding = evaluateNewBehavior(diff, options);
  if (!finding) return evaluation;
  const findings = [...evaluation.findings.filter((f) => f.rule !== 'new-behavior'), finding].sort(
    (a, b) => RANK[b.severity] - RANK[a.severity] || a.rule.localeCompare(b.rule),
  );
  const scored = score(findings);
  const incomplete = evaluation.incomplete ?? [];
  const summary = incomplete.length > 0 ? `${scored.summary} (${incompleteClause(incomplete)})` : scored.summary;
  return { ...evaluation, findings, verdict: scored.verdict, score: scored.score, summary };
}
