import { AnalysisJob, type ErrorCode, type PhaseName, type Stage } from '@vetbox/contracts';
import type { Analysis, Artifact, Package, Prisma, PrismaClient } from '@vetbox/db';
import { canonicalPackageName, dedupKey, findOrCreateArtifact, saveArtifactBlob, type ArtifactInput } from './artifacts.js';
import { IN_FLIGHT, type Db } from './db.js';

export type AnalysisWithArtifact = Analysis & { artifact: Artifact & { package: Package } };

export const withArtifact = { artifact: { include: { package: true } } } as const satisfies Prisma.AnalysisInclude;

export interface SubmitInput {
  artifact: ArtifactInput;
  analyzerVersion: string;
  force?: boolean;
  priority?: number;
  apiKeyId?: string | null;
  phases?: PhaseName[];
  baselineAnalysisId?: string;
  /** Uploads: the validated archive's bytes, kept in the database for workers on any host. */
  blob?: Buffer;
  /** The queue the job goes to (recovery re-adds lost jobs there, and only there). */
  queue?: string;
}

export interface SubmitOutcome {
  analysis: AnalysisWithArtifact;
  /** True when an existing analysis (completed or in flight) answers this submission. */
  deduplicated: boolean;
  /** The job to enqueue; null when deduplicated. */
  job: AnalysisJob | null;
}

/**
 * Creates an analysis, or returns the one that already answers it: the same artifact analyzed by
 * the same analyzer version, completed or still in flight. `force` always creates a new one.
 * Concurrent identical submissions are serialized by a transaction-scoped advisory lock on the
 * artifact's identity, so exactly one analysis is created.
 */
export async function submitAnalysis(prisma: PrismaClient, input: SubmitInput): Promise<SubmitOutcome> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${dedupKey(input.artifact)}, 0))`;
    const artifact = await findOrCreateArtifact(tx, input.artifact);
    if (input.blob) await saveArtifactBlob(tx, artifact.id, input.blob);
    if (!input.force) {
      const existing = await findReusableAnalysis(tx, artifact.id, input.analyzerVersion);
      if (existing) return { analysis: existing, deduplicated: true, job: null };
    }
    const analysis = await tx.analysis.create({
      data: {
        artifactId: artifact.id,
        analyzerVersion: input.analyzerVersion,
        force: input.force ?? false,
        priority: input.priority ?? 1,
        apiKeyId: input.apiKeyId ?? null,
        baselineId: input.baselineAnalysisId ?? null,
        queue: input.queue ?? null,
      },
      include: withArtifact,
    });
    return { analysis, deduplicated: false, job: jobFor(analysis, input.phases) };
  });
}

/** Newest completed-or-in-flight analysis of an artifact by this analyzer version. */
export async function findReusableAnalysis(db: Db, artifactId: string, analyzerVersion: string): Promise<AnalysisWithArtifact | null> {
  const rows = await db.analysis.findMany({
    where: { artifactId, analyzerVersion, status: { in: ['completed', ...IN_FLIGHT] } },
    orderBy: { createdAt: 'desc' },
    include: withArtifact,
    take: 5,
  });
  // Prefer a finished answer over one still running.
  return rows.find((a) => a.status === 'completed') ?? rows[0] ?? null;
}

/** The queue payload of an analysis, rebuilt from the database (used to re-enqueue lost jobs). */
export function jobFor(a: AnalysisWithArtifact, phases?: PhaseName[]): AnalysisJob {
  return AnalysisJob.parse({
    analysisId: a.id,
    artifact: {
      ecosystem: a.artifact.package.ecosystem,
      name: a.artifact.package.name,
      version: a.artifact.version,
      source: a.artifact.source,
      ...(a.artifact.storedPath ? { storedPath: a.artifact.storedPath } : {}),
      ...(a.artifact.sha256 ? { sha256: a.artifact.sha256 } : {}),
    },
    ...(phases ? { phases } : {}),
    force: a.force,
    ...(a.baselineId ? { baselineAnalysisId: a.baselineId } : {}),
  });
}

export async function getAnalysis(db: Db, id: string): Promise<AnalysisWithArtifact | null> {
  if (!isUuid(id)) return null;
  return db.analysis.findUnique({ where: { id }, include: withArtifact });
}

/** A worker took the job. False when the analysis is already final (cancelled, completed, failed). */
export async function markRunning(db: Db, id: string, attempt: number): Promise<boolean> {
  const { count } = await db.analysis.updateMany({
    where: { id, status: { in: [...IN_FLIGHT] } },
    data: { status: 'running', stage: 'fetch', progress: 0, attempts: attempt, startedAt: new Date(), errorCode: null, errorMessage: null },
  });
  return count > 0;
}

export async function updateStage(db: Db, id: string, stage: Stage, percent: number): Promise<void> {
  await db.analysis.updateMany({
    where: { id, status: 'running' },
    data: { stage, progress: Math.max(0, Math.min(100, Math.round(percent))) },
  });
}

/** Back to the queue: a transient failure that will be retried, or a job handed back at shutdown. */
export async function markRequeued(db: Db, id: string, reason?: { code: ErrorCode; message: string }): Promise<void> {
  await db.analysis.updateMany({
    where: { id, status: 'running' },
    data: {
      status: 'queued',
      stage: 'queued',
      progress: 0,
      ...(reason ? { errorCode: reason.code, errorMessage: reason.message } : {}),
    },
  });
}

/** Final failure of our own making. No-op when the analysis already ended. */
export async function markFailed(db: Db, id: string, code: ErrorCode | string, message: string): Promise<boolean> {
  const { count } = await db.analysis.updateMany({
    where: { id, status: { in: [...IN_FLIGHT] } },
    data: { status: 'failed', stage: 'done', errorCode: code, errorMessage: message.slice(0, 2_000), finishedAt: new Date() },
  });
  return count > 0;
}

export type CancelResult = { found: false } | { found: true; changed: boolean; analysis: AnalysisWithArtifact };

/** Marks an in-flight analysis cancelled; a finished one is left as it is (changed: false). */
export async function markCancelled(db: Db, id: string): Promise<CancelResult> {
  if (!isUuid(id)) return { found: false };
  const { count } = await db.analysis.updateMany({
    where: { id, status: { in: [...IN_FLIGHT] } },
    data: { status: 'cancelled', stage: 'done', errorCode: 'CANCELLED', errorMessage: 'cancelled on request', finishedAt: new Date() },
  });
  const analysis = await getAnalysis(db, id);
  if (!analysis) return { found: false };
  return { found: true, changed: count > 0, analysis };
}

/**
 * Analyses owed a result that are older than `olderThanMs`: after Redis lost its data, these are
 * the jobs to add again (adding is idempotent: the job id is the analysis id).
 */
export async function listInFlight(db: Db, queue: string, olderThanMs: number, limit = 500): Promise<AnalysisWithArtifact[]> {
  return db.analysis.findMany({
    where: { queue, status: { in: [...IN_FLIGHT] }, createdAt: { lt: new Date(Date.now() - olderThanMs) } },
    orderBy: { createdAt: 'asc' },
    include: withArtifact,
    take: limit,
  });
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids are uuids in the database; anything else cannot exist (and would make PostgreSQL throw). */
export function isUuid(id: string): boolean {
  return UUID_RE.test(id);
}

/**
 * Read-only dedup check before any row is written: the analysis that would answer this
 * submission, if one exists (no package or artifact rows are created when there is none).
 */
export async function findExistingAnalysis(db: Db, input: ArtifactInput, analyzerVersion: string): Promise<AnalysisWithArtifact | null> {
  const rows = await db.analysis.findMany({
    where: {
      analyzerVersion,
      status: { in: ['completed', ...IN_FLIGHT] },
      artifact: {
        version: input.version,
        source: input.source,
        package: { ecosystem: input.ecosystem, name: canonicalPackageName(input.ecosystem, input.name) },
        ...(input.source === 'upload' ? { sha256: input.sha256 ?? null } : {}),
      },
    },
    orderBy: { createdAt: 'desc' },
    include: withArtifact,
    take: 5,
  });
  // Prefer a finished answer over one still running (as findReusableAnalysis does).
  return rows.find((a) => a.status === 'completed') ?? rows[0] ?? null;
}

/**
 * The dedup answer as one indexed SQL query returning only what a submission's response needs
 * (id and status): the hot path of resubmissions, e.g. CI re-vetting an unchanged lockfile.
 * Same rule as findExistingAnalysis: completed preferred, then the newest in flight.
 */
export async function findExistingAnalysisRef(
  db: Db,
  input: ArtifactInput,
  analyzerVersion: string,
): Promise<{ id: string; status: 'queued' | 'running' | 'completed' } | null> {
  const sha256 = input.source === 'upload' ? (input.sha256 ?? '') : null;
  const rows = await db.$queryRaw<Array<{ id: string; status: 'queued' | 'running' | 'completed' }>>`
    SELECT a.id::text AS id, a.status::text AS status
      FROM "Analysis" a
      JOIN "Artifact" ar ON ar.id = a."artifactId"
      JOIN "Package" p ON p.id = ar."packageId"
     WHERE p.ecosystem = ${input.ecosystem}::"Ecosystem"
       AND p.name = ${canonicalPackageName(input.ecosystem, input.name)}
       AND ar.version = ${input.version}
       AND ar.source = ${input.source}::"ArtifactSource"
       AND (${sha256}::text IS NULL OR ar.sha256 = ${sha256}::text)
       AND a."analyzerVersion" = ${analyzerVersion}
       AND a.status IN ('completed', 'queued', 'running')
     ORDER BY (a.status = 'completed') DESC, a."createdAt" DESC
     LIMIT 1`;
  return rows[0] ?? null;
}
