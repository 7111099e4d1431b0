import type { Ecosystem } from '@vetbox/contracts';

/** One listing of a version as malicious by an outside source (an OSV `MAL-` record, an intel feed). */
export interface KnownMalicious {
  /** Who lists it: the imported list's name (`ossf-malicious-packages`, a feed). */
  source: string;
  /** The listing's id (`MAL-2025-1234`). */
  id: string;
  summary: string;
  url?: string;
}

/** Which versions of one package a list names (exact versions or ranges: the source decides). */
export type KnownMaliciousMatcher = (version: string) => KnownMalicious | null;

/**
 * The hook through which known-malicious lists (#19) reach the gate: asked once per package
 * whenever the gate rebuilds that package's decisions; a version it names is never served,
 * whatever its analysis says and whatever an admin approved (`decideVersion`).
 */
export interface KnownMaliciousSource {
  listed(ecosystem: Ecosystem, name: string): Promise<KnownMaliciousMatcher>;
}

/** Until a list is imported, nothing is known malicious. */
export const NO_KNOWN_MALICIOUS: KnownMaliciousSource = { listed: async () => () => null };
