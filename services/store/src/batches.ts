import { randomUUID } from 'node:crypto';
import { DEFAULT_PHASES, type AnalysisJob, type Ecosystem, type Severity, type Verdict } from '@vetbox/contracts';
import type { Batch, Prisma, PrismaClient } from '@vetbox/db';
import { isUuid } from './analyses.js';
import { canonicalPackageName, dedupKey } from './artifacts.js';
import type { Db } from './db.js';

/** One distinct package version of a batch, located in the submitted file. */
export interface BatchEntryInput {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  line?: number;
}

export interface CreateBatchInput {
  format: string;
  fileName?: string | null;
  /** The validated policy, stored as JSON and applied whenever the batch is read. */
  policy?: unknown;
  baseline?: string | null;
  entries: readonly BatchEntryInput[];
  /** Entries not analysed, with their reasons (stored as given). */
  skipped: readonly unknown[];
  apiKeyId?: string | null;
  analyzerVersion: string;
  /** The queue new analyses are recorded against (recovery re-adds lost jobs there). */
  queue: string;
  priority: number;
  /**
   * Also let an analysed upload made with this API key answer an entry (allowlists:
   * `npm:<name>@<version>` may name an uploaded archive). Only the submitter's own uploads: anyone
   * can upload anything under any name, and another key's upload must not vouch for a name.
   * A registry analysis of the same version is preferred when both exist.
   */
  uploadsBy?: string | null;
  /** Rows per transaction (each holds one advisory lock per row); default 500. */
  chunkSize?: number;
}

export interface CreatedBatch {
  batch: Batch;
  /** Jobs of the analyses this batch created: the caller queues them (enqueueBulk). */
  jobs: AnalysisJob[];
  /** Entries answered by an analysis that already existed (completed or in flight). */
  linked: number;
}

const DEFAULT_CHUNK = 500;

/**
 * Creates a batch and one item per entry, each linked to the analysis that answers it: an
 * existing one (same artifact, same analyzer version, completed or in flight) or a new queued
 * one. Works in chunks with bulk statements, so thousands of entries take a few round trips
 * each; within a chunk the same advisory locks as submitAnalysis serialize concurrent
 * submissions of one artifact, taken in one global order so two batches cannot deadlock.
 * On failure, whatever was written is removed (the batch) or failed (its new analyses).
 */
export async function createBatch(prisma: PrismaClient, input: CreateBatchInput): Promise<CreatedBatch> {
  const batch = await prisma.batch.create({
    data: {
      format: input.format,
      fileName: input.fileName ?? null,
      policy: (input.policy ?? undefined) as Prisma.InputJsonValue | undefined,
      baseline: input.baseline ?? null,
      total: input.entries.length,
      skipped: input.skipped as Prisma.InputJsonValue,
      apiKeyId: input.apiKeyId ?? null,
    },
  });
  const jobs: AnalysisJob[] = [];
  let linked = 0;
  const chunkSize = Math.max(1, input.chunkSize ?? DEFAULT_CHUNK);
  try {
    for (let start = 0; start < input.entries.length; start += chunkSize) {
      const chunk = input.entries.slice(start, start + chunkSize);
      const result = await withDeadlockRetry(() => prisma.$transaction((tx) => addChunk(tx, batch.id, chunk, input), { timeout: 60_000 }));
      jobs.push(...result.jobs);
      linked += result.linked;
    }
  } catch (err) {
    await abandonBatch(prisma, batch.id, jobs.map((j) => j.analysisId), 'DATABASE_UNAVAILABLE', 'the batch could not be stored').catch(() => {});
    throw err;
  }
  return { batch, jobs, linked };
}

/**
 * A chunk is one transaction, so running it again after PostgreSQL aborted it as a deadlock
 * victim is safe (rows are written in a consistent order, so this should stay rare).
 */
async function withDeadlockRetry<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const text = `${(err as { code?: string }).code ?? ''} ${(err as Error).message ?? ''}`;
      if (attempt >= attempts || !/deadlock detected|40P01|P2034/.test(text)) throw err;
      await new Promise((r) => setTimeout(r, 20 * attempt + Math.random() * 50));
    }
  }
}

/**
 * Undoes a batch whose analyses could not be queued: its new analyses are failed (nothing will
 * run them) and the batch row is deleted with its items.
 */
export async function abandonBatch(prisma: PrismaClient, batchId: string, analysisIds: readonly string[], code: string, message: string): Promise<void> {
  if (analysisIds.length > 0) {
    await prisma.analysis.updateMany({
      where: { id: { in: [...analysisIds] }, status: 'queued' },
      data: { status: 'failed', stage: 'done', errorCode: code, errorMessage: message, finishedAt: new Date() },
    });
  }
  await prisma.batch.deleteMany({ where: { id: batchId } });
}

interface Keyed {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  line: number | null;
}

async function addChunk(tx: Prisma.TransactionClient, batchId: string, chunk: readonly BatchEntryInput[], input: CreateBatchInput): Promise<{ jobs: AnalysisJob[]; linked: number }> {
  const entries: Keyed[] = chunk.map((e) => ({ ecosystem: e.ecosystem, name: canonicalPackageName(e.ecosystem, e.name), version: e.version, line: e.line ?? null }));
  const ecosystems = entries.map((e) => e.ecosystem);
  const names = entries.map((e) => e.name);
  const versions = entries.map((e) => e.version);
  const keys = entries.map((e) => dedupKey({ ...e, source: 'registry' }));

  // Same lock key as submitAnalysis (hashtextextended(dedupKey, 0)), acquired in hash order.
  await tx.$queryRaw`
    SELECT count(pg_advisory_xact_lock(h))::int AS n
      FROM (SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest(${keys}::text[]) AS k ORDER BY h) locks`;

  const existing = await tx.$queryRaw<Array<{ i: number; id: string }>>`
    SELECT DISTINCT ON (k.i) k.i::int AS i, a.id::text AS id
      FROM unnest(${ecosystems}::text[], ${names}::text[], ${versions}::text[]) WITH ORDINALITY AS k(eco, name, version, i)
      JOIN "Package" p ON p.ecosystem = k.eco::"Ecosystem" AND p.name = k.name
      JOIN "Artifact" ar ON ar."packageId" = p.id AND ar.version = k.version
      JOIN "Analysis" a ON a."artifactId" = ar.id AND a."analyzerVersion" = ${input.analyzerVersion}
                       AND a.status IN ('completed', 'queued', 'running')
                       AND (ar.source = 'registry' OR a."apiKeyId" = ${input.uploadsBy ?? null}::uuid)
     ORDER BY k.i, (ar.source = 'registry') DESC, (a.status = 'completed') DESC, a."createdAt" DESC`;
  const analysisOf = new Map<number, string>(existing.map((r) => [r.i - 1, r.id]));

  const missing = entries.map((e, index) => ({ ...e, index })).filter((e) => !analysisOf.has(e.index));
  const jobs: AnalysisJob[] = [];
  if (missing.length > 0) {
    const mEco = missing.map((e) => e.ecosystem);
    const mName = missing.map((e) => e.name);
    const mVersion = missing.map((e) => e.version);
    await tx.$executeRaw`
      INSERT INTO "Package" (id, ecosystem, name)
      SELECT gen_random_uuid(), t.eco::"Ecosystem", t.name
        FROM (SELECT DISTINCT eco, name FROM unnest(${mEco}::text[], ${mName}::text[]) AS u(eco, name)) t
       ORDER BY t.eco, t.name
      ON CONFLICT (ecosystem, name) DO NOTHING`;
    // Registry artifacts are identified by package and version (sha256 is learned at fetch time).
    const artifacts = await tx.$queryRaw<Array<{ i: number; id: string | null; packageId: string }>>`
      SELECT k.i::int AS i, p.id::text AS "packageId",
             (SELECT ar.id::text FROM "Artifact" ar
               WHERE ar."packageId" = p.id AND ar.version = k.version AND ar.source = 'registry'
               ORDER BY ar."createdAt" ASC LIMIT 1) AS id
        FROM unnest(${mEco}::text[], ${mName}::text[], ${mVersion}::text[]) WITH ORDINALITY AS k(eco, name, version, i)
        JOIN "Package" p ON p.ecosystem = k.eco::"Ecosystem" AND p.name = k.name`;
    const artifactIds: string[] = new Array(missing.length);
    const newArtifacts: { id: string; packageId: string; version: string }[] = [];
    for (const row of artifacts) {
      const index = row.i - 1;
      if (row.id) artifactIds[index] = row.id;
      else {
        const id = randomUUID();
        artifactIds[index] = id;
        newArtifacts.push({ id, packageId: row.packageId, version: missing[index].version });
      }
    }
    if (newArtifacts.length > 0) {
      await tx.$executeRaw`
        INSERT INTO "Artifact" (id, "packageId", version, source)
        SELECT t.id::uuid, t.pid::uuid, t.version, 'registry'::"ArtifactSource"
          FROM unnest(${newArtifacts.map((a) => a.id)}::text[], ${newArtifacts.map((a) => a.packageId)}::text[], ${newArtifacts.map((a) => a.version)}::text[]) AS t(id, pid, version)`;
    }
    const analysisIds = missing.map(() => randomUUID());
    await tx.$executeRaw`
      INSERT INTO "Analysis" (id, "artifactId", "analyzerVersion", priority, "apiKeyId", queue)
      SELECT t.id::uuid, t.artifact::uuid, ${input.analyzerVersion}, ${input.priority}, ${input.apiKeyId ?? null}::uuid, ${input.queue}
        FROM unnest(${analysisIds}::text[], ${artifactIds}::text[]) AS t(id, artifact)`;
    missing.forEach((e, k) => {
      analysisOf.set(e.index, analysisIds[k]);
      jobs.push({
        analysisId: analysisIds[k],
        artifact: { ecosystem: e.ecosystem, name: e.name, version: e.version, source: 'registry' },
        phases: [...DEFAULT_PHASES],
        force: false,
        ...(input.baseline === 'previous' ? { baseline: 'previous' as const } : {}),
      });
    });
  }

  const itemIds = entries.map(() => randomUUID());
  const lines = entries.map((e) => e.line);
  const itemAnalyses = entries.map((_, index) => analysisOf.get(index) ?? null);
  await tx.$executeRaw`
    INSERT INTO "BatchItem" (id, "batchId", ecosystem, name, version, line, "analysisId")
    SELECT t.id::uuid, ${batchId}::uuid, t.eco::"Ecosystem", t.name, t.version, t.line, t.analysis::uuid
      FROM unnest(${itemIds}::text[], ${ecosystems}::text[], ${names}::text[], ${versions}::text[], ${lines}::int[], ${itemAnalyses}::text[])
           AS t(id, eco, name, version, line, analysis)
    ON CONFLICT ("batchId", ecosystem, name, version) DO NOTHING`;
  return { jobs, linked: entries.length - missing.length };
}

// ---------------------------------------------------------------------------------------------
// Reading

export interface BatchItemRow {
  id: string;
  ecosystem: Ecosystem;
  name: string;
  version: string;
  line: number | null;
  analysisId: string | null;
  /** null when the analysis row is gone. */
  analysisStatus: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | null;
  verdict: Verdict | null;
  /** The stored report says a phase failed (report.incomplete). */
  incomplete: boolean | null;
  errorCode: string | null;
  source: 'registry' | 'upload' | null;
  findings: Array<{ rule: string; severity: Severity; title: string; evidenceHash: string | null }>;
}

export interface BatchState {
  batch: Batch;
  items: BatchItemRow[];
}

export interface BatchCounts {
  total: number;
  /** Items whose analysis ended (completed, failed or cancelled) or is gone. */
  done: number;
}

/** A batch with every item, its analysis status and verdict, and its findings (two queries). */
export async function getBatchState(db: Db, id: string): Promise<BatchState | null> {
  if (!isUuid(id)) return null;
  const batch = await db.batch.findUnique({ where: { id } });
  if (!batch) return null;
  const rows = await db.$queryRaw<Array<Omit<BatchItemRow, 'findings'>>>`
    SELECT bi.id::text AS id, bi.ecosystem::text AS ecosystem, bi.name, bi.version, bi.line, bi."analysisId"::text AS "analysisId",
           a.status::text AS "analysisStatus", a.verdict::text AS verdict, a."errorCode" AS "errorCode", ar.source::text AS source,
           (rep.report->>'incomplete')::boolean AS incomplete
      FROM "BatchItem" bi
      LEFT JOIN "Analysis" a ON a.id = bi."analysisId"
      LEFT JOIN "Artifact" ar ON ar.id = a."artifactId"
      LEFT JOIN "Report" rep ON rep."analysisId" = a.id
     WHERE bi."batchId" = ${id}::uuid
     ORDER BY bi.line ASC NULLS LAST, bi.name ASC, bi.version ASC`;
  const findings = await db.$queryRaw<Array<{ analysisId: string; rule: string; severity: Severity; title: string; evidenceHash: string | null }>>`
    SELECT f."analysisId"::text AS "analysisId", f.rule, f.severity::text AS severity, f.title, f."evidenceHash"
      FROM "Finding" f
     WHERE f."analysisId" IN (SELECT bi."analysisId" FROM "BatchItem" bi WHERE bi."batchId" = ${id}::uuid AND bi."analysisId" IS NOT NULL)`;
  const byAnalysis = new Map<string, BatchItemRow['findings']>();
  for (const f of findings) {
    let list = byAnalysis.get(f.analysisId);
    if (!list) byAnalysis.set(f.analysisId, (list = []));
    list.push({ rule: f.rule, severity: f.severity, title: f.title, evidenceHash: f.evidenceHash });
  }
  return { batch, items: rows.map((r) => ({ ...r, findings: (r.analysisId && byAnalysis.get(r.analysisId)) || [] })) };
}

/** Progress in one query: how many items there are and how many have an ended analysis. */
export async function getBatchCounts(db: Db, id: string): Promise<BatchCounts | null> {
  if (!isUuid(id)) return null;
  const rows = await db.$queryRaw<Array<{ total: number; done: number }>>`
    SELECT count(*)::int AS total,
           count(*) FILTER (WHERE a.id IS NULL OR a.status IN ('completed', 'failed', 'cancelled'))::int AS done
      FROM "BatchItem" bi LEFT JOIN "Analysis" a ON a.id = bi."analysisId"
     WHERE bi."batchId" = ${id}::uuid`;
  return rows[0] ?? { total: 0, done: 0 };
}

/** Records that every item's analysis ended (once; later calls change nothing). */
export async function markBatchFinished(db: Db, id: string): Promise<void> {
  await db.batch.updateMany({ where: { id, finishedAt: null }, data: { status: 'completed', finishedAt: new Date() } });
}

/** Analysis ids of a batch (what its SSE stream listens for). */
export async function batchAnalysisIds(db: Db, id: string): Promise<string[]> {
  const rows = await db.batchItem.findMany({ where: { batchId: id, analysisId: { not: null } }, select: { analysisId: true } });
  return rows.map((r) => r.analysisId as string);
}
