import type { Ecosystem } from '@vetbox/contracts';
import { versionOrders } from '@vetbox/fetch';
import type { ListedPackage, OsvRange, RangeEvent } from './record.js';

/**
 * Whether a listed package covers `version`: named exactly in `versions`, or inside one of its
 * SEMVER/ECOSYSTEM ranges (OSV's evaluation: events in version order, `introduced` opens,
 * `fixed` and past `last_affected` close; `introduced: "0"` means every version). A version
 * the ecosystem's ordering cannot read matches only by exact name.
 */
export function listsVersion(listed: Pick<ListedPackage, 'ecosystem' | 'versions' | 'ranges'>, version: string): boolean {
  if (listed.versions.includes(version)) return true;
  return listed.ranges.some((r) => inRange(listed.ecosystem, r, version));
}

function inRange(ecosystem: Ecosystem, range: OsvRange, version: string): boolean {
  const compare = comparator(ecosystem);
  if (compare(version, version) === undefined) return false;
  const point = (e: RangeEvent) => e.introduced ?? e.fixed ?? e.last_affected ?? e.limit ?? '0';
  const events = [...range.events].sort((a, b) => {
    const pa = point(a);
    const pb = point(b);
    if (pa === '0' || pb === '0') return pa === pb ? 0 : pa === '0' ? -1 : 1;
    return compare(pa, pb) ?? 0;
  });
  let affected = false;
  for (const e of events) {
    if (e.introduced !== undefined) {
      if (e.introduced === '0' || (compare(version, e.introduced) ?? -1) >= 0) affected = true;
    } else if (e.fixed !== undefined) {
      if ((compare(version, e.fixed) ?? -1) >= 0) affected = false;
    } else if (e.last_affected !== undefined) {
      if ((compare(version, e.last_affected) ?? -1) > 0) affected = false;
    }
  }
  return affected;
}

/** The ecosystem's ordering, answering undefined (not a throw) for versions it cannot read. */
function comparator(ecosystem: Ecosystem): (a: string, b: string) => number | undefined {
  const order = versionOrders[ecosystem];
  return (a, b) => {
    try {
      const n = order.compare(a, b);
      return Number.isFinite(n) ? n : undefined;
    } catch {
      return undefined;
    }
  };
}
