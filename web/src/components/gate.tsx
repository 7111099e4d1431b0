/** A registry decision (allowed, approved, malicious, suspicious, failed, queued, running, unvetted, cooldown). */
export function GateStateBadge({ state }: { state: string }) {
  return (
    <span className={`badge gate-${state}`} data-testid="gate-state">
      {state === 'unvetted' ? 'not analyzed' : state}
    </span>
  );
}

export function whyPath(ecosystem: string, name: string, version: string): string {
  return `/registry/why/${ecosystem}/${name.split('/').map(encodeURIComponent).join('/')}/${encodeURIComponent(version)}`;
}
