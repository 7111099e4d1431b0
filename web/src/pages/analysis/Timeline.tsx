import type { Report } from '@vetbox/contracts';
import { Empty, Section, formatMs } from '../../components/ui';
import { canaryHitsByIndex } from './canaryHits';
import { CREDENTIAL_PATH, RowLink } from './links';

type TimelineItem = { t: number; phase: string; text: string; href: string; hit?: boolean };

export function Timeline({ report }: { report: Report }) {
  const items: TimelineItem[] = [];
  const net = report.behavior.network;
  const hits = canaryHitsByIndex(report);
  report.behavior.processes.forEach((p, i) => {
    if (!p.housekeeping) items.push({ t: p.startMs, phase: p.phase, text: `process ${p.pid}: ${p.argv.join(' ')}`, href: `#process-${i}` });
  });
  report.behavior.files.forEach((f, i) => {
    if (f.tMs === undefined) return;
    // Reads are too many to list, except reads of credential stores: those are the theft.
    if (f.op === 'read' && !CREDENTIAL_PATH.test(f.path)) return;
    items.push({ t: f.tMs, phase: f.phase, text: `${f.op} ${f.path}`, href: `#file-${i}`, hit: CREDENTIAL_PATH.test(f.path) });
  });
  net.dns.forEach((d, i) => {
    if (d.tMs !== undefined) items.push({ t: d.tMs, phase: d.phase, text: `DNS ${d.name}`, href: `#dns-${i}`, hit: hits.has(`dns-${i}`) });
  });
  net.connections.forEach((c, i) => {
    if (c.tMs !== undefined) items.push({ t: c.tMs, phase: c.phase, text: `${c.protocol} ${c.hostname ?? c.address}:${c.port}`, href: `#connection-${i}` });
  });
  // HTTP requests and TLS handshakes carry no time of their own: they happen on a connection,
  // so they take its time (just after it), or a canary leak's time, or else close their phase.
  const connectionTime = (phase: string, dest?: { address: string; port: number }, pid?: number): number | undefined =>
    dest
      ? net.connections.find((c) => c.phase === phase && c.address === dest.address && c.port === dest.port && (pid === undefined || c.pid === pid))?.tMs
      : undefined;
  const leakTime = new Map<string, number>();
  report.canaries.forEach((c) =>
    c.evidence.forEach((e) => {
      if (e.index !== undefined && e.tMs !== undefined && (e.channel === 'http' || e.channel === 'https')) leakTime.set(`http-${e.index}`, e.tMs);
    }),
  );
  net.http.forEach((h, i) => {
    const t = connectionTime(h.phase, h.destination, h.pid) ?? leakTime.get(`http-${i}`);
    const tags = hits.get(`http-${i}`);
    items.push({
      t: t === undefined ? Number.MAX_SAFE_INTEGER : t + 0.5,
      phase: h.phase,
      text: `${h.tls ? 'HTTPS' : 'HTTP'} ${h.method} ${h.host}${h.path}${tags ? ` · canary: ${tags.join(', ')}` : ''}`,
      href: `#http-${i}`,
      hit: Boolean(tags),
    });
  });
  net.tls.forEach((tl, i) => {
    const t = connectionTime(tl.phase, tl.destination, tl.pid);
    items.push({ t: t === undefined ? Number.MAX_SAFE_INTEGER : t + 0.25, phase: tl.phase, text: `TLS SNI ${tl.sni}`, href: `#tls-${i}` });
  });
  items.sort((a, b) => a.t - b.t);
  const phases = [...new Set(items.map((i) => i.phase))];
  return (
    <Section id="timeline" title="Timeline" count={items.length}>
      {items.length === 0 ? (
        <Empty>No timed events.</Empty>
      ) : (
        phases.map((phase) => {
          const own = items.filter((i) => i.phase === phase);
          const t0 = own[0]?.t ?? 0;
          const last = own.filter((i) => i.t !== Number.MAX_SAFE_INTEGER).at(-1)?.t ?? t0;
          return (
            <div key={phase}>
              <h3>{phase}</h3>
              <ol className="timeline">
                {own.slice(0, 500).map((item, k) => (
                  <li key={k} className={item.hit ? 'hit' : ''} data-testid="timeline-item">
                    <span className="muted">+{formatMs((item.t === Number.MAX_SAFE_INTEGER ? last : item.t) - t0)}</span>{' '}
                    <RowLink href={item.href}>{item.text}</RowLink>
                  </li>
                ))}
              </ol>
            </div>
          );
        })
      )}
    </Section>
  );
}
