import { useMemo } from 'react';
import type { Report } from '@vetbox/contracts';
import { Empty, Section } from '../../components/ui';
import { CanaryTag, canaryHitsByIndex } from './canaryHits';
import { RowLink } from './links';

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

export function Network({ report }: { report: Report }) {
  const net = report.behavior.network;
  const hits = useMemo(() => canaryHitsByIndex(report), [report]);
  const httpOn = useMemo(() => httpByConnection(report), [report]);
  const total = net.dns.length + net.connections.length + net.http.length + net.tls.length;
  return (
    <Section id="network" title="Network" count={total}>
      {total === 0 && <Empty>No network activity.</Empty>}
      {net.dns.length > 0 && (
        <>
          <h3>DNS lookups</h3>
          <ul className="mono-list">
            {net.dns.map((d, i) => (
              <li key={i} id={`dns-${i}`} className={hits.has(`dns-${i}`) ? 'hit' : ''}>
                <span className="muted">{d.phase}</span> {d.type} <code>{d.name}</code> <CanaryTag hits={hits.get(`dns-${i}`)} />
              </li>
            ))}
          </ul>
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
              <tbody>
                {net.connections.map((c, i) => {
                  const requests = httpOn.get(i) ?? [];
                  const carried = [...(hits.get(`connection-${i}`) ?? []), ...requests.flatMap((hi) => hits.get(`http-${hi}`) ?? [])];
                  return (
                    <tr key={i} id={`connection-${i}`} className={carried.length ? 'hit' : ''} data-testid="connection-row">
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
                })}
              </tbody>
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
