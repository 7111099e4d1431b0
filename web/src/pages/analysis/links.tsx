import { useEffect, useState, type MouseEvent, type ReactNode } from 'react';
import type { EvidenceRef } from '@vetbox/contracts';

/** Paths of credential stores: highlighted wherever a report lists files. */
export const CREDENTIAL_PATH =
  /\/(\.ssh|\.aws|\.npmrc|\.pypirc|\.git-credentials|\.config\/gh|\.docker\/config\.json|\.kube|\.gnupg|\.mozilla|\.config\/(google-chrome|chromium|BraveSoftware)|\.bitcoin|\.ethereum|\.electrum|Exodus)|\/etc\/shadow|\/\.env$/;

const ANCHOR: Record<EvidenceRef['kind'], string> = {
  process: 'process',
  file: 'file',
  fileChange: 'change',
  dns: 'dns',
  connection: 'connection',
  http: 'http',
  tls: 'tls',
  canary: 'canary',
  package: 'package',
  diff: 'diff',
  static: 'static',
  intel: 'intel',
};

export function evidenceHref(ref: EvidenceRef): string | null {
  // A diff entry is a row of the baseline section (stored reports judged before rows were
  // numbered have no index: the section); package facts have no row of their own.
  if (ref.kind === 'diff' && ref.index === undefined) return '#baseline';
  if (ref.kind === 'package') return null;
  return ref.index === undefined ? null : `#${ANCHOR[ref.kind]}-${ref.index}`;
}

/** Fired with a row id when a link points at a row a filter hides; the filter owner reveals it. */
const REVEAL_EVENT = 'vetbox:reveal';

/** Scrolls to the row and makes it the :target (highlighted, below the sticky section menu). */
function goTo(id: string): void {
  const el = document.getElementById(id);
  if (!el) return;
  if (window.location.hash === `#${id}`) el.scrollIntoView({ block: 'start' });
  else window.location.hash = id;
}

/**
 * The owner of a filter that can hide rows whose ids start with `prefix`: when a link asks for
 * such a row, `show` undoes the filter and the row is scrolled to once it renders.
 */
export function useRevealRows(prefix: string, show: () => void): void {
  const [reveal, setReveal] = useState<string>();
  useEffect(() => {
    const onReveal = (e: Event) => {
      const id = (e as CustomEvent<string>).detail;
      if (!id.startsWith(prefix)) return;
      show();
      setReveal(id);
    };
    window.addEventListener(REVEAL_EVENT, onReveal);
    return () => window.removeEventListener(REVEAL_EVENT, onReveal);
    // `show` only calls state setters, which React keeps stable.
  }, [prefix]);
  useEffect(() => {
    if (!reveal) return;
    goTo(reveal);
    setReveal(undefined);
  }, [reveal]);
}

/** An in-report link to a row; a row hidden by a filter is revealed first instead of doing nothing. */
export function RowLink({ href, children }: { href: string; children: ReactNode }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    const id = href.slice(1);
    if (document.getElementById(id)) return;
    e.preventDefault();
    window.dispatchEvent(new CustomEvent(REVEAL_EVENT, { detail: id }));
  };
  return (
    <a href={href} onClick={onClick}>
      {children}
    </a>
  );
}
