import type { Report } from '@vetbox/contracts';
import { Empty, Section, formatMs } from '../../components/ui';

const KIND_TITLE = { call: 'Calls of exported functions', bin: 'Commands run', trigger: 'What the next login ran' } as const;

/** What the execute and next-login harnesses ran, by phase and kind, with how each ended. */
export function Calls({ report }: { report: Report }) {
  const calls = report.behavior.calls ?? [];
  const groups = (['call', 'bin', 'trigger'] as const).map((kind) => ({ kind, list: calls.filter((c) => c.kind === kind) })).filter((g) => g.list.length > 0);
  return (
    <Section id="calls" title="Calls and planted entries" count={calls.length}>
      {calls.length === 0 ? (
        <Empty>No calls: the execute and next-login phases did not run, or found nothing to run.</Empty>
      ) : (
        groups.map(({ kind, list }) => (
          <div key={kind}>
            <h3>{KIND_TITLE[kind]}</h3>
            <ul className="mono-list">
              {list.slice(0, 500).map((c, i) => (
                <li key={i} data-testid="call">
                  <span className="muted">{c.phase}</span> <code>{c.name}</code>
                  {c.of ? <span className="muted"> of {c.of}</span> : null}{' '}
                  <span className="muted">
                    · pid {c.pid} · {c.outcome}
                    {c.endMs !== null ? ` · ${formatMs(c.endMs - c.startMs)}` : ''}
                    {c.error ? ` · ${c.error}` : ''}
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
