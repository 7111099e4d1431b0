// OSV MAL- records shaped like ossf/malicious-packages entries, for made-up package names.

export function malRecord(id: string, ecosystem: 'npm' | 'PyPI', name: string, listing: { versions?: string[]; ranges?: unknown[] }, extra: Record<string, unknown> = {}) {
  return {
    modified: '2026-11-02T08:00:00Z',
    published: '2026-11-01T08:00:00Z',
    schema_version: '1.5.0',
    id,
    summary: `Malicious code in ${name} (${ecosystem})`,
    details: '\n---\n_-= Per source details. Do not edit below this line.=-_\n',
    affected: [{ package: { ecosystem, name }, ...listing, database_specific: { cwes: [{ cweId: 'CWE-506', name: 'Embedded Malicious Code' }] } }],
    database_specific: { 'malicious-packages-origins': [{ source: 'ghsa-malware', sha256: 'a'.repeat(64), import_time: '2026-11-02T08:00:00Z' }] },
    ...extra,
  };
}

/** Every version from the first: how ossf/malicious-packages lists a package that was malicious from the start. */
export const ALL_VERSIONS = [{ type: 'SEMVER', events: [{ introduced: '0' }] }];
