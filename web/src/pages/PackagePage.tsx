import { useEffect, useState } from 'react';
import { api, type AnalysisDiff } from '../api';
import { useLoad } from '../hooks';
import { Link } from '../router';
import { compareVersions } from '../versions';
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

  // Newest version first, by version number rather than by when it was analyzed: a re-run of
  // an old version must not make it look like the latest release.
  const rows = [...(versions.data?.versions ?? [])].sort((a, b) => compareVersions(b.version, a.version));
  // Only completed analyses have a report to compare.
  const comparable = rows.filter((v) => v.status === 'completed');
  // Until the reader picks, compare the previous version (base) with the newest one.
  const from = base || comparable[1]?.analysisId || '';
  const to = target || comparable[0]?.analysisId || '';

  const compare = async (baseId: string, targetId: string, isCurrent: () => boolean = () => true) => {
    setDiffError(undefined);
    try {
      const d = await api.diff(targetId, baseId);
      if (isCurrent()) setDiff(d);
    } catch (err) {
      if (isCurrent()) setDiffError(err as Error);
    }
  };
  // Both versions are chosen (by default or by the reader): show their diff without a click.
  useEffect(() => {
    if (!from || !to || from === to) return;
    let current = true;
    void compare(from, to, () => current);
    return () => {
      current = false;
    };
  }, [from, to]);

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
            <button type="button" disabled={!from || !to || from === to} onClick={() => void compare(from, to)}>
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
