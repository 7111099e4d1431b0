import type { Report } from '@vetbox/contracts';
import { Empty, Section } from '../../components/ui';

/** Names the phases that failed before the package's code could act: what behavior shows is not everything. */
export function IncompleteNotice({ report }: { report: Report }) {
  if (!report.incomplete || !report.incompletePhases?.length) return null;
  return (
    <div className="card incomplete" role="note" data-testid="incomplete">
      <strong>Incomplete analysis.</strong> The behavior below is not all the package does:
      <ul>
        {report.incompletePhases.map((p) => (
          <li key={p.phase}>
            <code>{p.phase}</code> {p.reason}
          </li>
        ))}
      </ul>
      {report.static?.signals.length ? 'Its code was read statically instead (see Static code).' : null}
    </div>
  );
}

/** What the static pass read in the package's files, beside behavior: file, line, escaped snippet, decoded layer. */
export function StaticCode({ report }: { report: Report }) {
  const s = report.static;
  if (!s) return null;
  return (
    <Section id="static" title="Static code" count={s.signals.length}>
      <p className="muted">
        Read without running: {s.filesAnalyzed} files ({Math.round(s.bytesAnalyzed / 1024)} KiB) from {s.entryPoints.length} entry points; {s.filesInPackage} files checked for executables.
        {s.error ? ` ${s.error}.` : ''}
        {s.limits?.length ? ` Bounds reached: ${s.limits.join('; ')}.` : ''}
        {s.unparsed?.length ? ` Not parsed: ${s.unparsed.join(', ')}.` : ''}
      </p>
      {s.signals.length === 0 ? (
        <Empty>No static signal.</Empty>
      ) : (
        <table className="static-signals">
          <thead>
            <tr>
              <th>signal</th>
              <th>where</th>
              <th>what</th>
            </tr>
          </thead>
          <tbody>
            {s.signals.map((sig, i) => (
              <tr key={i} id={`static-${i}`}>
                <td>
                  {sig.kind}
                  <div className="muted">{sig.reach.join(', ')}</div>
                </td>
                <td>
                  <code>
                    {sig.file}:{sig.line}
                  </code>
                  {sig.layerDepth ? <div className="muted">decoded layer {sig.layerDepth}</div> : null}
                </td>
                <td>
                  {sig.detail}
                  {sig.snippet ? <pre className="snippet">{sig.snippet}</pre> : null}
                  {sig.decoded ? (
                    <details>
                      <summary>
                        decoded statically: {sig.decoded.transforms.join(' → ')} ({sig.decoded.bytes} bytes{sig.decoded.stoppedAt ? `, stopped at ${sig.decoded.stoppedAt}` : ''})
                      </summary>
                      <pre>{sig.decoded.preview}</pre>
                    </details>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}
