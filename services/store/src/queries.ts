import type { AnalysisList, AnalysisSummary, Ecosystem, ListAnalysesQuery, PackageVersions, TopFinding } from '@vetbox/contracts';
import { SEVERITY_ORDER } from '@vetbox/contracts';
import type { Prisma } from '@vetbox/db';
import { withArtifact, type AnalysisWithArtifact } from './analyses.js';
import { canonicalPackageName } from './artifacts.js';
import type { Db } from './db.js';

const TOP_FINDINGS = 5;

export function analysisLinks(id: string): Record<string, string> {
  const self = `/v1/analyses/${id}`;
  return { self, report: `${self}/report`, events: `${self}/events` };
}

/** The API's view of an analysis (contracts `AnalysisSummary`). */
export function toSummary(a: AnalysisWithArtifact, topFindings: TopFinding[] = []): AnalysisSummary {
  return {
    id: a.id,
    status: a.status,
    stage: a.stage,
    progress: a.progress,
    verdict: a.verdict,
    score: a.score,
    summary: a.summary,
    analyzerVersion: a.analyzerVersion,
    package: {
      ecosystem: a.artifact.package.ecosystem,
      name: a.artifact.package.name,
      version: a.artifact.version,
      source: a.artifact.source,
      sha256: a.artifact.sha256,
    },
    createdAt: a.createdAt.toISOString(),
    startedAt: a.startedAt?.toISOString() ?? null,
    finishedAt: a.finishedAt?.toISOString() ?? null,
    timings: (a.timings as Record<string, number> | null) ?? null,
    attempts: a.attempts,
    error: a.errorCode && a.status !== 'completed' ? { code: a.errorCode, message: a.errorMessage ?? '' } : null,
    topFindings,
    links: analysisLinks(a.id),
  };
}

/** Most severe findings first, a few per analysis, for lists. */
export async function topFindingsFor(db: Db, analysisIds: string[]): Promise<Map<string, TopFinding[]>> {
  const out = new Map<string, TopFinding[]>();
  if (analysisIds.length === 0) return out;
  const rows = await db.finding.findMany({
    where: { analysisId: { in: analysisIds }, severity: { not: 'info' } },
    select: { analysisId: true, rule: true, severity: true, title: true },
  });
  for (const r of rows) {
    const list = out.get(r.analysisId) ?? [];
    list.push({ rule: r.rule, severity: r.severity, title: r.title });
    out.set(r.analysisId, list);
  }
  for (const [id, list] of out) {
    list.sort((x, y) => SEVERITY_ORDER.indexOf(x.severity) - SEVERITY_ORDER.indexOf(y.severity));
    out.set(id, list.slice(0, TOP_FINDINGS));
  }
  return out;
}

export async function getAnalysisSummary(db: Db, a: AnalysisWithArtifact): Promise<AnalysisSummary> {
  const top = await topFindingsFor(db, [a.id]);
  return toSummary(a, top.get(a.id) ?? []);
}

interface Cursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.createdAt.toISOString(), c.id])).toString('base64url');
}

/** Null when the cursor is not one we issued. */
export function decodeCursor(raw: string): Cursor | null {
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || typeof value[1] !== 'string') return null;
    const createdAt = new Date(value[0]);
    if (Number.isNaN(createdAt.getTime()) || !/^[0-9a-f-]{36}$/i.test(value[1])) return null;
    return { createdAt, id: value[1] };
  } catch {
    return null;
  }
}

/** Newest first, keyset-paginated on (createdAt, id) so pages stay stable while rows arrive. */
export async function listAnalyses(db: Db, q: ListAnalysesQuery, cursor: Cursor | null): Promise<AnalysisList> {
  const where: Prisma.AnalysisWhereInput = {
    ...(q.status ? { status: q.status } : {}),
    ...(q.verdict ? { verdict: q.verdict } : {}),
    ...(q.since ? { createdAt: { gte: new Date(q.since) } } : {}),
    ...(q.rule ? { findings: { some: { rule: q.rule } } } : {}),
    ...(q.ecosystem || q.name || q.version
      ? {
          artifact: {
            ...(q.version ? { version: q.version } : {}),
            ...(q.ecosystem || q.name
              ? {
                  package: {
                    ...(q.ecosystem ? { ecosystem: q.ecosystem } : {}),
                    // Without an ecosystem, either spelling may be stored: match both.
                    ...(q.name ? (q.ecosystem ? { name: canonicalPackageName(q.ecosystem, q.name) } : { name: { in: [...new Set([q.name, canonicalPackageName('pypi', q.name)])] } }) : {}),
                  },
                }
              : {}),
          },
        }
      : {}),
  };
  // Search by part of the name: PyPI names are stored canonical, so `-`/`_`/`.` all match either.
  const search: Prisma.AnalysisWhereInput = q.q
    ? {
        OR: [...new Set([q.q, canonicalPackageName('pypi', q.q)])].map((part) => ({
          artifact: { package: { name: { contains: part, mode: 'insensitive' as const } } },
        })),
      }
    : {};
  const page: Prisma.AnalysisWhereInput = cursor
    ? { OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }] }
    : {};
  const rows = await db.analysis.findMany({
    where: { AND: [where, search, page] },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: q.limit + 1,
    include: withArtifact,
  });
  const items = rows.slice(0, q.limit);
  const top = await topFindingsFor(db, items.map((a) => a.id));
  const last = items[items.length - 1];
  return {
    items: items.map((a) => toSummary(a, top.get(a.id) ?? [])),
    nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null,
  };
}

/** Every analyzed version of a package, newest analysis first, with its latest verdict. */
export async function packageVersions(db: Db, ecosystem: Ecosystem, name: string): Promise<PackageVersions | null> {
  const pkg = await db.package.findUnique({ where: { ecosystem_name: { ecosystem, name: canonicalPackageName(ecosystem, name) } } });
  if (!pkg) return null;
  const rows = await db.analysis.findMany({
    where: { artifact: { packageId: pkg.id } },
    orderBy: { createdAt: 'desc' },
    include: { artifact: { select: { version: true } } },
    take: 1_000,
  });
  const seen = new Set<string>();
  const versions: PackageVersions['versions'] = [];
  for (const a of rows) {
    if (seen.has(a.artifact.version)) continue;
    seen.add(a.artifact.version);
    versions.push({
      version: a.artifact.version,
      analysisId: a.id,
      status: a.status,
      verdict: a.verdict,
      score: a.score,
      createdAt: a.createdAt.toISOString(),
    });
  }
  return { ecosystem, name: pkg.name, versions };
}
