import { useState } from 'react';
import { api, type AnalysisDiff } from '../api';
import { useLoad } from '../hooks';
import { Link } from '../router';
import { DiffList, Empty, ErrorNote, Section, Skeleton, VerdictBadge, formatTime } from '../components/ui';

function DiffView({ diff }: { diff: AnalysisDiff }) {
  if (diff.empty) return <Empty>No behavior change between {diff.base.version} and {diff.target.version}.</Empty>;
  const added = diff.changes.filter((c) => c.change === 'added').length;
  return (
    <>
      <p className="muted" data-testid="diff-summary">
        {diff.base.version} → {diff.target.version}: {added} added, {diff.changes.length - added} removed
      </p>
      <DiffList changes={diff.changes} />
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
      setDiff(await api.diff(to, from));
    } catch (err) {
      setDiffError(err as Error);
    }
  };

  const rows = versions.data?.versions ?? [];
  // Only completed analyses have a report to compare.
  const comparable = rows.filter((v) => v.status === 'completed');
  // Until the reader picks, compare the two most recently analyzed versions (older → newer).
  const from = base || comparable[1]?.analysisId || '';
  const to = target || comparable[0]?.analysisId || '';
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
              <select value={from} onChange={(e) => setBase(e.target.value)}>
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
              <select value={to} onChange={(e) => setTarget(e.target.value)}>
                <option value="">choose a version</option>
                {comparable.map((v) => (
                  <option key={v.analysisId} value={v.analysisId}>
                    {v.version}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" disabled={!from || !to || from === to} onClick={() => void compare()}>
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
