import type { AnalysisStatus, Ecosystem } from '@vetbox/contracts';
import type { PrismaClient } from '@vetbox/db';
import { pickPrevious, versionOrders, type VersionOrder } from '@vetbox/fetch';
import { analysesByVersion, type AnalysisWithArtifact } from '@vetbox/store';

/** Uploads may carry any version string; only ones the ecosystem can order take part. */
function orderable(order: VersionOrder, v: string): boolean {
  try {
    return order.compare(v, v) === 0;
  } catch {
    return false;
  }
}

export type PreviousAnalyzed =
  | { kind: 'found'; analysis: AnalysisWithArtifact }
  | { kind: 'none' }
  /** The version itself cannot be ordered (not semver / not PEP 440). */
  | { kind: 'unordered' };

/**
 * The analysis of the highest analyzed version below `version` (a stable one when `version` is
 * stable, as `previousVersion` picks registry releases), among analyses in `statuses`.
 */
export async function previousAnalyzed(
  prisma: PrismaClient,
  ecosystem: Ecosystem,
  name: string,
  version: string,
  statuses: readonly AnalysisStatus[],
): Promise<PreviousAnalyzed> {
  const order = versionOrders[ecosystem];
  if (!orderable(order, version)) return { kind: 'unordered' };
  const byVersion = await analysesByVersion(prisma, ecosystem, name, statuses);
  const versions = [...byVersion.keys()].filter((v) => orderable(order, v));
  const previous = pickPrevious(versions, version, order);
  const analysis = previous === null ? undefined : byVersion.get(previous);
  return analysis ? { kind: 'found', analysis } : { kind: 'none' };
}
