import { useEffect, useMemo, useState, type MouseEvent, type ReactElement, type ReactNode } from 'react';
import type { EvidenceRef, ProcessEntry, Report } from '@vetbox/contracts';
import { api, downloadJson, type AnalysisDiff, type AnalysisSummary } from '../api';
import { useLoad } from '../hooks';
import { Link } from '../router';
import { DiffList, Empty, ErrorNote, ProgressBar, Section, SeverityBadge, Skeleton, VerdictBadge, formatMs, formatTime, type DiffChange } from '../components/ui';

const SEVERITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
const CREDENTIAL_PATH =
  /\/(\.ssh|\.aws|\.npmrc|\.pypirc|\.git-credentials|\.config\/gh|\.docker\/config\.json|\.kube|\.gnupg|\.mozilla|\.config\/(google-chrome|chromium|BraveSoftware)|\.bitcoin|\.ethereum|\.electrum|Exodus)|\/etc\/shadow|\/\.env$/;

const ANCHOR: Record<EvidenceRef['kind'], string> = {
  process: 'process',
  file: 'file',
  fileChange: 'change',
  dns: 'dns',
  connection: 'connection',
  http: 'http',
  tls: 'tls',
  canary: 'canary',
  package: 'package',
  diff: 'diff',
};

function evidenceHref(ref: EvidenceRef): string | null {
  // A diff entry is a row of the baseline section (stored reports judged before rows were
  // numbered have no index: the section); package facts have no row of their own.
  if (ref.kind === 'diff' && ref.index === undefined) return '#baseline';
  if (ref.kind === 'package') return null;
  return ref.index === undefined ? null : `#${ANCHOR[ref.kind]}-${ref.index}`;
}

/** Fired with a row id when a link points at a row a filter hides; the filter owner reveals it. */
const REVEAL_EVENT = 'vetbox:reveal';

/** Scrolls to the row and makes it the :target (highlighted, below the sticky section menu). */
function goTo(id: string): void {
  const el = document.getElementById(id);
  if (!el) return;
  if (window.location.hash === `#${id}`) el.scrollIntoView({ block: 'start' });
  else window.location.hash = id;
}

/**
 * The owner of a filter that can hide rows whose ids start with `prefix`: when a link asks for
 * such a row, `show` undoes the filter and the row is scrolled to once it renders.
 */
function useRevealRows(prefix: string, show: () => void): void {
  const [reveal, setReveal] = useState<string>();
  useEffect(() => {
    const onReveal = (e: Event) => {
      const id = (e as CustomEvent<string>).detail;
      if (!id.startsWith(prefix)) return;
      show();
      setReveal(id);
    };
    window.addEventListener(REVEAL_EVENT, onReveal);
    return () => window.removeEventListener(REVEAL_EVENT, onReveal);
    // `show` only calls state setters, which React keeps stable.
  }, [prefix]);
  useEffect(() => {
    if (!reveal) return;
    goTo(reveal);
    setReveal(undefined);
  }, [reveal]);
}

/** An in-report link to a row; a row hidden by a filter is revealed first instead of doing nothing. */
function RowLink({ href, children }: { href: string; children: ReactNode }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    const id = href.slice(1);
    if (document.getElementById(id)) return;
    e.preventDefault();
    window.dispatchEvent(new CustomEvent(REVEAL_EVENT, { detail: id }));
  };
  return (
    <a href={href} onClick={onClick}>
      {children}
    </a>
  );
}

function Banner({ analysis, report }: { analysis: AnalysisSummary; report?: Report }) {
  const verdict = report?.verdict ?? analysis.verdict;
  return (
    <header className={`banner banner-${verdict ?? analysis.status}`} data-testid="verdict-banner">
      <div>
        <p className="muted">
          <Link href={`/packages/${analysis.package.ecosystem}/${encodeURIComponent(analysis.package.name)}`}>
            {analysis.package.ecosystem}:{analysis.package.name}
          </Link>{' '}
          @ {analysis.package.version}
          {analysis.package.source === 'upload' ? ' (upload)' : ''}
        </p>
        <h1>
          <VerdictBadge verdict={verdict} status={analysis.status} />
          {report ? <span className="score">score {report.score}/100</span> : null}
        </h1>
        <p className="reason" data-testid="verdict-reason">
          {report?.summary ?? analysis.summary ?? waitingText(analysis.waitingFor) ?? analysis.error?.message ?? (analysis.status === 'completed' ? '' : `Analysis ${analysis.status}.`)}
        </p>
      </div>
      {report && (
        <button type="button" onClick={() => void downloadJson(`/v1/analyses/${analysis.id}/report`, `vetbox-${analysis.package.name}-${analysis.package.version}.json`)}>
          Download raw JSON
        </button>
      )}
    </header>
  );
}

function Findings({ report }: { report: Report }) {
  const findings = [...report.findings].sort((a, b) => (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9));
  return (
    <Section id="findings" title="Findings" count={findings.length}>
      {findings.length === 0 ? (
        <Empty>No findings: nothing this package did matched a rule.</Empty>
      ) : (
        <ol className="findings">
          {findings.map((f, i) => (
            <li key={`${f.rule}-${i}`} className={`finding sev-border-${f.severity}`} data-testid="finding">
              <h3>
                <SeverityBadge severity={f.severity} /> {f.title} <code className="rule">{f.rule}</code>
                {f.phase ? <span className="muted"> · {f.phase}</span> : null}
              </h3>
              <p>{f.explanation}</p>
              {f.evidence.length > 0 && (
                <ul className="evidence">
                  {f.evidence.map((ev, j) => {
                    const href = evidenceHref(ev);
                    return <li key={j}>{href ? <RowLink href={href}>{ev.summary}</RowLink> : ev.summary}</li>;
                  })}
                </ul>
              )}
            </li>
          ))}
        </ol>
      )}
    </Section>
  );
}

const DIFF_ORDER = ['hosts', 'processes', 'files', 'canaries', 'findings'] as const;

/** What this version does that its baseline (the version before it) did not, stored in the report. */
function BaselineDiff({ report }: { report: Report }) {
  const b = report.baseline;
  if (!b) return null;
  const changes: DiffChange[] = [
    ...DIFF_ORDER.flatMap((c) => b.added[c].map((e) => ({ ...e, change: 'added' as const }))),
    ...DIFF_ORDER.flatMap((c) => b.removed[c].map((e) => ({ ...e, change: 'removed' as const }))),
  ];
  return (
    <Section id="baseline" title={`Compared with ${b.version}`} count={changes.length} unit={changes.length === 1 ? 'change' : 'changes'}>
      <p className="muted">
        {b.analysisId ? <Link href={`/analyses/${b.analysisId}`}>The analysis of {b.version}</Link> : `Version ${b.version}`} is the baseline: + is behavior this
        version added, − behavior it dropped.
      </p>
      {changes.length === 0 ? <Empty>No behavior change since {b.version}.</Empty> : <DiffList changes={changes} idPrefix="diff" />}
    </Section>
  );
}

/** No baseline in the report: compare on demand with the previous analyzed version (`against=previous`). */
function ComparePrevious({ id }: { id: string }) {
  const [diff, setDiff] = useState<AnalysisDiff>();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setDiff(await api.diff(id, 'previous'));
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section id="baseline" title={diff ? `Compared with ${diff.base.version}` : 'Compared with the previous version'} count={diff?.changes.length} unit={diff?.changes.length === 1 ? 'change' : 'changes'}>
      {!diff && (
        <button type="button" className="secondary" onClick={() => void run()} disabled={busy}>
          {busy ? 'Comparing…' : 'Compare with the previous analyzed version'}
        </button>
      )}
      <ErrorNote error={error} />
      {diff &&
        (diff.empty ? (
          <Empty>No behavior change since {diff.base.version}.</Empty>
        ) : (
          <>
            <p className="muted">
              <Link href={`/analyses/${diff.base.id}`}>The analysis of {diff.base.version}</Link> is the baseline: + is behavior this version added, − behavior it
              dropped.
            </p>
            <DiffList changes={diff.changes} />
          </>
        ))}
    </Section>
  );
}

function ProcessTree({ report }: { report: Report }) {
  const [showHousekeeping, setShowHousekeeping] = useState(false);
  // A link to a housekeeping process: show housekeeping, then go to the row once it renders.
  useRevealRows('process-', () => setShowHousekeeping(true));
  const procs = report.behavior.processes;
  const indexOf = new Map(procs.map((p, i) => [p, i]));
  const visible = procs.filter((p) => showHousekeeping || !p.housekeeping);
  const byParent = new Map<string, ProcessEntry[]>();
  const key = (phase: string, pid: number | null) => `${phase}:${pid}`;
  const visiblePids = new Set(visible.map((p) => key(p.phase, p.pid)));
  for (const p of visible) {
    const parent = p.ppid !== null && visiblePids.has(key(p.phase, p.ppid)) ? key(p.phase, p.ppid) : `${p.phase}:root`;
    const list = byParent.get(parent) ?? [];
    list.push(p);
    byParent.set(parent, list);
  }
  const render = (parent: string, depth: number): ReactElement[] =>
    (byParent.get(parent) ?? []).flatMap((p) => [
      <li key={`${p.phase}-${p.pid}-${p.startMs}`} id={`process-${indexOf.get(p)}`} style={{ paddingLeft: `${depth * 1.25}rem` }} className={p.outlived ? 'outlived' : ''}>
        <span className="pid">{p.pid}</span> <code className="argv">{p.argv.join(' ') || p.exe || '(no exec)'}</code>{' '}
        <span className="muted">
          {p.exit ? (p.exit.signal ? `killed by ${p.exit.signal}` : `exit ${p.exit.code}`) : p.outlived ? 'still running after the phase' : ''}
        </span>
      </li>,
      ...render(key(p.phase, p.pid), depth + 1),
    ]);
  const phases = [...new Set(procs.map((p) => p.phase))];
  return (
    <Section id="processes" title="Processes" count={visible.length}>
      <label className="inline">
        <input type="checkbox" checked={showHousekeeping} onChange={(e) => setShowHousekeeping(e.target.checked)} /> Show package-manager housekeeping
      </label>
      {visible.length === 0 ? (
        <Empty>No processes besides the package manager.</Empty>
      ) : (
        phases.map((phase) => (
          <div key={phase}>
            <h3>{phase}</h3>
            <ul className="tree">{render(`${phase}:root`, 0)}</ul>
          </div>
        ))
      )}
    </Section>
  );
}

function canaryHitsByIndex(report: Report) {
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

function CanaryTag({ hits }: { hits?: string[] }) {
  if (!hits?.length) return null;
  return (
    <span className="canary-hit" data-testid="canary-hit">
      canary: {hits.join(', ')}
    </span>
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

function Network({ report }: { report: Report }) {
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

function Canaries({ report }: { report: Report }) {
  return (
    <Section id="canaries" title="Planted credentials" count={report.canaries.length}>
      {report.canaries.length === 0 ? (
        <Empty>No canaries in this report.</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Canary</th>
                <th scope="col">Planted at</th>
                <th scope="col">Read</th>
                <th scope="col">Leaked</th>
              </tr>
            </thead>
            <tbody>
              {report.canaries.map((c, i) => (
                <tr key={i} id={`canary-${i}`} className={c.leaked ? 'hit' : ''} data-testid={c.leaked ? 'canary-leaked' : undefined}>
                  <td>{c.kind}</td>
                  <td>
                    <code>{c.planted}</code>
                  </td>
                  <td>{c.read === null ? 'n/a' : c.read ? 'yes' : 'no'}</td>
                  <td>{c.leaked ? c.evidence.map((e) => `${e.channel} to ${e.destination} (${e.encoding})`).join('; ') : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}

/** Accesses grouped by operation (reads, writes, execs, ...), credential paths first in each group. */
function groupByOp<T extends { op: string; path: string }>(files: T[]): Array<[string, T[]]> {
  const groups = new Map<string, T[]>();
  for (const f of files) groups.set(f.op, [...(groups.get(f.op) ?? []), f]);
  const credentialFirst = (a: T, b: T) => Number(CREDENTIAL_PATH.test(b.path)) - Number(CREDENTIAL_PATH.test(a.path));
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([op, list]) => [op, [...list].sort(credentialFirst)]);
}

function Files({ report }: { report: Report }) {
  const [filter, setFilter] = useState('');
  const [op, setOp] = useState('');
  const [credOnly, setCredOnly] = useState(false);
  const files = report.behavior.files.map((f, i) => ({ ...f, i }));
  const shown = files.filter(
    (f) => (!filter || f.path.includes(filter)) && (!op || f.op === op) && (!credOnly || CREDENTIAL_PATH.test(f.path)),
  );
  const ops = [...new Set(files.map((f) => f.op))].sort();
  // A link to a file row the filters hide: clear the filters, then go to the row once it renders.
  useRevealRows('file-', () => {
    setFilter('');
    setOp('');
    setCredOnly(false);
  });
  const changes = report.behavior.fileChanges;
  return (
    <>
      <Section id="files" title="File accesses" count={files.length}>
        <div className="filters">
          <label>
            Path contains
            <input value={filter} onChange={(e) => setFilter(e.target.value)} />
          </label>
          <label>
            Operation
            <select value={op} onChange={(e) => setOp(e.target.value)}>
              <option value="">any</option>
              {ops.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
          </label>
          <label className="inline">
            <input type="checkbox" checked={credOnly} onChange={(e) => setCredOnly(e.target.checked)} /> Credential paths only
          </label>
        </div>
        {shown.length === 0 ? (
          <Empty>No file accesses match.</Empty>
        ) : (
          groupByOp(shown.slice(0, 2000)).map(([groupOp, group]) => (
            <div key={groupOp} data-testid="file-group">
              <h3>
                {groupOp} <span className="count">{group.length}</span>
              </h3>
              <ul className="mono-list files">
                {group.map((f) => (
                  <li key={f.i} id={`file-${f.i}`} className={CREDENTIAL_PATH.test(f.path) ? 'credential' : ''}>
                    <span className="op">{f.op}</span> <code>{f.path}</code>
                    {f.target ? (
                      <>
                        {' '}
                        → <code>{f.target}</code>
                      </>
                    ) : null}{' '}
                    <span className="muted">
                      {f.phase} · pid {f.pid} · {f.result}
                      {f.count && f.count > 1 ? ` · ×${f.count}` : ''}
                    </span>
                  </li>
                ))}
              </ul>
            </div>
          ))
        )}
      </Section>
      <Section id="changes" title="Filesystem changes" count={changes.length}>
        {changes.length === 0 ? (
          <Empty>The package left the filesystem unchanged outside its install.</Empty>
        ) : (
          <ul className="mono-list">
            {changes.map((c, i) => (
              <li key={i} id={`change-${i}`} className={CREDENTIAL_PATH.test(c.path) ? 'credential' : ''}>
                <span className="op">{c.kind}</span> <code>{c.path}</code> <span className="muted">{c.phase}</span>
                {c.sha256 ? <span className="muted"> sha256 {c.sha256.slice(0, 16)}…</span> : null}
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}

type TimelineItem = { t: number; phase: string; text: string; href: string; hit?: boolean };

function Timeline({ report }: { report: Report }) {
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

function Phases({ report }: { report: Report }) {
  return (
    <Section id="phases" title="Phases and output" count={report.phases.length}>
      {report.phases.map((p) => (
        <div key={p.name} className="phase">
          <h3>
            {p.name} <span className={`badge status-${p.status}`}>{p.status}</span>{' '}
            <span className="muted">
              exit {p.exitCode ?? '—'} · {formatMs(p.durationMs)}
              {p.reason ? ` · ${p.reason}` : ''}
            </span>
          </h3>
          <details>
            <summary>stdout</summary>
            <pre>{p.stdoutTail || '(empty)'}</pre>
          </details>
          <details>
            <summary>stderr</summary>
            <pre>{p.stderrTail || '(empty)'}</pre>
          </details>
        </div>
      ))}
    </Section>
  );
}

export function AnalysisPage({ id }: { id: string }) {
  const analysis = useLoad(() => api.getAnalysis(id), [id], (a) => (a && (a.status === 'queued' || a.status === 'running') ? 1000 : null));
  const done = analysis.data?.status === 'completed';
  const report = useLoad(() => (done ? api.getReport(id) : Promise.resolve(undefined)), [id, done]);

  if (analysis.error) return <ErrorNote error={analysis.error} />;
  if (!analysis.data) return <Skeleton rows={8} />;
  const a = analysis.data;
  const running = a.status === 'queued' || a.status === 'running';
  const r = report.data;
  return (
    <>
      <Banner analysis={a} report={r} />
      {running && (
        <div className="card">
          <ProgressBar percent={a.progress ?? 0} label={`${a.status}: ${a.stage ?? 'queued'}`} />
          <button type="button" className="secondary" onClick={() => void api.cancel(a.id).then(analysis.reload)}>
            Cancel analysis
          </button>
        </div>
      )}
      <ErrorNote error={report.error} />
      {done && !r && <Skeleton rows={8} />}
      {r && (
        <div className="report">
          <nav className="toc" aria-label="Report sections">
            {['findings', 'baseline', 'processes', 'network', 'canaries', 'files', 'changes', 'timeline', 'phases'].map((s) => (
              <a key={s} href={`#${s}`}>
                {s}
              </a>
            ))}
          </nav>
          <Findings report={r} />
          {r.baseline ? <BaselineDiff report={r} /> : <ComparePrevious id={a.id} />}
          <ProcessTree report={r} />
          <Network report={r} />
          <Canaries report={r} />
          <Files report={r} />
          <Timeline report={r} />
          <Phases report={r} />
          <p className="muted">
            Analyzer {r.analyzer.version} · sha256 <code>{r.package.sha256}</code> · finished {formatTime(a.finishedAt)}
          </p>
        </div>
      )}
    </>
  );
}

const DEPENDENCY_NAMES: Record<string, string> = { docker: 'Docker', postgres: 'PostgreSQL', redis: 'Redis' };

/** An outage costs time, not a verdict: say what the analysis waits for. */
function waitingText(waitingFor: string[] | undefined): string | undefined {
  if (!waitingFor?.length) return undefined;
  return `Waiting for ${waitingFor.map((d) => DEPENDENCY_NAMES[d] ?? d).join(' and ')}: the analysis runs as soon as it answers again.`;
}
