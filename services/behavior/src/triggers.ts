import { fastClockTrigger, type Behavior, type ClockInfo, type ProcessEntry } from '@vetbox/contracts';
import { isHarnessShell } from './classify.js';

/**
 * Sets `ProcessEntry.trigger` where a process was not started by its phase's own command:
 * - next-login: the planted entry the harness ran for it (`crontab entry (added during install)`);
 * - a process of an earlier phase started during or after the idle window: the fast-clock time
 *   that had passed since the phase left its ancestor running (`after 15 min (fast clock)`);
 * - idle: the second install and import, with the date ahead.
 * Only the first process of each such tree is marked; its descendants inherit it by ancestry.
 */
export function applyTriggers(behavior: Behavior, clock?: ClockInfo): void {
  const procs = behavior.processes;
  const key = (p: Pick<ProcessEntry, 'phase' | 'pid'>) => `${p.phase}:${p.pid}`;
  const byKey = new Map(procs.map((p) => [key(p), p]));
  const parentOf = (p: ProcessEntry) => (p.ppid === null ? undefined : byKey.get(`${p.phase}:${p.ppid}`));

  const planted = new Map<number, string>();
  for (const c of behavior.calls ?? []) if (c.kind === 'trigger') planted.set(c.pid, c.name);

  for (const p of procs) {
    if (p.phase === 'next-login') {
      const label = planted.get(p.pid);
      if (label === undefined) continue;
      p.trigger = `at the next login: ${label}`;
      // The commit that fires a planted hook is the harness's; the hooks it runs are the package's.
      if (/(^|\/)git$/.test(p.argv[0] ?? '')) p.housekeeping = true;
      continue;
    }
    if (p.phase === 'idle') {
      // The phase's command: the harness's shell (housekeeping itself) whose steps run the package again.
      if (!parentOf(p) && (!p.housekeeping || isHarnessShell(p.argv))) p.trigger = dateAheadTrigger(clock);
      continue;
    }
    // Started in the fast window (or later) by something its phase left running.
    const parent = parentOf(p);
    if (!clock?.windowStartMs || p.startMs < clock.windowStartMs || !parent || parent.startMs >= clock.windowStartMs) continue;
    p.trigger = fastClockTrigger(clock, outlivedAncestorStart(p, parentOf), p.startMs);
  }
}

function dateAheadTrigger(clock?: ClockInfo): string {
  const days = clock ? Math.round(clock.dateAheadMs / 86_400_000) : 365;
  return `installed and imported again with the date ${days} days ahead`;
}

/** When the phase left the process's tree running: the start of its oldest outlived ancestor. */
function outlivedAncestorStart(p: ProcessEntry, parentOf: (p: ProcessEntry) => ProcessEntry | undefined): number {
  let start = p.startMs;
  for (let a = parentOf(p), depth = 0; a && depth < 64; a = parentOf(a), depth++) {
    if (a.outlived) start = a.startMs;
  }
  return start;
}
