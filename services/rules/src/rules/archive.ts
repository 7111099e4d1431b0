import type { PackageRef } from '@vetbox/contracts';
import type { Draft } from '../context.js';

/** archive-quirk: static, from what fetch saw while reading the archive as the installer does. */
export function archiveQuirks(pkg: PackageRef): Draft[] {
  const quirks = pkg.archiveQuirks ?? [];
  if (quirks.length === 0) return [];
  return [
    {
      rule: 'archive-quirk',
      severity: 'medium',
      phase: null,
      title: quirks.length === 1 ? `The archive holds ${quirks[0].path} twice` : `The archive holds ${quirks.length} paths twice`,
      detail: quirks.length === 1 ? `${quirks[0].detail}.` : `${quirks.slice(0, 5).map((q) => q.path).join(', ')}${quirks.length > 5 ? ', ...' : ''}.`,
      evidence: quirks.map((q) => ({ kind: 'package' as const, summary: q.detail, key: `archive-quirk:${q.kind}:${q.path}` })),
    },
  ];
}
