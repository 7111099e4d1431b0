import type { Ecosystem } from '@vetbox/contracts';
import type { PrismaClient } from '@vetbox/db';
import type { KnownMaliciousSource } from '@vetbox/gate';
import { listsVersion, type OsvRange } from '@vetbox/intel';
import { canonicalPackageName } from '@vetbox/store';

/**
 * The known-malicious lists imported with `vetbox intel import` (#19, @vetbox/intel): the
 * records (not withdrawn) naming a package, matched per version by their exact versions and
 * OSV ranges. One query per package rebuild.
 */
export function intelKnownMalicious(prisma: PrismaClient): KnownMaliciousSource {
  return {
    async listed(ecosystem: Ecosystem, name: string) {
      const rows = await prisma.intelPackage.findMany({
        where: { ecosystem, name: canonicalPackageName(ecosystem, name), record: { withdrawn: null } },
        include: { record: { include: { source: true } } },
        orderBy: { recordId: 'asc' },
      });
      if (rows.length === 0) return () => null;
      return (version: string) => {
        const row = rows.find((r) => listsVersion({ ecosystem, versions: r.versions, ranges: r.ranges as unknown as OsvRange[] }, version));
        return row ? { source: row.record.source.name, id: row.record.id, summary: row.record.summary ?? '' } : null;
      };
    },
  };
}
