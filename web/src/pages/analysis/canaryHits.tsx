import type { Report } from '@vetbox/contracts';

/** Which network rows (`dns-3`, `http-0`, ...) carried which canaries, for tagging those rows. */
export function canaryHitsByIndex(report: Report) {
  const hits = new Map<string, string[]>();
  report.canaries.forEach((c) =>
    c.evidence.forEach((e) => {
      if (e.index === undefined) return;
      const k = `${e.channel === 'dns' ? 'dns' : e.channel === 'http' || e.channel === 'https' ? 'http' : 'connection'}-${e.index}`;
      // The planted variable or path tells two canaries of one kind apart (AWS_ACCESS_KEY_ID vs AWS_SECRET_ACCESS_KEY).
      hits.set(k, [...(hits.get(k) ?? []), `${c.kind} ${c.planted} (${e.encoding})`]);
    }),
  );
  return hits;
}

export function CanaryTag({ hits }: { hits?: string[] }) {
  if (!hits?.length) return null;
  return (
    <span className="canary-hit" data-testid="canary-hit">
      canary: {hits.join(', ')}
    </span>
  );
}
