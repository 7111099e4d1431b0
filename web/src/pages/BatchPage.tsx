import { api } from '../api';
import { useLoad } from '../hooks';
import { Link } from '../router';
import { ErrorNote, ProgressBar, Section, Skeleton, VerdictBadge } from '../components/ui';

/** Plain words for the failure codes a batch item most often carries; others show the code alone. */
const ERROR_REASON: Record<string, string> = {
  PACKAGE_NOT_FOUND: 'not found on the registry',
  REGISTRY_UNAVAILABLE: 'the registry did not answer',
  ARCHIVE_TOO_LARGE: 'archive too large',
  BAD_ARCHIVE: 'not a valid package archive',
  INTEGRITY_MISMATCH: 'the archive did not match its registry checksum',
  SANDBOX_FAILED: 'the sandbox failed',
  CANCELLED: 'cancelled',
};

export function BatchPage({ id }: { id: string }) {
  const batch = useLoad(() => api.getBatch(id), [id], (b) => (b && b.done < b.total ? 2000 : null));
  if (batch.error) return <ErrorNote error={batch.error} />;
  if (!batch.data) return <Skeleton rows={6} />;
  const b = batch.data;
  return (
    <>
      <h1>
        Batch <code>{b.id.slice(0, 8)}</code>{' '}
        {b.pass === true ? <span className="badge badge-benign">policy passes</span> : b.pass === false ? <span className="badge badge-malicious">policy fails</span> : null}
      </h1>
      <div className="card">
        {b.summary ? <p data-testid="batch-summary">{b.summary}</p> : null}
        <ProgressBar percent={b.total ? (100 * b.done) / b.total : 100} label={`${b.done} of ${b.total} analyzed`} />
        <ul className="counts">
          {Object.entries(b.counts).map(([verdict, n]) => (
            <li key={verdict}>
              <VerdictBadge verdict={verdict} /> {n}
            </li>
          ))}
        </ul>
      </div>
      <Section id="items" title="Packages" count={b.items.length}>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Package</th>
                <th scope="col">Version</th>
                <th scope="col">Verdict</th>
                <th scope="col">Top findings</th>
              </tr>
            </thead>
            <tbody>
              {b.items.map((item) => (
                <tr key={`${item.ecosystem}:${item.name}@${item.version}`}>
                  <td>
                    {item.analysisId ? <Link href={`/analyses/${item.analysisId}`}>{`${item.ecosystem}:${item.name}`}</Link> : `${item.ecosystem}:${item.name}`}
                  </td>
                  <td>{item.version}</td>
                  <td>
                    <VerdictBadge verdict={item.effectiveVerdict ?? item.verdict} status={item.status} />
                    {item.effectiveVerdict && item.verdict && item.effectiveVerdict !== item.verdict ? <span className="muted"> (was {item.verdict}, excepted)</span> : null}
                    {item.errorCode ? (
                      <span className="muted" data-testid="batch-item-error">
                        {' '}
                        · {ERROR_REASON[item.errorCode] ?? 'analysis failed'} ({item.errorCode})
                      </span>
                    ) : null}
                  </td>
                  <td>{item.topFindings?.map((f) => f.rule).join(', ') || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>
      {b.skipped && b.skipped.length > 0 && (
        <Section id="skipped" title="Not analyzed" count={b.skipped.length}>
          <ul className="mono-list">
            {b.skipped.map((s, i) => (
              <li key={i}>
                line {s.line ?? '?'}: <code>{s.name ?? s.raw}</code> — {s.message ?? s.reason}
              </li>
            ))}
          </ul>
        </Section>
      )}
    </>
  );
}
