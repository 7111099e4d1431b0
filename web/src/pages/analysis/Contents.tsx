import type { Report } from '@vetbox/contracts';
import { Empty, Section } from '../../components/ui';
import { CREDENTIAL_PATH } from './links';

const WHY = { persistence: 'persistence entry', executable: 'dropped executable', script: 'dropped script' } as const;

/** Captured content of persistence entries and dropped scripts/executables (first 64 KiB, escaped by React). */
export function Contents({ report }: { report: Report }) {
  const contents = report.behavior.contents ?? [];
  return (
    <Section id="contents" title="Captured content" count={contents.length}>
      {contents.length === 0 ? (
        <Empty>Nothing was written to a persistence location, and no script or executable was dropped outside the install.</Empty>
      ) : (
        <ul className="requests">
          {contents.map((c, i) => (
            <li key={i} id={`content-${i}`} className={CREDENTIAL_PATH.test(c.path) ? 'credential' : ''} data-testid="content">
              <p>
                <span className="badge">{WHY[c.reason]}</span> <code>{c.path}</code>{' '}
                <span className="muted">
                  {c.phase} · {c.format} · {c.size} bytes · sha256 {c.sha256 ? `${c.sha256.slice(0, 16)}…` : 'not computed'}
                  {c.truncated ? ' · first 64 KiB shown' : ''}
                </span>
              </p>
              <details open={c.reason === 'persistence'}>
                <summary>Content{c.encoding === 'base64' ? ' (binary, base64)' : ''}</summary>
                <pre className="preview">{c.content.slice(0, 16 * 1024)}</pre>
              </details>
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
