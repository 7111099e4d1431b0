import { useMemo, useState, type ReactNode } from 'react';
import type { Report } from '@vetbox/contracts';
import { getDomain } from 'tldts';
import { Empty, Section } from '../../components/ui';
import { CanaryTag, canaryHitsByIndex } from './canaryHits';
import { RowLink, useRevealRows } from './links';

/** Rows a destination shows before "show all": a package making hundreds of lookups stays readable. */
const ROWS_PER_DESTINATION = 5;

/** Where a lookup or connection went, for grouping: the registrable domain, else the name or address. */
function destinationOf(host: string | undefined | null, address?: string): string {
  if (host) return getDomain(host, { allowPrivateDomains: true }) ?? host;
  return address ?? 'unknown';
}

interface Group {
  destination: string;
  rows: number[];
  hit: boolean;
}

/** Row indexes grouped by destination: groups with canary hits first, then the busiest. */
function groupRows(destinations: string[], hasHit: (i: number) => boolean): Group[] {
  const groups = new Map<string, Group>();
  destinations.forEach((destination, i) => {
    const g = groups.get(destination) ?? { destination, rows: [], hit: false };
    g.rows.push(i);
    g.hit ||= hasHit(i);
    groups.set(destination, g);
  });
  return [...groups.values()].sort((a, b) => Number(b.hit) - Number(a.hit) || b.rows.length - a.rows.length || a.destination.localeCompare(b.destination));
}

/** The rows of a group on screen: all when expanded, else the first few plus every row with a hit. */
function visibleRows(g: Group, expanded: boolean, hasHit: (i: number) => boolean): number[] {
  if (expanded || g.rows.length <= ROWS_PER_DESTINATION) return g.rows;
  return g.rows.filter((i, n) => n < ROWS_PER_DESTINATION || hasHit(i));
}

/** Which destinations are expanded; a link to a hidden lookup or connection expands them all. */
function useExpanded() {
  const [open, setOpen] = useState<Set<string>>(new Set());
  // A shared link to one lookup or connection opens with every row on the page.
  const [all, setAll] = useState(() => /^#(dns|connection)-\d+$/.test(window.location.hash));
  useRevealRows('dns-', () => setAll(true));
  useRevealRows('connection-', () => setAll(true));
  return {
    isOpen: (key: string) => all || open.has(key),
    toggle: (key: string) => setOpen((prev) => new Set(prev).add(key)),
  };
}

function ShowAll({ group, shown, onClick }: { group: Group; shown: number; onClick: () => void }): ReactNode {
  if (shown >= group.rows.length) return null;
  return (
    <button type="button" className="link" data-testid="network-show-all" onClick={onClick}>
      show all {group.rows.length} for {group.destination} ({group.rows.length - shown} more)
    </button>
  );
}

/** The HTTP requests the sinkhole parsed on each connection (same phase, destination and, when known, pid). */
function httpByConnection(report: Report): Map<number, number[]> {
  const net = report.behavior.network;
  const out = new Map<number, number[]>();
  net.http.forEach((h, hi) => {
    if (!h.destination) return;
    const ci = net.connections.findIndex(
      (c) =>
        c.phase === h.phase &&
        c.address === h.destination!.address &&
        c.port === h.destination!.port &&
        (h.pid === undefined || c.pid === h.pid),
    );
    if (ci >= 0) out.set(ci, [...(out.get(ci) ?? []), hi]);
  });
  return out;
}

/** One connection: where it went, what it sent, the requests parsed on it and the canaries it carried. */
function ConnectionRow({ net, i, requests, carried }: { net: Report['behavior']['network']; i: number; requests: number[]; carried: string[] }) {
  const c = net.connections[i]!;
  return (
    <tr id={`connection-${i}`} className={carried.length ? 'hit' : ''} data-testid="connection-row">
      <td data-label="Phase">{c.phase}</td>
      <td data-label="PID">{c.pid}</td>
      <td data-label="Proto">{c.protocol}</td>
      <td data-label="Destination">
        <code>
          {c.hostname ? `${c.hostname} → ` : ''}
          {c.address}
          {c.port !== null ? `:${c.port}` : ''}
        </code>
      </td>
      <td data-label="Result">{c.result}</td>
      <td data-label="Sent" data-testid="connection-sent">
        {c.sent ? <code className="preview">{c.sent.slice(0, 200)}</code> : null}
        {/* The sinkhole parsed HTTP on this connection: no raw preview, but the byte count and the request. */}
        {c.sentBytes !== undefined && (!c.sent || c.sentBytes > c.sent.length) ? <span> {c.sentBytes} bytes</span> : null}
        {!c.sent && c.sentBytes === undefined ? '—' : null}
        {requests.map((hi) => (
          <span key={hi}>
            {' '}
            <RowLink href={`#http-${hi}`}>{`${net.http[hi]!.method} ${net.http[hi]!.path}`}</RowLink>
          </span>
        ))}{' '}
        <CanaryTag hits={carried.length ? carried : undefined} />
      </td>
    </tr>
  );
}

export function Network({ report }: { report: Report }) {
  const net = report.behavior.network;
  const hits = useMemo(() => canaryHitsByIndex(report), [report]);
  const httpOn = useMemo(() => httpByConnection(report), [report]);
  const total = net.dns.length + net.connections.length + net.http.length + net.tls.length;
  const expanded = useExpanded();
  const carriedHits = (i: number) => [...(hits.get(`connection-${i}`) ?? []), ...(httpOn.get(i) ?? []).flatMap((hi) => hits.get(`http-${hi}`) ?? [])];
  const carriesHit = (i: number) => carriedHits(i).length > 0;
  const dnsGroups = useMemo(() => groupRows(net.dns.map((d) => destinationOf(d.name)), (i) => hits.has(`dns-${i}`)), [net, hits]);
  const connectionGroups = useMemo(
    () => groupRows(net.connections.map((c) => destinationOf(c.hostname, c.address)), carriesHit),
    // carriesHit reads only hits and httpOn.
    [net, hits, httpOn],
  );
  return (
    <Section id="network" title="Network" count={total}>
      {total === 0 && <Empty>No network activity.</Empty>}
      {net.dns.length > 0 && (
        <>
          <h3>DNS lookups</h3>
          {dnsGroups.map((g) => {
            const rows = visibleRows(g, expanded.isOpen(`dns:${g.destination}`), (i) => hits.has(`dns-${i}`));
            return (
              <div key={g.destination} className="network-group" data-testid="dns-group">
                <h4>
                  <code>{g.destination}</code> <span className="count">{g.rows.length}</span>
                </h4>
                <ul className="mono-list">
                  {rows.map((i) => {
                    const d = net.dns[i]!;
                    return (
                      <li key={i} id={`dns-${i}`} className={hits.has(`dns-${i}`) ? 'hit' : ''}>
                        <span className="muted">{d.phase}</span> {d.type} <code>{d.name}</code> <CanaryTag hits={hits.get(`dns-${i}`)} />
                      </li>
                    );
                  })}
                </ul>
                <ShowAll group={g} shown={rows.length} onClick={() => expanded.toggle(`dns:${g.destination}`)} />
              </div>
            );
          })}
        </>
      )}
      {net.connections.length > 0 && (
        <>
          <h3>Connections</h3>
          <div className="table-wrap">
            <table className="stack">
              <thead>
                <tr>
                  <th scope="col">Phase</th>
                  <th scope="col">PID</th>
                  <th scope="col">Proto</th>
                  <th scope="col">Destination</th>
                  <th scope="col">Result</th>
                  <th scope="col">Sent</th>
                </tr>
              </thead>
              {connectionGroups.map((g) => {
                const rows = visibleRows(g, expanded.isOpen(`connection:${g.destination}`), carriesHit);
                return (
                  <tbody key={g.destination} data-testid="connection-group">
                    <tr className="group-head">
                      <th scope="rowgroup" colSpan={6}>
                        <code>{g.destination}</code> <span className="count">{g.rows.length}</span>
                      </th>
                    </tr>
                    {rows.map((i) => (
                      <ConnectionRow key={i} net={net} i={i} requests={httpOn.get(i) ?? []} carried={carriedHits(i)} />
                    ))}
                    {rows.length < g.rows.length && (
                      <tr className="group-more">
                        <td colSpan={6}>
                          <ShowAll group={g} shown={rows.length} onClick={() => expanded.toggle(`connection:${g.destination}`)} />
                        </td>
                      </tr>
                    )}
                  </tbody>
                );
              })}
            </table>
          </div>
        </>
      )}
      {net.http.length > 0 && (
        <>
          <h3>HTTP and decrypted HTTPS requests</h3>
          <ul className="requests">
            {net.http.map((h, i) => (
              <li key={i} id={`http-${i}`} className={hits.has(`http-${i}`) ? 'hit' : ''}>
                <p>
                  <span className="badge">{h.tls ? 'HTTPS' : 'HTTP'}</span> <code>{`${h.method} ${h.host}${h.path}`}</code> <CanaryTag hits={hits.get(`http-${i}`)} />
                </p>
                <details>
                  <summary>Headers and body</summary>
                  <pre>{Object.entries(h.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}</pre>
                  {h.bodyPreview && <pre className="preview">{h.bodyPreview}</pre>}
                </details>
              </li>
            ))}
          </ul>
        </>
      )}
      {net.tls.length > 0 && (
        <>
          <h3>TLS handshakes</h3>
          <ul className="mono-list">
            {net.tls.map((t, i) => (
              <li key={i} id={`tls-${i}`}>
                <span className="muted">{t.phase}</span> SNI <code>{t.sni}</code>
              </li>
            ))}
          </ul>
        </>
      )}
    </Section>
  );
}
