import { useState } from 'react';
import type { Report } from '@vetbox/contracts';
import { api, type AnalysisDiff } from '../../api';
import { Link } from '../../router';
import { DiffList, Empty, ErrorNote, Section, type DiffChange } from '../../components/ui';

const DIFF_ORDER = ['hosts', 'processes', 'files', 'canaries', 'findings'] as const;

/** What this version does that its baseline (the version before it) did not, stored in the report. */
export function BaselineDiff({ report }: { report: Report }) {
  const b = report.baseline;
  if (!b) return null;
  const changes: DiffChange[] = [
    ...DIFF_ORDER.flatMap((c) => b.added[c].map((e) => ({ ...e, change: 'added' as const }))),
    ...DIFF_ORDER.flatMap((c) => b.removed[c].map((e) => ({ ...e, change: 'removed' as const }))),
  ];
  return (
    <Section id="baseline" title={`Compared with ${b.version}`} count={changes.length} unit={changes.length === 1 ? 'change' : 'changes'}>
      <p className="muted">
        {b.analysisId ? <Link href={`/analyses/${b.analysisId}`}>The analysis of {b.version}</Link> : `Version ${b.version}`} is the baseline: + is behavior this
        version added, − behavior it dropped.
      </p>
      {changes.length === 0 ? <Empty>No behavior change since {b.version}.</Empty> : <DiffList changes={changes} idPrefix="diff" />}
    </Section>
  );
}

/** No baseline in the report: compare on demand with the previous analyzed version (`against=previous`). */
export function ComparePrevious({ id }: { id: string }) {
  const [diff, setDiff] = useState<AnalysisDiff>();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setDiff(await api.diff(id, 'previous'));
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section id="baseline" title={diff ? `Compared with ${diff.base.version}` : 'Compared with the previous version'} count={diff?.changes.length} unit={diff?.changes.length === 1 ? 'change' : 'changes'}>
      {!diff && (
        <button type="button" className="secondary" onClick={() => void run()} disabled={busy}>
          {busy ? 'Comparing…' : 'Compare with the previous analyzed version'}
        </button>
      )}
      <ErrorNote error={error} />
      {diff &&
        (diff.empty ? (
          <Empty>No behavior change since {diff.base.version}.</Empty>
        ) : (
          <>
            <p className="muted">
              <Link href={`/analyses/${diff.base.id}`}>The analysis of {diff.base.version}</Link> is the baseline: + is behavior this version added, − behavior it
              dropped.
            </p>
            <DiffList changes={diff.changes} />
          </>
        ))}
    </Section>
  );
}
