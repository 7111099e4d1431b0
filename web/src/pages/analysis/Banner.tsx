import type { Report } from '@vetbox/contracts';
import { downloadJson, downloadText, type AnalysisSummary } from '../../api';
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
          {report?.summary ?? analysis.summary ?? waitingText(analysis.waitingFor) ?? analysis.error?.message ?? (analysis.status === 'completed' ? '' : `Analysis ${analysis.status}.`)}
        </p>
      </div>
      {report && <Exports analysis={analysis} report={report} />}
    </header>
  );
}

/**
 * What can be taken away from a report: the raw JSON, its indicators (for detection tools) and,
 * for a malicious or suspicious verdict, its OSV record (what advisory databases import).
 */
function Exports({ analysis, report }: { analysis: AnalysisSummary; report: Report }) {
  const base = `/v1/analyses/${analysis.id}`;
  const file = `vetbox-${analysis.package.name.replace(/^@/, '').replace('/', '-')}-${analysis.package.version}`;
  const shared = report.verdict === 'malicious' || report.verdict === 'suspicious';
  return (
    <div className="exports" data-testid="report-exports">
      <button type="button" onClick={() => void downloadJson(`${base}/report`, `${file}.json`)}>
        Download raw JSON
      </button>
      {shared && (
        <button type="button" className="secondary" onClick={() => void downloadJson(`${base}/osv`, `${file}.osv.json`)}>
          OSV record
        </button>
      )}
      <button type="button" className="secondary" onClick={() => void downloadText(`${base}/indicators?format=csv`, `${file}.indicators.csv`, 'text/csv')}>
        Indicators (CSV)
      </button>
      <button type="button" className="secondary" onClick={() => void downloadJson(`${base}/indicators`, `${file}.indicators.json`)}>
        Indicators (JSON)
      </button>
    </div>
  );
}

const DEPENDENCY_NAMES: Record<string, string> = { docker: 'Docker', postgres: 'PostgreSQL', redis: 'Redis' };

/** An outage costs time, not a verdict: say what the analysis waits for. */
function waitingText(waitingFor: string[] | undefined): string | undefined {
  if (!waitingFor?.length) return undefined;
  return `Waiting for ${waitingFor.map((d) => DEPENDENCY_NAMES[d] ?? d).join(' and ')}: the analysis runs as soon as it answers again.`;
}
