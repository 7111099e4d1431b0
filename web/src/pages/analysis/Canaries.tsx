import type { Report } from '@vetbox/contracts';
import { Empty, Section } from '../../components/ui';

export function Canaries({ report }: { report: Report }) {
  return (
    <Section id="canaries" title="Planted credentials" count={report.canaries.length}>
      {report.canaries.length === 0 ? (
        <Empty>No canaries in this report.</Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Canary</th>
                <th scope="col">Planted at</th>
                <th scope="col">Read</th>
                <th scope="col">Leaked</th>
              </tr>
            </thead>
            <tbody>
              {report.canaries.map((c, i) => (
                <tr key={i} id={`canary-${i}`} className={c.leaked ? 'hit' : ''} data-testid={c.leaked ? 'canary-leaked' : undefined}>
                  <td>{c.kind}</td>
                  <td>
                    <code>{c.planted}</code>
                  </td>
                  <td>{c.read === null ? 'n/a' : c.read ? 'yes' : 'no'}</td>
                  <td>{c.leaked ? c.evidence.map((e) => `${e.channel} to ${e.destination} (${e.encoding})`).join('; ') : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
