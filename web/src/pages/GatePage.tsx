import { useState, type FormEvent } from 'react';
import { api } from '../api';
import { useLoad } from '../hooks';
import { Link, navigate } from '../router';
import { Empty, ErrorNote, Section, Skeleton, formatTime } from '../components/ui';
import { GateStateBadge, whyPath } from '../components/gate';

/** /gate: what the vetted registry served and refused, its policy, and the approvals in force. */
export function GatePage() {
  const [served, setServed] = useState<'' | 'true' | 'false'>('false');
  const [q, setQ] = useState('');
  const decisions = useLoad(() => api.gate.decisions({ served: served || undefined, q: q || undefined }), [served, q], () => 15_000);
  const policy = useLoad(() => api.gate.policy(), []);
  const [lookup, setLookup] = useState({ ecosystem: 'npm', spec: '' });

  const open = (e: FormEvent) => {
    e.preventDefault();
    const spec = lookup.spec.trim();
    const m = lookup.ecosystem === 'npm' ? /^(@?[^@\s]+)@(\S+)$/.exec(spec) : /^([^=\s]+)==(\S+)$/.exec(spec);
    if (m) navigate(whyPath(lookup.ecosystem, m[1]!, m[2]!));
  };

  return (
    <>
      <h1>Registry decisions</h1>
      <p className="muted">
        npm and pip install through <code>/registry/npm/</code> and <code>/registry/pypi/simple/</code>; only versions that passed the policy are served.
      </p>
      <form className="filters" onSubmit={open} aria-label="Look up a version">
        <select aria-label="Ecosystem" value={lookup.ecosystem} onChange={(e) => setLookup({ ...lookup, ecosystem: e.target.value })}>
          <option value="npm">npm</option>
          <option value="pypi">PyPI</option>
        </select>
        <input aria-label="Package version" placeholder={lookup.ecosystem === 'npm' ? 'left-pad@1.3.0' : 'requests==2.32.3'} value={lookup.spec} onChange={(e) => setLookup({ ...lookup, spec: e.target.value })} />
        <button type="submit">Why?</button>
      </form>

      <Section id="decisions" title="Downloads" count={decisions.data?.items.length}>
        <div className="filters">
          <select aria-label="Show" value={served} onChange={(e) => setServed(e.target.value as typeof served)}>
            <option value="false">refused</option>
            <option value="true">served</option>
            <option value="">all</option>
          </select>
          <input aria-label="Package name" placeholder="package name" value={q} onChange={(e) => setQ(e.target.value)} />
        </div>
        <ErrorNote error={decisions.error} />
        {!decisions.data && decisions.loading ? <Skeleton /> : null}
        {decisions.data && decisions.data.items.length === 0 ? <Empty>No downloads yet.</Empty> : null}
        {decisions.data && decisions.data.items.length > 0 ? (
          <div className="table-scroll">
            <table data-testid="gate-decisions">
              <thead>
                <tr>
                  <th>Version</th>
                  <th>Then</th>
                  <th>Now</th>
                  <th>Why</th>
                  <th>Requests</th>
                  <th>Last</th>
                </tr>
              </thead>
              <tbody>
                {decisions.data.items.map((d) => (
                  <tr key={`${d.ecosystem}:${d.name}@${d.version}`}>
                    <td>
                      <Link href={whyPath(d.ecosystem, d.name, d.version)}>{d.ecosystem === 'npm' ? `${d.name}@${d.version}` : `${d.name}==${d.version}`}</Link>
                    </td>
                    <td>
                      <GateStateBadge state={d.state} />
                    </td>
                    <td>{d.current ? <GateStateBadge state={d.current.state} /> : '—'}</td>
                    <td>{d.current?.reason ?? d.reason}</td>
                    <td>{d.requests}</td>
                    <td>{formatTime(d.lastAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </Section>

      <Section id="policy" title="Policy">
        <ErrorNote error={policy.error} />
        {policy.data ? (
          <>
            <p>
              Fails on <strong>{policy.data.policy.failOn}</strong>
              {policy.data.policy.failOnError ? ' and on analysis errors' : ''}; versions are served <strong>{policy.data.policy.cooldown}</strong> after release ·{' '}
              {policy.data.policy.exceptions.length} exception(s) · revision {policy.data.revision}
            </p>
            {policy.data.packages.length > 0 ? (
              <ul>
                {policy.data.packages.map((p) => (
                  <li key={`${p.ecosystem}:${p.name}`}>
                    {p.ecosystem}:{p.name} — {[p.failOn && `fails on ${p.failOn}`, p.cooldown !== null && `cooldown ${p.cooldown}`, p.failOnError !== null && `failOnError ${p.failOnError}`].filter(Boolean).join(', ')}{' '}
                    <span className="muted">({p.reason})</span>
                  </li>
                ))}
              </ul>
            ) : null}
          </>
        ) : null}
      </Section>

      <Section id="approvals" title="Approvals in force" count={policy.data?.approvals.length}>
        {policy.data && policy.data.approvals.length === 0 ? <Empty>No approvals. An admin approves a held version from its page.</Empty> : null}
        {policy.data && policy.data.approvals.length > 0 ? (
          <ul data-testid="gate-approvals">
            {policy.data.approvals.map((a) => (
              <li key={a.id}>
                <Link href={whyPath(a.ecosystem, a.name, a.version)}>{a.ecosystem === 'npm' ? `${a.name}@${a.version}` : `${a.name}==${a.version}`}</Link> — {a.reason}{' '}
                <span className="muted">until {formatTime(a.expiresAt)}</span>
              </li>
            ))}
          </ul>
        ) : null}
      </Section>
    </>
  );
}
