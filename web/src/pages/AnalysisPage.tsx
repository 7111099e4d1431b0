import { Fragment, type ReactElement } from 'react';
import type { Report } from '@vetbox/contracts';
import { api } from '../api';
import { useLoad } from '../hooks';
import { ErrorNote, ProgressBar, Skeleton, formatTime } from '../components/ui';
import { Banner } from './analysis/Banner';
import { BaselineDiff, ComparePrevious } from './analysis/Baseline';
import { Canaries } from './analysis/Canaries';
import { FileAccesses, FileChanges } from './analysis/Files';
import { Findings } from './analysis/Findings';
import { Network } from './analysis/Network';
import { Phases } from './analysis/Phases';
import { ProcessTree } from './analysis/ProcessTree';
import { KnownMalicious } from './analysis/KnownMalicious';
import { IncompleteNotice, StaticCode } from './analysis/StaticCode';
import { Timeline } from './analysis/Timeline';

/**
 * The report's sections in page order: the menu and the page both come from this list, so a new
 * section is one component in ./analysis and one row here.
 */
const SECTIONS: Array<{ id: string; render: (report: Report, analysisId: string) => ReactElement }> = [
  { id: 'findings', render: (r) => <Findings report={r} /> },
  { id: 'intel', render: (r) => <KnownMalicious report={r} /> },
  { id: 'static', render: (r) => <StaticCode report={r} /> },
  { id: 'baseline', render: (r, id) => (r.baseline ? <BaselineDiff report={r} /> : <ComparePrevious id={id} />) },
  { id: 'processes', render: (r) => <ProcessTree report={r} /> },
  { id: 'network', render: (r) => <Network report={r} /> },
  { id: 'canaries', render: (r) => <Canaries report={r} /> },
  { id: 'files', render: (r) => <FileAccesses report={r} /> },
  { id: 'changes', render: (r) => <FileChanges report={r} /> },
  { id: 'timeline', render: (r) => <Timeline report={r} /> },
  { id: 'phases', render: (r) => <Phases report={r} /> },
];

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
      {r && <IncompleteNotice report={r} />}
      {r && (
        <div className="report">
          <nav className="toc" aria-label="Report sections">
            {SECTIONS.map((s) => (
              <a key={s.id} href={`#${s.id}`}>
                {s.id}
              </a>
            ))}
          </nav>
          {SECTIONS.map((s) => (
            <Fragment key={s.id}>{s.render(r, a.id)}</Fragment>
          ))}
          <p className="muted">
            Analyzer {r.analyzer.version} · sha256 <code>{r.package.sha256}</code> · finished {formatTime(a.finishedAt)}
          </p>
        </div>
      )}
    </>
  );
}
