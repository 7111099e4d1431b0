import type { Report } from '@vetbox/contracts';
import { Empty, Section } from '../../components/ui';

/** Records of imported known-malicious lists naming this version (what the known-malicious finding cites). */
export function KnownMalicious({ report }: { report: Report }) {
  const records = report.knownMalicious ?? [];
  return (
    <Section id="intel" title="Known-malicious lists" count={records.length}>
      {records.length === 0 ? (
        <Empty>This version is on no imported known-malicious list.</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Record</th>
                <th scope="col">Summary</th>
                <th scope="col">List</th>
                <th scope="col">Record modified</th>
              </tr>
            </thead>
            <tbody>
              {records.map((r, i) => (
                <tr key={r.id} id={`intel-${i}`} className="hit" data-testid="known-malicious">
                  <td>
                    <code>{r.id}</code>
                    {r.aliases && r.aliases.length > 0 ? <span className="muted"> ({r.aliases.join(', ')})</span> : null}
                  </td>
                  <td>{r.summary ?? ''}</td>
                  <td>
                    {r.source} <span className="muted">as of {r.sourceDate.slice(0, 10)}</span>
                  </td>
                  <td>{r.modified.slice(0, 10)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
