import type { CanaryReport, Report } from '@vetbox/contracts';
import { canaryRoutes } from '@vetbox/contracts/canary-routes';
import { Empty, Section } from '../../components/ui';

/** Routes a cell names before it counts the rest. */
const ROUTES_SHOWN = 4;

/** Where a canary went, per channel and domain with a count: one row even when hundreds of lookups carried it. */
function whereTo(c: CanaryReport): string {
  const routes = canaryRoutes(c);
  const named = routes.slice(0, ROUTES_SHOWN).map((r) => `${r.channel} to ${r.domain} (${r.encodings.join(', ')}${r.count > 1 ? `, ${r.count} times` : ''})`);
  if (routes.length > ROUTES_SHOWN) named.push(`${routes.length - ROUTES_SHOWN} more destinations`);
  return named.join('; ');
}

export function Canaries({ report }: { report: Report }) {
  return (
    <Section id="canaries" title="Canaries: planted credentials and the machine identity" count={report.canaries.length}>
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
                  <td>{c.leaked ? whereTo(c) : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Section>
  );
}
