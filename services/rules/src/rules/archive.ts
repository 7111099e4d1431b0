import type { ArchiveQuirk, PackageRef } from '@vetbox/contracts';
import type { Draft } from '../context.js';

/**
 * Static, from what fetch saw while reading the package as its installer does: archive-quirk (a
 * path twice in the archive) and manifest-confusion (registry metadata hiding the install scripts
 * the tarball runs, or adding dependencies it does not name), one finding per mismatch.
 */
export function archiveQuirks(pkg: PackageRef): Draft[] {
  const quirks = pkg.archiveQuirks ?? [];
  return [...duplicateEntries(quirks.filter((q) => q.kind === 'duplicate-entry')), ...quirks.filter((q) => q.kind === 'manifest-confusion').map(manifestConfusion)];
}

function duplicateEntries(quirks: ArchiveQuirk[]): Draft[] {
  if (quirks.length === 0) return [];
  return [
    {
      rule: 'archive-quirk',
      severity: 'medium',
      phase: null,
      title: quirks.length === 1 ? `The archive holds ${quirks[0].path} twice` : `The archive holds ${quirks.length} paths twice`,
      detail: quirks.length === 1 ? `${quirks[0].detail}.` : `${quirks.slice(0, 5).map((q) => q.path).join(', ')}${quirks.length > 5 ? ', ...' : ''}.`,
      evidence: quirks.map((q) => evidenceOf(q)),
    },
  ];
}

function manifestConfusion(quirk: ArchiveQuirk): Draft {
  return {
    rule: 'manifest-confusion',
    severity: 'high',
    phase: null,
    title: quirk.path.endsWith('#dependencies') ? 'The registry metadata adds dependencies the package does not declare' : 'The registry metadata hides the install scripts the tarball runs',
    detail: `${quirk.detail[0].toUpperCase()}${quirk.detail.slice(1)}.`,
    evidence: [evidenceOf(quirk)],
  };
}

function evidenceOf(q: ArchiveQuirk) {
  return { kind: 'package' as const, summary: q.detail, key: `archive-quirk:${q.kind}:${q.path}` };
}
