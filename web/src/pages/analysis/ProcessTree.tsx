import { useState, type ReactElement } from 'react';
import type { ProcessEntry, Report } from '@vetbox/contracts';
import { Empty, Section } from '../../components/ui';
import { useRevealRows } from './links';

export function ProcessTree({ report }: { report: Report }) {
  const [showHousekeeping, setShowHousekeeping] = useState(false);
  // A link to a housekeeping process: show housekeeping, then go to the row once it renders.
  useRevealRows('process-', () => setShowHousekeeping(true));
  const procs = report.behavior.processes;
  const indexOf = new Map(procs.map((p, i) => [p, i]));
  const visible = procs.filter((p) => showHousekeeping || !p.housekeeping);
  const byParent = new Map<string, ProcessEntry[]>();
  const key = (phase: string, pid: number | null) => `${phase}:${pid}`;
  const visiblePids = new Set(visible.map((p) => key(p.phase, p.pid)));
  for (const p of visible) {
    const parent = p.ppid !== null && visiblePids.has(key(p.phase, p.ppid)) ? key(p.phase, p.ppid) : `${p.phase}:root`;
    const list = byParent.get(parent) ?? [];
    list.push(p);
    byParent.set(parent, list);
  }
  const render = (parent: string, depth: number): ReactElement[] =>
    (byParent.get(parent) ?? []).flatMap((p) => [
      <li key={`${p.phase}-${p.pid}-${p.startMs}`} id={`process-${indexOf.get(p)}`} style={{ paddingLeft: `${depth * 1.25}rem` }} className={p.outlived ? 'outlived' : ''}>
        <span className="pid">{p.pid}</span> <code className="argv">{p.argv.join(' ') || p.exe || '(no exec)'}</code>{' '}
        <span className="muted">
          {p.exit ? (p.exit.signal ? `killed by ${p.exit.signal}` : `exit ${p.exit.code}`) : p.outlived ? 'still running after the phase' : ''}
        </span>
      </li>,
      ...render(key(p.phase, p.pid), depth + 1),
    ]);
  const phases = [...new Set(procs.map((p) => p.phase))];
  return (
    <Section id="processes" title="Processes" count={visible.length}>
      <label className="inline">
        <input type="checkbox" checked={showHousekeeping} onChange={(e) => setShowHousekeeping(e.target.checked)} /> Show package-manager housekeeping
      </label>
      {visible.length === 0 ? (
        <Empty>No processes besides the package manager.</Empty>
      ) : (
        phases.map((phase) => (
          <div key={phase}>
            <h3>{phase}</h3>
            <ul className="tree">{render(`${phase}:root`, 0)}</ul>
          </div>
        ))
      )}
    </Section>
  );
}
