import { createHash } from 'node:crypto';
import path from 'node:path';
import { NPM_NAME_RE, PYPI_NAME_RE, VetboxError, type Ecosystem } from '@vetbox/contracts';
import {
  DEFAULT_GATE_POLICY,
  decideVersion,
  effectivePolicy,
  listNpmVersions,
  listPypiVersions,
  parseGatePolicy,
  parseSimpleProject,
  versionsToPrefetch,
  type EffectivePolicy,
  type GateDecision,
  type GatePolicy,
  type KnownMaliciousSource,
  type ListedVersion,
  type NpmPackument,
  type PackageOverride,
  type SimpleProject,
} from '@vetbox/gate';
import { normalizePypiName } from '@vetbox/lockfiles';
import { GATE_PREFETCH_PRIORITY } from '@vetbox/queue';
import {
  activeApprovals,
  canonicalPackageName,
  findExistingAnalysisRef,
  findingsOfAnalyses,
  gateAnalysesByVersion,
  getGatePolicy,
  getPackagePolicy,
  recordGateDecisions,
  submitAnalysis,
  type DecisionRecord,
  type GateAnalysisRow,
} from '@vetbox/store';
import type { ApiServices } from '../services.js';
import { ArtifactCache } from './artifacts.js';
import { intelKnownMalicious } from './known-malicious.js';
import { UpstreamCache, type UpstreamDoc } from './upstream.js';

export interface GateConfig {
  npmRegistryUrl: string;
  pypiUrl: string;
  /** Never-analyzed versions a listing queues (the newest stable ones). */
  prefetchVersions: number;
  /** How long upstream metadata is used before asking again. */
  upstreamTtlMs: number;
  /** Largest archive the gate downloads and serves. */
  maxArtifactBytes: number;
  /** Known-malicious lists (#19); by default the ones imported into the intel store. */
  knownMalicious?: KnownMaliciousSource;
  fetchImpl?: typeof fetch;
}

/** Decisions of every version of one package at one moment. */
export interface Snapshot {
  decisions: Map<string, GateDecision>;
  policy: EffectivePolicy;
  /** The deployment policy's revision when this was built. */
  revision: number;
  builtAt: number;
  /** Rebuilt after this (a cooldown ends, or the short TTL that catches other API instances' changes). */
  expiresAt: number;
  generation: number;
  upstreamSeq: number;
  /**
   * Changes exactly when what a client would see changes (states, reasons, digests): a rebuilt
   * snapshot with the same decisions keeps the rendered listing and its ETag.
   */
  fingerprint: string;
}

export interface PackageState<T> {
  upstream: UpstreamDoc<T>;
  listed: ListedVersion[];
  snapshot: Snapshot;
}

/** Other API instances' approvals and policy edits reach this one within this long. */
const SNAPSHOT_TTL_MS = 5_000;
const POLICY_TTL_MS = 5_000;
const QUEUED_MEMORY_MS = 60_000;
const DECISION_FLUSH_MS = 2_000;

const terminal = new Set(['completed', 'failed', 'cancelled']);

/**
 * The vetted registry's engine, shared by the npm, PyPI, "why" and admin routes: upstream
 * metadata and archives, per-package decisions (cached, rebuilt when an analysis finishes, the
 * policy or an approval changes, or a cooldown ends), queueing with deduplication, and the
 * decision log. It never runs package code: it moves bytes and queues analyses.
 */
export class Gate {
  readonly upstream: UpstreamCache;
  readonly artifacts: ArtifactCache;
  readonly npmBase: string;
  readonly pypiBase: string;
  private generation = 0;
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly building = new Map<string, Promise<Snapshot>>();
  private policyCache: { policy: GatePolicy; revision: number; loadedAt: number; generation: number } | null = null;
  private readonly recentlyQueued = new Map<string, number>();
  private readonly pendingDecisions = new Map<string, DecisionRecord>();
  private readonly flushTimer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private readonly knownMalicious: KnownMaliciousSource;
  private readonly listedCache = new WeakMap<object, ListedVersion[]>();
  private readonly prefetchChecked = new WeakSet<Snapshot>();

  constructor(
    readonly s: ApiServices,
    readonly config: GateConfig,
  ) {
    this.npmBase = config.npmRegistryUrl.replace(/\/+$/, '');
    this.pypiBase = config.pypiUrl.replace(/\/+$/, '');
    this.upstream = new UpstreamCache({ ttlMs: config.upstreamTtlMs, fetchImpl: config.fetchImpl });
    this.artifacts = new ArtifactCache(path.join(s.dataDir, 'gate'), { maxBytes: config.maxArtifactBytes, fetchImpl: config.fetchImpl });
    this.knownMalicious = config.knownMalicious ?? intelKnownMalicious(s.prisma);
    // A finished analysis anywhere changes some package's decisions: rebuild on next request.
    this.unsubscribe = s.progress.on('*', (event) => {
      if (terminal.has(event.status)) this.invalidate();
    });
    this.flushTimer = setInterval(() => void this.flushDecisions(), DECISION_FLUSH_MS);
    this.flushTimer.unref();
  }

  /** Every cached decision is rebuilt on its next use (a verdict, the policy or an approval changed). */
  invalidate(): void {
    this.generation += 1;
  }

  // -------------------------------------------------------------------------------------------
  // Upstream metadata

  npmPackument(name: string): Promise<UpstreamDoc<NpmPackument> | null> {
    const url = `${this.npmBase}/${name.startsWith('@') ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name)}`;
    return this.upstream.get(`npm:${name}`, url, 'application/json', (v) => (v && typeof v === 'object' && typeof (v as NpmPackument).versions === 'object' ? (v as NpmPackument) : null), `npm package ${name}`);
  }

  pypiProject(name: string): Promise<UpstreamDoc<SimpleProject> | null> {
    const normalized = normalizePypiName(name);
    return this.upstream.get(`pypi:${normalized}`, `${this.pypiBase}/simple/${normalized}/`, 'application/vnd.pypi.simple.v1+json', parseSimpleProject, `PyPI project ${normalized}`);
  }

  // -------------------------------------------------------------------------------------------
  // Policy

  async deploymentPolicy(): Promise<{ policy: GatePolicy; revision: number }> {
    const cached = this.policyCache;
    if (cached && cached.generation === this.generation && Date.now() - cached.loadedAt < POLICY_TTL_MS) return cached;
    const stored = await getGatePolicy(this.s.prisma);
    let policy = DEFAULT_GATE_POLICY;
    if (stored) {
      try {
        policy = parseGatePolicy(stored.policy, 'stored gate policy');
      } catch (err) {
        // Validated on the way in; a row that no longer parses (a schema change) fails closed to the defaults.
        this.s.logger.error({ err }, 'stored gate policy is invalid; using the default policy');
      }
    }
    this.policyCache = { policy, revision: stored?.revision ?? 0, loadedAt: Date.now(), generation: this.generation };
    return this.policyCache;
  }

  async policyFor(ecosystem: Ecosystem, name: string): Promise<{ policy: EffectivePolicy; revision: number }> {
    const [{ policy, revision }, override] = await Promise.all([this.deploymentPolicy(), getPackagePolicy(this.s.prisma, ecosystem, name)]);
    return { policy: effectivePolicy(policy, override ? toOverride(override) : null), revision };
  }

  // -------------------------------------------------------------------------------------------
  // Decisions

  /** Decisions for every listed version of a package, cached until something they rest on changes. */
  async snapshot(ecosystem: Ecosystem, name: string, listed: readonly ListedVersion[], upstreamSeq: number): Promise<Snapshot> {
    const key = `${ecosystem}:${canonicalPackageName(ecosystem, name)}`;
    const now = Date.now();
    const cached = this.snapshots.get(key);
    if (cached && cached.generation === this.generation && cached.upstreamSeq === upstreamSeq && now < cached.expiresAt) return cached;
    const buildKey = `${key}@${upstreamSeq}@${this.generation}`;
    let pending = this.building.get(buildKey);
    if (!pending) {
      pending = this.build(ecosystem, name, listed, upstreamSeq).finally(() => this.building.delete(buildKey));
      this.building.set(buildKey, pending);
    }
    const snapshot = await pending;
    this.snapshots.set(key, snapshot);
    if (this.snapshots.size > 5_000) this.snapshots.delete(this.snapshots.keys().next().value as string);
    return snapshot;
  }

  private async build(ecosystem: Ecosystem, name: string, listed: readonly ListedVersion[], upstreamSeq: number): Promise<Snapshot> {
    const generation = this.generation;
    const now = new Date();
    const [{ policy, revision }, analyses, approvals, known] = await Promise.all([
      this.policyFor(ecosystem, name),
      gateAnalysesByVersion(this.s.prisma, ecosystem, name),
      activeApprovals(this.s.prisma, ecosystem, name, now),
      this.knownMalicious.listed(ecosystem, name),
    ]);
    const canonical = canonicalPackageName(ecosystem, name);
    // Exceptions match findings: load them only when one names this package.
    const excepted = policy.exceptions.some((e) => e.target.ecosystem === ecosystem && canonicalPackageName(ecosystem, e.target.name) === canonical);
    const findings = excepted
      ? await findingsOfAnalyses(this.s.prisma, [...analyses.values()].flatMap((a) => (a.completed && a.completed.verdict !== 'benign' ? [a.completed.id] : [])))
      : new Map();
    const fact = (row: GateAnalysisRow | null) => (row ? { ...row, ...(findings.has(row.id) ? { findings: findings.get(row.id) } : {}) } : null);
    const decisions = new Map<string, GateDecision>();
    let expiresAt = now.getTime() + SNAPSHOT_TTL_MS;
    for (const v of listed) {
      const a = analyses.get(v.version);
      const approval = approvals.find((ap) => ap.version === v.version);
      const decision = decideVersion(
        {
          ecosystem,
          name,
          version: v.version,
          publishedAt: v.publishedAt,
          completed: fact(a?.completed ?? null),
          inFlight: a?.inFlight ?? null,
          failed: a?.completed ? null : (a?.failed ?? null),
          approval: approval ? { id: approval.id, reason: approval.reason, expiresAt: approval.expiresAt, createdAt: approval.createdAt } : null,
          knownMalicious: known(v.version),
        },
        policy,
        now,
      );
      decisions.set(v.version, decision);
      if (decision.availableAt) expiresAt = Math.min(expiresAt, decision.availableAt.getTime());
      if (approval) expiresAt = Math.min(expiresAt, approval.expiresAt.getTime());
    }
    const fingerprint = createHash('sha256');
    for (const [version, d] of decisions) fingerprint.update(`${version}\0${d.state}\0${d.reason}\0${d.sha256 ?? ''}\0${d.shouldQueue}\n`);
    return { decisions, policy, revision, builtAt: now.getTime(), expiresAt, generation, upstreamSeq, fingerprint: fingerprint.digest('base64url') };
  }

  /**
   * A package's upstream metadata, its versions and their decisions. The newest never-analyzed
   * releases (GATE_PREFETCH_VERSIONS) are queued first, so the answer already says "queued".
   */
  async npmState(name: string, apiKeyId: string | null): Promise<PackageState<NpmPackument> | null> {
    const upstream = await this.npmPackument(name);
    return upstream ? this.state('npm', name, upstream, listNpmVersions, apiKeyId) : null;
  }

  async pypiState(name: string, apiKeyId: string | null): Promise<PackageState<SimpleProject> | null> {
    const upstream = await this.pypiProject(name);
    return upstream ? this.state('pypi', name, upstream, listPypiVersions, apiKeyId) : null;
  }

  private async state<T extends object>(ecosystem: Ecosystem, name: string, upstream: UpstreamDoc<T>, list: (doc: T) => ListedVersion[], apiKeyId: string | null): Promise<PackageState<T>> {
    let listed = this.listedCache.get(upstream.doc);
    if (!listed) this.listedCache.set(upstream.doc, (listed = list(upstream.doc)));
    let snapshot = await this.snapshot(ecosystem, name, listed, upstream.seq);
    if (!this.prefetchChecked.has(snapshot)) {
      this.prefetchChecked.add(snapshot);
      const wanted = versionsToPrefetch(listed, snapshot.decisions, this.config.prefetchVersions).filter((v) => !this.queuedRecently(ecosystem, name, v));
      if (wanted.length > 0 && (await this.queue(ecosystem, name, wanted, { priority: GATE_PREFETCH_PRIORITY, apiKeyId })).length > 0) {
        snapshot = await this.snapshot(ecosystem, name, listed, upstream.seq);
      }
    }
    return { upstream, listed, snapshot };
  }

  private queuedRecently(ecosystem: Ecosystem, name: string, version: string): boolean {
    const at = this.recentlyQueued.get(`${ecosystem}:${canonicalPackageName(ecosystem, name)}@${version}`);
    return at !== undefined && Date.now() - at < QUEUED_MEMORY_MS;
  }

  /**
   * Queues analyses of registry releases, deduplicated with every other submission (an analysis
   * in flight or completed answers instead). Failures are logged, never thrown: a refused
   * download still answers with its reason while Redis or PostgreSQL is away.
   */
  async queue(ecosystem: Ecosystem, name: string, versions: readonly string[], opts: { priority?: number; apiKeyId?: string | null } = {}): Promise<string[]> {
    const queued: string[] = [];
    for (const version of versions) {
      const key = `${ecosystem}:${canonicalPackageName(ecosystem, name)}@${version}`;
      const artifact = { ecosystem, name: canonicalPackageName(ecosystem, name), version, source: 'registry' as const };
      try {
        this.recentlyQueued.set(key, Date.now());
        if (this.recentlyQueued.size > 50_000) this.recentlyQueued.clear();
        const existing = await findExistingAnalysisRef(this.s.prisma, artifact, this.s.analyzerVersion);
        if (existing) continue;
        const outcome = await submitAnalysis(this.s.prisma, {
          artifact,
          analyzerVersion: this.s.analyzerVersion,
          apiKeyId: opts.apiKeyId ?? null,
          queue: this.s.queue.name,
          ...(opts.priority ? { priority: opts.priority } : {}),
        });
        if (outcome.job) await this.s.queue.enqueue(outcome.job, opts.priority ? { priority: opts.priority } : {});
        queued.push(version);
        this.s.logger.info({ package: key, analysisId: outcome.analysis.id, deduplicated: outcome.deduplicated }, 'gate queued an analysis');
      } catch (err) {
        this.recentlyQueued.delete(key);
        this.s.logger.warn({ err, package: key }, 'gate could not queue an analysis');
      }
    }
    if (queued.length > 0) this.invalidate();
    return queued;
  }

  // -------------------------------------------------------------------------------------------
  // Decision log

  /** Remembers what a download request got; written in batches (the hot path never waits on it). */
  record(ecosystem: Ecosystem, name: string, version: string, decision: Pick<GateDecision, 'state' | 'served' | 'reason'>): void {
    const key = `${ecosystem}:${name}@${version}`;
    const previous = this.pendingDecisions.get(key);
    this.pendingDecisions.set(key, { ecosystem, name, version, state: decision.state, served: decision.served, reason: decision.reason, requests: (previous?.requests ?? 0) + 1, at: new Date() });
  }

  async flushDecisions(): Promise<void> {
    if (this.pendingDecisions.size === 0) return;
    const records = [...this.pendingDecisions.values()];
    this.pendingDecisions.clear();
    try {
      await recordGateDecisions(this.s.prisma, records);
    } catch (err) {
      this.s.logger.warn({ err, records: records.length }, 'gate could not write its decision log');
    }
  }

  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    this.unsubscribe();
    await this.flushDecisions();
  }
}

export function toOverride(row: { failOn: string | null; failOnError: boolean | null; cooldownSeconds: number | null; reason: string }): PackageOverride {
  return {
    failOn: row.failOn === 'malicious' || row.failOn === 'suspicious' ? row.failOn : null,
    failOnError: row.failOnError,
    cooldownSeconds: row.cooldownSeconds,
    reason: row.reason,
  };
}

/** npm names as written (scoped ones with their `@scope/`), PyPI names normalized; anything else is refused. */
export function checkPackageName(ecosystem: Ecosystem, name: string): string {
  const ok = name.length > 0 && name.length <= 214 && (ecosystem === 'npm' ? NPM_NAME_RE : PYPI_NAME_RE).test(name);
  if (!ok) throw new VetboxError('INVALID_INPUT', `not a valid ${ecosystem} package name: ${JSON.stringify(name.slice(0, 100))}`);
  return ecosystem === 'pypi' ? normalizePypiName(name) : name;
}
