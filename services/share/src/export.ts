import { Report, type AnalysisIndicators, type Verdict } from '@vetbox/contracts';
import type { Prisma, PrismaClient } from '@vetbox/db';
import { osvIdFor } from './ids.js';
import { extractIndicators } from './indicators.js';
import { buildOsvRecord, type OsvLinks, type OsvRecord } from './osv.js';

/** Which stored analyses a bulk export covers: finished in [since, until), of one batch, with these verdicts. */
export interface ExportRange {
  since?: Date;
  until?: Date;
  batchId?: string;
  verdicts?: Verdict[];
}

export interface StoredReport {
  analysisId: string;
  /** When the analysis finished, or its report was last rescored: the export's `modified`. */
  modified: Date;
  report: Report;
}

/**
 * Completed analyses in the range, oldest first, a page at a time (keyset on finishedAt, id) so
 * an export of months of analyses never holds them all. Reports that no longer parse are skipped.
 */
export async function* storedReports(prisma: PrismaClient, range: ExportRange, pageSize = 100): AsyncGenerator<StoredReport> {
  const where: Prisma.AnalysisWhereInput = {
    status: 'completed',
    report: { isNot: null },
    finishedAt: { ...(range.since ? { gte: range.since } : {}), ...(range.until ? { lt: range.until } : {}), not: null },
    ...(range.verdicts ? { verdict: { in: range.verdicts } } : {}),
    ...(range.batchId ? { batchItems: { some: { batchId: range.batchId } } } : {}),
  };
  let after: { finishedAt: Date; id: string } | undefined;
  for (;;) {
    const rows = await prisma.analysis.findMany({
      where: after ? { AND: [where, { OR: [{ finishedAt: { gt: after.finishedAt } }, { finishedAt: after.finishedAt, id: { gt: after.id } }] }] } : where,
      orderBy: [{ finishedAt: 'asc' }, { id: 'asc' }],
      take: pageSize,
      select: { id: true, finishedAt: true, report: { select: { report: true, updatedAt: true } } },
    });
    for (const row of rows) {
      const parsed = row.report ? Report.safeParse(row.report.report) : undefined;
      if (!parsed?.success) continue;
      yield { analysisId: row.id, modified: latest(row.finishedAt!, row.report!.updatedAt), report: parsed.data };
    }
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1]!;
    after = { finishedAt: last.finishedAt!, id: last.id };
  }
}

/** One stored analysis (completed, with a report), or null. */
export async function storedReport(prisma: PrismaClient, analysisId: string): Promise<StoredReport | null> {
  const row = await prisma.analysis.findUnique({
    where: { id: analysisId },
    select: { id: true, status: true, finishedAt: true, report: { select: { report: true, updatedAt: true } } },
  });
  if (!row || row.status !== 'completed' || !row.report) return null;
  return { analysisId: row.id, modified: latest(row.finishedAt ?? row.report.updatedAt, row.report.updatedAt), report: Report.parse(row.report.report) };
}

function latest(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b;
}

export function analysisIndicators(stored: StoredReport): AnalysisIndicators {
  const { report } = stored;
  return {
    analysisId: stored.analysisId,
    package: { ecosystem: report.package.ecosystem, name: report.package.name, version: report.package.version },
    verdict: report.verdict,
    indicators: extractIndicators(report),
  };
}

/** The OSV record of a stored malicious or suspicious analysis, under its version's stable VBX id. */
export async function osvRecordOf(prisma: PrismaClient, stored: StoredReport, links: OsvLinks): Promise<OsvRecord> {
  const { id, createdAt } = await osvIdFor(prisma, stored.report.package);
  return buildOsvRecord({ id, published: createdAt, modified: latest(stored.modified, createdAt), analysisId: stored.analysisId, report: stored.report, links });
}
