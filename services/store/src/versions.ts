import type { AnalysisStatus, Ecosystem } from '@vetbox/contracts';
import { withArtifact, type AnalysisWithArtifact } from './analyses.js';
import { canonicalPackageName, type ArtifactInput } from './artifacts.js';
import type { Db } from './db.js';

/**
 * One analysis per analyzed version of a package — completed preferred, then the newest — among
 * analyses in `statuses`. What "the previous analyzed version" (diffs, upload baselines) picks from.
 */
export async function analysesByVersion(
  db: Db,
  ecosystem: Ecosystem,
  name: string,
  statuses: readonly AnalysisStatus[],
): Promise<Map<string, AnalysisWithArtifact>> {
  const rows = await db.analysis.findMany({
    where: { status: { in: [...statuses] }, artifact: { package: { ecosystem, name: canonicalPackageName(ecosystem, name) } } },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    include: withArtifact,
    take: 5_000,
  });
  const byVersion = new Map<string, AnalysisWithArtifact>();
  for (const a of rows) {
    const kept = byVersion.get(a.artifact.version);
    if (!kept || (kept.status !== 'completed' && a.status === 'completed')) byVersion.set(a.artifact.version, a);
  }
  return byVersion;
}

/** The submission input that analyzes an existing artifact again (or finds its analysis). */
export function artifactInputOf(a: AnalysisWithArtifact): ArtifactInput {
  return {
    ecosystem: a.artifact.package.ecosystem,
    name: a.artifact.package.name,
    version: a.artifact.version,
    source: a.artifact.source,
    ...(a.artifact.sha256 ? { sha256: a.artifact.sha256 } : {}),
    ...(a.artifact.size !== null && a.artifact.size !== undefined ? { size: a.artifact.size } : {}),
    ...(a.artifact.storedPath ? { storedPath: a.artifact.storedPath } : {}),
  };
}
