import { PHASES, SEVERITY_ORDER, type PhaseName } from '@vetbox/contracts';
import type { Draft } from './context.js';

/** How a later phase reads in a finding that it only repeated. */
const AGAIN: Record<PhaseName, string> = {
  install: 'at install',
  import: 'at import',
  execute: 'when its exports and commands were run',
  idle: 'a year ahead, in the idle window (the second install and import)',
  'next-login': 'at the next login',
};

const phaseIndex = (p: PhaseName | null): number => (p === null ? -1 : PHASES.indexOf(p));
const atLeastAsSevere = (a: Draft, b: Draft): boolean => SEVERITY_ORDER.indexOf(a.severity) <= SEVERITY_ORDER.indexOf(b.severity);

/**
 * The later phases run the package's code again (execute calls what import loaded; the idle
 * window installs and imports once more), so a payload that fired at install fires again there.
 * A later finding of the same rule whose evidence all says what an earlier, at least as severe,
 * finding already said is that finding seen again: it is folded into the first (which keeps its
 * phase, evidence and hash, and says when it recurred) instead of repeating it. A later finding
 * with anything new (a host, a file, a worse severity) stays its own: that is what changed.
 */
export function foldRepeats(drafts: readonly Draft[]): Draft[] {
  const ordered = drafts.map((d, i) => ({ d, i })).sort((a, b) => phaseIndex(a.d.phase) - phaseIndex(b.d.phase) || a.i - b.i);
  const kept: Draft[] = [];
  const again = new Map<Draft, PhaseName[]>();
  for (const { d } of ordered) {
    const first = d.phase === null ? undefined : kept.find((e) => isRepeatOf(d, e));
    if (first === undefined) {
      kept.push(d);
      continue;
    }
    const list = again.get(first) ?? [];
    if (!list.includes(d.phase!)) list.push(d.phase!);
    again.set(first, list);
  }
  for (const [d, phases] of again) {
    const note = `It did the same again ${phases.map((p) => AGAIN[p]).join(' and ')}.`;
    d.detail = d.detail ? `${d.detail} ${note}` : note;
  }
  // Keep the rules' own order for what is left (callers sort findings anyway).
  const left = new Set(kept);
  return drafts.filter((d) => left.has(d));
}

function isRepeatOf(later: Draft, earlier: Draft): boolean {
  if (earlier.rule !== later.rule || earlier.phase === null || phaseIndex(earlier.phase) >= phaseIndex(later.phase)) return false;
  if (!atLeastAsSevere(earlier, later) || later.evidence.length === 0) return false;
  const keys = new Set(earlier.evidence.map((e) => e.key));
  return later.evidence.every((e) => keys.has(e.key));
}
