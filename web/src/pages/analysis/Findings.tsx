import { useState } from 'react';
import type { Finding, Report } from '@vetbox/contracts';
import { Empty, Section, SeverityBadge } from '../../components/ui';
import { RowLink, evidenceHref } from './links';

/** Rows shown before "Show all": a grouped finding of a flood holds every lookup and connection. */
export const EVIDENCE_SHOWN = 12;

function Evidence({ evidence }: { evidence: Finding['evidence'] }) {
  const [all, setAll] = useState(false);
  const shown = all ? evidence : evidence.slice(0, EVIDENCE_SHOWN);
  return (
    <>
      <ul className="evidence">
        {shown.map((ev, j) => {
          const href = evidenceHref(ev);
          return <li key={j}>{href ? <RowLink href={href}>{ev.summary}</RowLink> : ev.summary}</li>;
        })}
      </ul>
      {evidence.length > EVIDENCE_SHOWN && (
        <button type="button" className="link" onClick={() => setAll(!all)} aria-expanded={all}>
          {all ? 'Show fewer' : `Show all ${evidence.length} evidence rows`}
        </button>
      )}
    </>
  );
}

const SEVERITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

export function Findings({ report }: { report: Report }) {
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
              {f.evidence.length > 0 && <Evidence evidence={f.evidence} />}
            </li>
          ))}
        </ol>
      )}
    </Section>
  );
}
