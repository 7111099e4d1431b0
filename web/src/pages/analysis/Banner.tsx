import type { Report } from '@vetbox/contracts';
import { downloadJson, type AnalysisSummary } from '../../api';
import { Link } from '../../router';
import { VerdictBadge } from '../../components/ui';

export function Banner({ analysis, report }: { analysis: AnalysisSummary; report?: Report }) {
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
          {report?.summary ?? analysis.summary ?? analysis.error?.message ?? (analysis.status === 'completed' ? '' : `Analysis ${analysis.status}.`)}
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
