import type { ReactNode } from 'react';

export function VerdictBadge({ verdict, status }: { verdict?: string | null; status?: string }) {
  const label = verdict ?? status ?? 'unknown';
  return (
    <span className={`badge badge-${label}`} data-testid="verdict-badge">
      {label}
    </span>
  );
}

export function SeverityBadge({ severity }: { severity: string }) {
  return <span className={`badge sev-${severity}`}>{severity}</span>;
}

export function ProgressBar({ percent, label }: { percent: number; label: string }) {
  const p = Math.max(0, Math.min(100, Math.round(percent)));
  return (
    <div className="progress" role="progressbar" aria-valuenow={p} aria-valuemin={0} aria-valuemax={100} aria-label={label}>
      <div className="progress-fill" style={{ width: `${p}%` }} />
      <span className="progress-label">
        {label} — {p}%
      </span>
    </div>
  );
}

/** `unit` names what the count counts where the title alone does not ("Compared with 1.0.0 · 17 changes"). */
export function Section({ id, title, count, unit, children }: { id: string; title: string; count?: number; unit?: string; children: ReactNode }) {
  return (
    <section id={id} className="card" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>
        {title}
        {count !== undefined && (
          <>
            {/* Keeps the count apart from the title in text and screen readers ("1.0.0 · 17", not "1.0.017"). */}
            <span className={unit ? 'sep' : 'visually-hidden'}> · </span>
            <span className="count">
              {count}
              {unit ? ` ${unit}` : null}
            </span>
          </>
        )}
      </h2>
      {children}
    </section>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function ErrorNote({ error }: { error: Error | undefined }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {error.message}
    </p>
  );
}

/** Fixed-height placeholder rows, so content arriving does not move the page. */
export function Skeleton({ rows = 3 }: { rows?: number }) {
  return (
    <div aria-busy="true" aria-label="Loading">
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton" />
      ))}
    </div>
  );
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export interface DiffChange {
  category: string;
  summary: string;
  phases: string[];
  change: 'added' | 'removed';
}

/** Behavior changes between two versions, added ones first (the API already orders them). */
/** `idPrefix` numbers the rows (`diff-0`, ...) in change-list order, which evidence links use. */
export function DiffList({ changes, idPrefix }: { changes: DiffChange[]; idPrefix?: string }) {
  return (
    <ul className="diff" data-testid="diff">
      {changes.map((c, i) => (
        <li key={i} className={c.change} id={idPrefix ? `${idPrefix}-${i}` : undefined}>
          <span className="sign" aria-label={c.change}>
            {c.change === 'added' ? '+' : '−'}
          </span>{' '}
          <span className="muted">{c.category}</span> {c.summary}
          {c.phases.length ? <span className="muted"> · {c.phases.join(', ')}</span> : null}
        </li>
      ))}
    </ul>
  );
}
