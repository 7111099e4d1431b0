import { useState } from 'react';
import type { Report } from '@vetbox/contracts';
import { Empty, Section } from '../../components/ui';
import { CREDENTIAL_PATH, useRevealRows } from './links';

/** Accesses grouped by operation (reads, writes, execs, ...), credential paths first in each group. */
function groupByOp<T extends { op: string; path: string }>(files: T[]): Array<[string, T[]]> {
  const groups = new Map<string, T[]>();
  for (const f of files) groups.set(f.op, [...(groups.get(f.op) ?? []), f]);
  const credentialFirst = (a: T, b: T) => Number(CREDENTIAL_PATH.test(b.path)) - Number(CREDENTIAL_PATH.test(a.path));
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([op, list]) => [op, [...list].sort(credentialFirst)]);
}

export function FileAccesses({ report }: { report: Report }) {
  const [filter, setFilter] = useState('');
  const [op, setOp] = useState('');
  const [credOnly, setCredOnly] = useState(false);
  const files = report.behavior.files.map((f, i) => ({ ...f, i }));
  const shown = files.filter(
    (f) => (!filter || f.path.includes(filter)) && (!op || f.op === op) && (!credOnly || CREDENTIAL_PATH.test(f.path)),
  );
  const ops = [...new Set(files.map((f) => f.op))].sort();
  // A link to a file row the filters hide: clear the filters, then go to the row once it renders.
  useRevealRows('file-', () => {
    setFilter('');
    setOp('');
    setCredOnly(false);
  });
  return (
    <Section id="files" title="File accesses" count={files.length}>
      <div className="filters">
        <label>
          Path contains
          <input value={filter} onChange={(e) => setFilter(e.target.value)} />
        </label>
        <label>
          Operation
          <select value={op} onChange={(e) => setOp(e.target.value)}>
            <option value="">any</option>
            {ops.map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
        </label>
        <label className="inline">
          <input type="checkbox" checked={credOnly} onChange={(e) => setCredOnly(e.target.checked)} /> Credential paths only
        </label>
      </div>
      {shown.length === 0 ? (
        <Empty>No file accesses match.</Empty>
      ) : (
        groupByOp(shown.slice(0, 2000)).map(([groupOp, group]) => (
          <div key={groupOp} data-testid="file-group">
            <h3>
              {groupOp} <span className="count">{group.length}</span>
            </h3>
            <ul className="mono-list files">
              {group.map((f) => (
                <li key={f.i} id={`file-${f.i}`} className={CREDENTIAL_PATH.test(f.path) ? 'credential' : ''}>
                  <span className="op">{f.op}</span> <code>{f.path}</code>
                  {f.target ? (
                    <>
                      {' '}
                      → <code>{f.target}</code>
                    </>
                  ) : null}{' '}
                  <span className="muted">
                    {f.phase} · pid {f.pid} · {f.result}
                    {f.count && f.count > 1 ? ` · ×${f.count}` : ''}
                  </span>
                </li>
              ))}
            </ul>
          </div>
        ))
      )}
    </Section>
  );
}

/** What the package left behind on disk (the snapshot diff), outside its own install. */
export function FileChanges({ report }: { report: Report }) {
  const changes = report.behavior.fileChanges;
  return (
    <Section id="changes" title="Filesystem changes" count={changes.length}>
      {changes.length === 0 ? (
        <Empty>The package left the filesystem unchanged outside its install.</Empty>
      ) : (
        <ul className="mono-list">
          {changes.map((c, i) => (
            <li key={i} id={`change-${i}`} className={CREDENTIAL_PATH.test(c.path) ? 'credential' : ''}>
              <span className="op">{c.kind}</span> <code>{c.path}</code> <span className="muted">{c.phase}</span>
              {c.sha256 ? <span className="muted"> sha256 {c.sha256.slice(0, 16)}…</span> : null}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
