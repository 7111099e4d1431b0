import { Report, type CanaryReport, type Finding, type IncompletePhase, type KnownMaliciousRef, type RawEvidence, type SinkholeCapture, type Verdict } from '@vetbox/contracts';
import type { Prisma, PrismaClient } from '@vetbox/db';
import type { Db } from './db.js';
import { saveRawArtifacts, storedCapture } from './raw.js';
import { isUuid } from './analyses.js';
import { canonicalPackageName } from './artifacts.js';

export interface CompleteInput {
  report: Report;
  raw: RawEvidence[];
  retentionDays: number;
  /** Stage durations and totals, in milliseconds. */
  timings?: Record<string, number>;
}

/**
 * Storing or rescoring a report writes it, its findings and (storing) the raw evidence in one
 * transaction: Prisma's default 5 s expired for a large install's report on a loaded machine.
 */
const REPORT_TRANSACTION = { timeout: 60_000 };

function findingRows(analysisId: string, findings: Finding[]): Prisma.FindingCreateManyInput[] {
  return findings.map((f) => ({
    analysisId,
    rule: f.rule,
    severity: f.severity,
    title: f.title,
    phase: f.phase,
    evidenceHash: f.evidenceHash ?? null,
  }));
}

/**
 * Stores a finished analysis in one transaction: status, verdict and score, the report, its
 * findings (one row each, for queries by rule) and the raw evidence. Safe to run twice (rows are
 * replaced). Returns false, storing nothing, when the analysis is no longer running (it was
 * cancelled while the sandbox ran).
 */
export async function completeAnalysis(prisma: PrismaClient, analysisId: string, input: CompleteInput): Promise<boolean> {
  const report = Report.parse({ ...input.report, analysisId });
  return prisma.$transaction(
    async (tx) => {
      const current = await tx.analysis.findUnique({
        where: { id: analysisId },
        select: { status: true, createdAt: true, startedAt: true, artifactId: true },
      });
      if (!current || current.status !== 'running') return false;
      const finishedAt = new Date();
      // Queue wait and end-to-end time complete the stage timings the worker measured.
      const timings = {
        ...(input.timings ?? {}),
        ...(current.startedAt ? { queuedMs: current.startedAt.getTime() - current.createdAt.getTime() } : {}),
        totalMs: finishedAt.getTime() - current.createdAt.getTime(),
      };
      const { count } = await tx.analysis.updateMany({
        where: { id: analysisId, status: 'running' },
        data: {
          status: 'completed',
          stage: 'done',
          progress: 100,
          verdict: report.verdict,
          score: report.score,
          summary: report.summary ?? null,
          finishedAt,
          errorCode: null,
          errorMessage: null,
          timings,
        },
      });
      if (count === 0) return false;
      const json = report as unknown as Prisma.InputJsonValue;
      await tx.report.upsert({ where: { analysisId }, create: { analysisId, report: json }, update: { report: json } });
      await tx.finding.deleteMany({ where: { analysisId } });
      if (report.findings.length > 0) await tx.finding.createMany({ data: findingRows(analysisId, report.findings) });
      await saveRawArtifacts(tx, analysisId, input.raw, input.retentionDays);
      // Registry releases learn their sha256 and size at fetch time; record them once.
      await tx.artifact.updateMany({
        where: { id: current.artifactId, sha256: null },
        data: { sha256: report.package.sha256, ...(report.package.size !== undefined ? { size: report.package.size } : {}) },
      });
      return true;
    },
    REPORT_TRANSACTION,
  );
}

export async function getReport(db: Db, analysisId: string): Promise<Report | null> {
  if (!isUuid(analysisId)) return null;
  const row = await db.report.findUnique({ where: { analysisId } });
  return row ? (row.report as unknown as Report) : null;
}

/** The report of the newest completed analysis of a package version. */
export async function latestReportFor(
  db: Db,
  ecosystem: 'npm' | 'pypi',
  name: string,
  version: string,
): Promise<{ analysisId: string; report: Report } | null> {
  const analysis = await db.analysis.findFirst({
    where: { status: 'completed', artifact: { version, package: { ecosystem, name: canonicalPackageName(ecosystem, name) } }, report: { isNot: null } },
    orderBy: [{ finishedAt: 'desc' }, { createdAt: 'desc' }],
    select: { id: true, report: { select: { report: true } } },
  });
  if (!analysis?.report) return null;
  return { analysisId: analysis.id, report: analysis.report.report as unknown as Report };
}

export interface Rescored {
  verdict: Verdict;
  score: number;
  findings: Finding[];
  summary?: string;
  /** Judged again from the stored phases (absent: keep what the report has). */
  incomplete?: boolean;
  incompletePhases?: IncompletePhase[];
  /** The known-malicious records that list the version now (undefined: none). */
  knownMalicious?: KnownMaliciousRef[];
  /** Canary reports searched again from the stored capture (identity, environment), when they were. */
  canaries?: CanaryReport[];
}

/** What a rescore can use besides the report: the analysis's stored raw evidence. */
export interface RescoreEvidence {
  /** The sinkhole capture, when its raw evidence is kept and still readable. */
  capture?: SinkholeCapture;
}

export interface RescoreSummary {
  scanned: number;
  changed: number;
  /** Stored reports that no longer parse against the contract (left untouched). */
  invalid: number;
}

/**
 * Re-runs the rules over stored behavior (no sandbox): `evaluate` gets each stored report (and its
 * stored sinkhole capture, when kept) and returns the new verdict, score and findings. Changed reports, their analyses' verdict and score,
 * and their findings rows are updated. Pages through reports by analysis id.
 */
export async function rescoreAll(
  prisma: PrismaClient,
  evaluate: (report: Report, evidence: RescoreEvidence) => Rescored | Promise<Rescored>,
  options: { batchSize?: number; onProgress?: (s: RescoreSummary) => void } = {},
): Promise<RescoreSummary> {
  const summary: RescoreSummary = { scanned: 0, changed: 0, invalid: 0 };
  const take = options.batchSize ?? 100;
  let cursor: string | undefined;
  for (;;) {
    const rows = await prisma.report.findMany({
      take,
      ...(cursor ? { skip: 1, cursor: { analysisId: cursor } } : {}),
      orderBy: { analysisId: 'asc' },
    });
    if (rows.length === 0) break;
    cursor = rows[rows.length - 1].analysisId;
    for (const row of rows) {
      summary.scanned += 1;
      const parsed = Report.safeParse(row.report);
      if (!parsed.success) {
        summary.invalid += 1;
        continue;
      }
      const capture = await storedCapture(prisma, row.analysisId);
      const next = await evaluate(parsed.data, capture ? { capture } : {});
      if (!differs(parsed.data, next)) continue;
      await saveRescored(prisma, row.analysisId, parsed.data, next);
      summary.changed += 1;
    }
    options.onProgress?.({ ...summary });
  }
  return summary;
}

function differs(report: Report, next: Rescored): boolean {
  return (
    report.verdict !== next.verdict ||
    report.score !== next.score ||
    (next.summary !== undefined && report.summary !== next.summary) ||
    (next.incomplete !== undefined && Boolean(report.incomplete) !== next.incomplete) ||
    JSON.stringify(report.findings) !== JSON.stringify(next.findings) ||
    JSON.stringify(report.knownMalicious ?? []) !== JSON.stringify(next.knownMalicious ?? []) ||
    (next.canaries !== undefined && JSON.stringify(report.canaries) !== JSON.stringify(next.canaries))
  );
}

async function saveRescored(prisma: PrismaClient, analysisId: string, report: Report, next: Rescored): Promise<void> {
  const { knownMalicious: _was, ...rest } = report;
  const updated = Report.parse({
    ...rest,
    ...(next.knownMalicious && next.knownMalicious.length > 0 ? { knownMalicious: next.knownMalicious } : {}),
    verdict: next.verdict,
    score: next.score,
    findings: next.findings,
    ...(next.summary !== undefined ? { summary: next.summary } : {}),
    ...(next.canaries !== undefined ? { canaries: next.canaries } : {}),
    ...(next.incomplete !== undefined ? { incomplete: next.incomplete, incompletePhases: next.incompletePhases } : {}),
  });
  // The report is rewritten whole (megabytes for a large install's trace): as in completeAnalysis,
  // Prisma's default 5 s for the transaction is too short on a loaded machine.
  await prisma.$transaction(
    async (tx) => {
      await tx.report.update({ where: { analysisId }, data: { report: updated as unknown as Prisma.InputJsonValue } });
      await tx.analysis.update({
        where: { id: analysisId },
        data: { verdict: updated.verdict, score: updated.score, summary: updated.summary ?? null },
      });
      await tx.finding.deleteMany({ where: { analysisId } });
      if (updated.findings.length > 0) await tx.finding.createMany({ data: findingRows(analysisId, updated.findings) });
    },
    REPORT_TRANSACTION,
  );
}

/**
 * The stored report as JSON text, straight from PostgreSQL: the hot read path skips parsing the
 * JSONB into objects and serializing it again.
 */
export async function getReportJson(db: Db, analysisId: string): Promise<string | null> {
  if (!isUuid(analysisId)) return null;
  const rows = await db.$queryRaw<Array<{ report: string }>>`SELECT report::text AS report FROM "Report" WHERE "analysisId" = ${analysisId}::uuid`;
  return rows[0]?.report ?? null;
}
