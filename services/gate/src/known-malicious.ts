import type { Ecosystem } from '@vetbox/contracts';

/** One listing of a version as malicious by an outside source (an OSV `MAL-` advisory, an intel feed). */
export interface KnownMalicious {
  /** Who lists it: `osv`, `ossf-malicious-packages`, a feed name. */
  source: string;
  /** The listing's id (`MAL-2025-1234`). */
  id: string;
  summary: string;
  url?: string;
}

/** `*` lists every version of the package (most malicious-package advisories do). */
export const ALL_VERSIONS = '*';

/**
 * The hook through which known-malicious lists (#19) reach the gate: asked once per package
 * whenever the gate rebuilds that package's decisions; a version it lists is never served,
 * whatever its analysis says and whatever an admin approved. Keys are exact versions or `*`.
 */
export interface KnownMaliciousSource {
  listed(ecosystem: Ecosystem, name: string, signal?: AbortSignal): Promise<ReadonlyMap<string, KnownMalicious>>;
}

/** Until a list is imported, nothing is known malicious. */
export const NO_KNOWN_MALICIOUS: KnownMaliciousSource = { listed: async () => new Map() };

export function knownMaliciousFor(listing: ReadonlyMap<string, KnownMalicious>, version: string): KnownMalicious | null {
  return listing.get(version) ?? listing.get(ALL_VERSIONS) ?? null;
}
