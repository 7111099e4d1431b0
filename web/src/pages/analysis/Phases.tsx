import type { Report } from '@vetbox/contracts';
import { Section, formatMs } from '../../components/ui';

export function Phases({ report }: { report: Report }) {
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
