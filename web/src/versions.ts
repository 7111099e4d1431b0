/**
 * Orders package versions the way a reader expects, for npm (semver) and PyPI (PEP 440) alike,
 * without a full parser: the numeric release segments compare as numbers; at an equal release a
 * pre-release (1.0.0-beta.1, 1.0rc1, 1.0a2, 1.0.dev0) sorts before the release and a post-release
 * (1.0.post1) after it. Returns < 0 when a is older than b.
 */
export function compareVersions(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < Math.max(pa.release.length, pb.release.length); i++) {
    const d = (pa.release[i] ?? 0) - (pb.release[i] ?? 0);
    if (d !== 0) return d;
  }
  if (pa.rank !== pb.rank) return pa.rank - pb.rank;
  return pa.rest.localeCompare(pb.rest, 'en', { numeric: true });
}

function parse(v: string): { release: number[]; rank: number; rest: string } {
  const m = /^v?(\d+(?:\.\d+)*)(.*)$/i.exec(v.trim());
  if (!m) return { release: [], rank: 0, rest: v };
  const rest = m[2]!.replace(/^[-_.+]/, '').toLowerCase();
  // -1: pre-release, 0: the release itself, 1: post-release (or semver build metadata).
  const rank = rest === '' ? 0 : /^(post|rev|r\d)/.test(rest) || m[2]!.startsWith('+') ? 1 : -1;
  return { release: m[1]!.split('.').map(Number), rank, rest };
}
