import type { AnalysisStatus, Ecosystem, Severity, Verdict } from '@vetbox/contracts';
import type { GateApproval, GateDecision, GatePackagePolicy, Prisma } from '@vetbox/db';
import { canonicalPackageName } from './artifacts.js';
import type { Db } from './db.js';

// Persistence of the vetted registry (#18): what analyses say about each version of a package,
// the registry's policy, per-package overrides, admin approvals and the decision log.

export interface GateAnalysisRow {
  id: string;
  version: string;
  status: AnalysisStatus;
  verdict: Verdict | null;
  summary: string | null;
  errorMessage: string | null;
  /** The analyzed archive's sha256 (completed analyses: from the report, else the artifact). */
  sha256: string | null;
  /** The report says a phase failed before the package's code could act. */
  incomplete?: boolean;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface GateVersionAnalyses {
  completed: GateAnalysisRow | null;
  inFlight: GateAnalysisRow | null;
  failed: GateAnalysisRow | null;
}

/**
 * Per version of a registry package: its newest completed analysis (any analyzer version: an
 * upgrade must not hold every package again), newest in-flight one and newest failure. Uploads
 * are not registry releases and do not count. The sha256 of a completed analysis comes from its
 * report (the bytes that analysis ran on), read only for the newest completed one per version.
 */
export async function gateAnalysesByVersion(db: Db, ecosystem: Ecosystem, name: string): Promise<Map<string, GateVersionAnalyses>> {
  const rows = await db.$queryRaw<Array<Omit<GateAnalysisRow, 'sha256'> & { artifactSha: string | null }>>`
    SELECT a.id::text AS id, ar.version, a.status::text AS status, a.verdict::text AS verdict, a.summary,
           a."errorMessage", a."createdAt", a."finishedAt", ar.sha256 AS "artifactSha"
      FROM "Analysis" a
      JOIN "Artifact" ar ON ar.id = a."artifactId"
      JOIN "Package" p ON p.id = ar."packageId"
     WHERE p.ecosystem = ${ecosystem}::"Ecosystem" AND p.name = ${canonicalPackageName(ecosystem, name)}
       AND ar.source = 'registry' AND a.status <> 'cancelled'
     ORDER BY a."createdAt" DESC, a.id DESC
     LIMIT 20000`;
  const byVersion = new Map<string, GateVersionAnalyses>();
  const completedIds: string[] = [];
  for (const { artifactSha, ...row } of rows) {
    const entry = byVersion.get(row.version) ?? { completed: null, inFlight: null, failed: null };
    byVersion.set(row.version, entry);
    const fact: GateAnalysisRow = { ...row, sha256: artifactSha };
    if (row.status === 'completed' && !entry.completed) {
      entry.completed = fact;
      completedIds.push(row.id);
    } else if ((row.status === 'queued' || row.status === 'running') && !entry.inFlight) entry.inFlight = fact;
    else if (row.status === 'failed' && !entry.failed) entry.failed = fact;
  }
  if (completedIds.length > 0) {
    const shas = await db.$queryRaw<Array<{ id: string; sha256: string | null; incomplete: boolean | null }>>`
      SELECT "analysisId"::text AS id, report->'package'->>'sha256' AS sha256, (report->>'incomplete')::boolean AS incomplete
        FROM "Report" WHERE "analysisId" = ANY(${completedIds}::uuid[])`;
    const byId = new Map(shas.map((s) => [s.id, s]));
    for (const entry of byVersion.values()) {
      const found = entry.completed ? byId.get(entry.completed.id) : undefined;
      if (!entry.completed || !found) continue;
      if (found.sha256) entry.completed.sha256 = found.sha256;
      if (found.incomplete) entry.completed.incomplete = true;
    }
  }
  return byVersion;
}

/** Findings of analyses (rule, severity, evidence hash): policy exceptions match on them. */
export async function findingsOfAnalyses(db: Db, analysisIds: readonly string[]): Promise<Map<string, Array<{ rule: string; severity: Severity; evidenceHash?: string }>>> {
  const out = new Map<string, Array<{ rule: string; severity: Severity; evidenceHash?: string }>>();
  if (analysisIds.length === 0) return out;
  const rows = await db.finding.findMany({ where: { analysisId: { in: [...analysisIds] } }, select: { analysisId: true, rule: true, severity: true, evidenceHash: true } });
  for (const r of rows) {
    const list = out.get(r.analysisId) ?? [];
    list.push({ rule: r.rule, severity: r.severity, ...(r.evidenceHash ? { evidenceHash: r.evidenceHash } : {}) });
    out.set(r.analysisId, list);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Policy

export interface StoredGatePolicy {
  policy: unknown;
  revision: number;
  updatedAt: Date;
}

export async function getGatePolicy(db: Db): Promise<StoredGatePolicy | null> {
  const row = await db.gatePolicy.findUnique({ where: { id: 'default' } });
  return row ? { policy: row.policy, revision: row.revision, updatedAt: row.updatedAt } : null;
}

/** Replaces the deployment policy (already validated); the revision grows by one. */
export async function saveGatePolicy(db: Db, policy: Prisma.InputJsonValue, apiKeyId: string | null): Promise<StoredGatePolicy> {
  const row = await db.gatePolicy.upsert({
    where: { id: 'default' },
    create: { id: 'default', policy, apiKeyId },
    update: { policy, apiKeyId, revision: { increment: 1 } },
  });
  return { policy: row.policy, revision: row.revision, updatedAt: row.updatedAt };
}

export async function getPackagePolicy(db: Db, ecosystem: Ecosystem, name: string): Promise<GatePackagePolicy | null> {
  return db.gatePackagePolicy.findUnique({ where: { ecosystem_name: { ecosystem, name: canonicalPackageName(ecosystem, name) } } });
}

export async function listPackagePolicies(db: Db): Promise<GatePackagePolicy[]> {
  return db.gatePackagePolicy.findMany({ orderBy: [{ ecosystem: 'asc' }, { name: 'asc' }], take: 5_000 });
}

export interface PackagePolicyInput {
  failOn?: string | null;
  failOnError?: boolean | null;
  cooldownSeconds?: number | null;
  reason: string;
}

export async function upsertPackagePolicy(db: Db, ecosystem: Ecosystem, name: string, input: PackagePolicyInput, apiKeyId: string | null): Promise<GatePackagePolicy> {
  const data = { failOn: input.failOn ?? null, failOnError: input.failOnError ?? null, cooldownSeconds: input.cooldownSeconds ?? null, reason: input.reason, apiKeyId };
  const key = { ecosystem, name: canonicalPackageName(ecosystem, name) };
  return db.gatePackagePolicy.upsert({ where: { ecosystem_name: key }, create: { ...key, ...data }, update: data });
}

export async function deletePackagePolicy(db: Db, ecosystem: Ecosystem, name: string): Promise<boolean> {
  const { count } = await db.gatePackagePolicy.deleteMany({ where: { ecosystem, name: canonicalPackageName(ecosystem, name) } });
  return count > 0;
}

// ---------------------------------------------------------------------------------------------
// Approvals

export interface ApprovalInput {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  reason: string;
  expiresAt: Date;
}

export async function createApproval(db: Db, input: ApprovalInput, apiKeyId: string | null): Promise<GateApproval> {
  return db.gateApproval.create({ data: { ...input, name: canonicalPackageName(input.ecosystem, input.name), apiKeyId } });
}

/** Unrevoked, unexpired approvals of a package's versions, newest first. */
export async function activeApprovals(db: Db, ecosystem: Ecosystem, name: string, now = new Date()): Promise<GateApproval[]> {
  return db.gateApproval.findMany({
    where: { ecosystem, name: canonicalPackageName(ecosystem, name), revokedAt: null, expiresAt: { gt: now } },
    orderBy: { createdAt: 'desc' },
    take: 1_000,
  });
}

export async function listApprovals(db: Db, opts: { includeInactive?: boolean; limit?: number } = {}, now = new Date()): Promise<GateApproval[]> {
  return db.gateApproval.findMany({
    where: opts.includeInactive ? {} : { revokedAt: null, expiresAt: { gt: now } },
    orderBy: { createdAt: 'desc' },
    take: Math.min(opts.limit ?? 200, 1_000),
  });
}

export async function revokeApproval(db: Db, id: string): Promise<GateApproval | null> {
  const { count } = await db.gateApproval.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
  return count > 0 ? db.gateApproval.findUnique({ where: { id } }) : null;
}

// ---------------------------------------------------------------------------------------------
// Decision log

export interface DecisionRecord {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  state: string;
  served: boolean;
  reason: string;
  /** Requests this record stands for (the gate batches them). */
  requests: number;
  at: Date;
}

/** Upserts the latest decision per version, adding to its request count. */
export async function recordGateDecisions(db: Db, records: readonly DecisionRecord[]): Promise<void> {
  for (const r of records) {
    const name = canonicalPackageName(r.ecosystem, r.name);
    await db.$executeRaw`
      INSERT INTO "GateDecision" (ecosystem, name, version, state, served, reason, requests, "firstAt", "lastAt")
      VALUES (${r.ecosystem}::"Ecosystem", ${name}, ${r.version}, ${r.state}, ${r.served}, ${r.reason}, ${r.requests}, ${r.at}, ${r.at})
      ON CONFLICT (ecosystem, name, version) DO UPDATE
         SET state = EXCLUDED.state, served = EXCLUDED.served, reason = EXCLUDED.reason,
             requests = "GateDecision".requests + EXCLUDED.requests,
             "lastAt" = GREATEST("GateDecision"."lastAt", EXCLUDED."lastAt")`;
  }
}

export interface DecisionQuery {
  /** Only refused (`held`) or only served versions. */
  served?: boolean;
  /** Part of a package name, any case. */
  q?: string;
  limit?: number;
}

export async function listGateDecisions(db: Db, query: DecisionQuery = {}): Promise<GateDecision[]> {
  return db.gateDecision.findMany({
    where: {
      ...(query.served !== undefined ? { served: query.served } : {}),
      ...(query.q ? { name: { contains: query.q.toLowerCase(), mode: 'insensitive' as const } } : {}),
    },
    orderBy: { lastAt: 'desc' },
    take: Math.min(Math.max(query.limit ?? 50, 1), 200),
  });
}

/** PyPI projects vetbox knows (the simple index root lists them). */
export async function listPypiProjects(db: Db, limit = 10_000): Promise<string[]> {
  const rows = await db.package.findMany({ where: { ecosystem: 'pypi' }, select: { name: true }, orderBy: { name: 'asc' }, take: limit });
  return rows.map((r) => r.name);
}
