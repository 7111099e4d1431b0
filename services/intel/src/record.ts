import { z } from 'zod';
import type { Ecosystem } from '@vetbox/contracts';
import { canonicalPackageName } from '@vetbox/store';

/**
 * The parts of an OSV record (schema 1.x) that a known-malicious list needs. Unknown fields are
 * kept in the stored JSON but not read; a record that lacks these is not a record.
 */
const RangeEvent = z
  .object({ introduced: z.string(), fixed: z.string(), last_affected: z.string(), limit: z.string() })
  .partial();
export type RangeEvent = z.infer<typeof RangeEvent>;

export const OsvRange = z.object({
  type: z.string(),
  events: z.array(RangeEvent).min(1),
});
export type OsvRange = z.infer<typeof OsvRange>;

const Affected = z.object({
  package: z.object({ ecosystem: z.string(), name: z.string().min(1) }).optional(),
  versions: z.array(z.string()).optional(),
  ranges: z.array(OsvRange).optional(),
});

const Timestamp = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not an RFC 3339 time');

export const IntelOsvRecord = z.object({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*-[A-Za-z0-9._:-]+$/, 'not an OSV id'),
  modified: Timestamp,
  published: Timestamp.optional(),
  withdrawn: Timestamp.optional(),
  aliases: z.array(z.string()).optional(),
  summary: z.string().optional(),
  details: z.string().optional(),
  affected: z.array(Affected).optional(),
});
export type IntelOsvRecord = z.infer<typeof IntelOsvRecord>;

/** OSV ecosystem names (case as the spec writes them) → vetbox's. Others are not ours to match. */
const ECOSYSTEMS: Record<string, Ecosystem> = { npm: 'npm', PyPI: 'pypi' };

/** What one record lists for one package, ready to store and match. */
export interface ListedPackage {
  ecosystem: Ecosystem;
  /** Canonical (PyPI: PEP 503). */
  name: string;
  versions: string[];
  ranges: OsvRange[];
}

/**
 * The npm and PyPI packages a record lists. An ecosystem suffix (`npm:...`) is ignored; a record
 * for another ecosystem lists nothing here.
 */
export function listedPackages(record: IntelOsvRecord): ListedPackage[] {
  const byKey = new Map<string, ListedPackage>();
  for (const a of record.affected ?? []) {
    const ecosystem = a.package ? ECOSYSTEMS[a.package.ecosystem.split(':')[0]!] : undefined;
    if (!ecosystem || !a.package) continue;
    const name = canonicalPackageName(ecosystem, a.package.name);
    const key = `${ecosystem}\u0000${name}`;
    const entry = byKey.get(key) ?? { ecosystem, name, versions: [], ranges: [] };
    entry.versions.push(...(a.versions ?? []));
    entry.ranges.push(...(a.ranges ?? []).filter((r) => r.type === 'SEMVER' || r.type === 'ECOSYSTEM'));
    byKey.set(key, entry);
  }
  return [...byKey.values()].filter((p) => p.versions.length > 0 || p.ranges.length > 0);
}
