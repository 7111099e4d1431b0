import type { PrismaClient } from '@vetbox/db';
import { canonicalPackageName } from '@vetbox/store';
import type { Ecosystem } from '@vetbox/contracts';

export interface OsvId {
  id: string;
  /** When the id was given: the record's `published` time. */
  createdAt: Date;
}

/**
 * vetbox's OSV id for a package version, `VBX-<year>-<n>`: given on the first export (n counts
 * up within the year) and the same for every later export of any analysis of that version.
 * Concurrent first exports are serialized by an advisory lock, so ids are dense and unique.
 */
export async function osvIdFor(prisma: PrismaClient, pkg: { ecosystem: Ecosystem; name: string; version: string }, now = new Date()): Promise<OsvId> {
  const key = { ecosystem: pkg.ecosystem, name: canonicalPackageName(pkg.ecosystem, pkg.name), version: pkg.version };
  const select = { id: true, createdAt: true } as const;
  const found = await prisma.osvRecord.findUnique({ where: { ecosystem_name_version: key }, select });
  if (found) return found;
  return prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext('vetbox:osv-ids'))`;
    const raced = await tx.osvRecord.findUnique({ where: { ecosystem_name_version: key }, select });
    if (raced) return raced;
    const year = now.getUTCFullYear();
    const { _max } = await tx.osvRecord.aggregate({ where: { year }, _max: { seq: true } });
    const seq = (_max.seq ?? 0) + 1;
    return tx.osvRecord.create({ data: { id: `VBX-${year}-${seq}`, year, seq, ...key, createdAt: now }, select });
  });
}
