import { useState } from 'react';
import { api, type AnalysisDiff } from '../api';
import { useLoad } from '../hooks';
import { Link } from '../router';
import { Empty, ErrorNote, Section, Skeleton, VerdictBadge, formatTime } from '../components/ui';

function DiffView({ diff }: { diff: AnalysisDiff }) {
  if (diff.empty) return <Empty>No behavior change between {diff.base.version} and {diff.target.version}.</Empty>;
  const added = diff.changes.filter((c) => c.change === 'added').length;
  return (
    <>
    <p className="muted" data-testid="diff-summary">
      {diff.base.version} → {diff.target.version}: {added} added, {diff.changes.length - added} removed
    </p>
    <ul className="diff" data-testid="diff">
      {diff.changes.map((c, i) => (
        <li key={i} className={c.change === 'added' ? 'added' : 'removed'}>
          <span className="sign" aria-label={c.change}>
            {c.change === 'added' ? '+' : '−'}
          </span>{' '}
          <span className="muted">{c.category}</span> {c.summary}
          {c.phases.length ? <span className="muted"> · {c.phases.join(', ')}</span> : null}
        </li>
      ))}
    </ul>
    </>
  );
}

export function PackagePage({ ecosystem, name }: { ecosystem: string; name: string }) {
  const versions = useLoad(() => api.packageVersions(ecosystem, name), [ecosystem, name]);
  const [base, setBase] = useState('');
  const [target, setTarget] = useState('');
  const [diff, setDiff] = useState<AnalysisDiff>();
  const [diffError, setDiffError] = useState<Error>();

  const compare = async () => {
    setDiffError(undefined);
    try {
      setDiff(await api.diff(target, base));
    } catch (err) {
      setDiffError(err as Error);
    }
  };

  const rows = versions.data?.versions ?? [];
  // Only completed analyses have a report to compare.
  const comparable = rows.filter((v) => v.status === 'completed');
  return (
    <>
      <h1>
        {ecosystem}:{name}
      </h1>
      <Section id="versions" title="Analyzed versions" count={rows.length}>
        <ErrorNote error={versions.error} />
        {!versions.data ? (
          <Skeleton rows={4} />
        ) : rows.length === 0 ? (
          <Empty>No analyzed versions.</Empty>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Verdict</th>
                  <th scope="col">Score</th>
                  <th scope="col">Analyzed</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((v) => (
                  <tr key={v.analysisId}>
                    <td>
                      <Link href={`/analyses/${v.analysisId}`}>{v.version}</Link>
                    </td>
                    <td>
                      <VerdictBadge verdict={v.verdict} status={v.status} />
                    </td>
                    <td>{v.score ?? '—'}</td>
                    <td>{formatTime(v.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      {comparable.length >= 2 && (
        <Section id="diff" title="Behavior diff">
          <div className="filters">
            <label>
              From
              <select value={base} onChange={(e) => setBase(e.target.value)}>
                <option value="">choose a version</option>
                {comparable.map((v) => (
                  <option key={v.analysisId} value={v.analysisId}>
                    {v.version}
                  </option>
                ))}
              </select>
            </label>
            <label>
              To
              <select value={target} onChange={(e) => setTarget(e.target.value)}>
                <option value="">choose a version</option>
                {comparable.map((v) => (
                  <option key={v.analysisId} value={v.analysisId}>
                    {v.version}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" disabled={!base || !target || base === target} onClick={() => void compare()}>
              Compare
            </button>
          </div>
          <ErrorNote error={diffError} />
          {diff && <DiffView diff={diff} />}
        </Section>
      )}
    </>
  );
}
