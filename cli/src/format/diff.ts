import type { AnalysisDiff, Ecosystem, Report, Verdict } from '@vetbox/contracts';
import { DIFF_CATEGORIES, diffReports, type BehaviorDiff, type DiffEntry } from '@vetbox/diff';
import { clean, plural } from './text.js';

function entryLine(sign: '+' | '-', e: DiffEntry): string {
  const phases = e.phases.length > 0 ? `  [${e.phases.join(', ')}]` : '';
  return `${sign} ${e.category.padEnd(9)}  ${clean(e.summary, 200)}${phases}`;
}

/** `vetbox diff` without --json: what the target added (+) first, then what it dropped (-). */
export function formatDiff(diff: Pick<BehaviorDiff, 'added' | 'removed' | 'empty'> & { uncompared?: readonly string[] }, labels: { base: string; target: string }): string {
  const added = DIFF_CATEGORIES.flatMap((c) => diff.added[c]);
  const removed = DIFF_CATEGORIES.flatMap((c) => diff.removed[c]);
  const lines = [
    `${clean(labels.base)} → ${clean(labels.target)}: ${added.length} added, ${removed.length} removed`,
  ];
  if (diff.uncompared && diff.uncompared.length > 0) lines.push(`Not compared (only one side ran them): ${diff.uncompared.join(', ')}`);
  if (diff.empty) {
    lines.push('No behavior differences.');
    return `${lines.join('\n')}\n`;
  }
  if (added.length > 0) lines.push('', `Added (${plural(added.length, 'item')})`, ...added.map((e) => entryLine('+', e)));
  if (removed.length > 0) lines.push('', `Removed (${plural(removed.length, 'item')})`, ...removed.map((e) => entryLine('-', e)));
  return `${lines.join('\n')}\n`;
}

/** One side of a `vetbox diff --json`: package and version always, so two packages are unambiguous. */
export interface CliDiffSide {
  id?: string;
  ecosystem: Ecosystem;
  name: string;
  version: string;
  verdict?: Verdict | null;
}

/**
 * The one shape `vetbox diff --json` prints, whether the server diffed the analyses or the CLI
 * compared two reports (--local, or two different packages): the server's AnalysisDiff with
 * ecosystem and name on both sides; `package` only when both sides are the same package.
 */
export interface CliDiff {
  package?: { ecosystem: Ecosystem; name: string };
  base: CliDiffSide;
  target: CliDiffSide;
  added: BehaviorDiff['added'];
  removed: BehaviorDiff['removed'];
  changes: BehaviorDiff['changes'];
  empty: boolean;
  uncompared?: string[];
}

export function fromServedDiff(served: AnalysisDiff): CliDiff {
  const { ecosystem, name } = served.package;
  return {
    package: { ecosystem, name },
    base: { id: served.base.id, ecosystem, name, version: served.base.version, verdict: served.base.verdict },
    target: { id: served.target.id, ecosystem, name, version: served.target.version, verdict: served.target.verdict },
    added: served.added,
    removed: served.removed,
    changes: served.changes,
    empty: served.empty,
    ...(served.uncompared && served.uncompared.length > 0 ? { uncompared: served.uncompared } : {}),
  };
}

function sideOf(report: Report): CliDiffSide {
  const { ecosystem, name, version } = report.package;
  return { ...(report.analysisId ? { id: report.analysisId } : {}), ecosystem, name, version, verdict: report.verdict };
}

/** A diff this CLI computed from two reports (@vetbox/diff), in the shape of the server's. */
export function fromReports(baseReport: Report, targetReport: Report, diff: BehaviorDiff = diffReports(baseReport, targetReport)): CliDiff {
  const base = sideOf(baseReport);
  const target = sideOf(targetReport);
  const same = base.ecosystem === target.ecosystem && base.name === target.name;
  return {
    ...(same ? { package: { ecosystem: base.ecosystem, name: base.name } } : {}),
    base,
    target,
    added: diff.added,
    removed: diff.removed,
    changes: diff.changes,
    empty: diff.empty,
    ...(diff.uncompared.length > 0 ? { uncompared: diff.uncompared } : {}),
  };
}

/** `name@version` (npm) or `name==version` (PyPI), as in the header line of formatDiff. */
export function sideLabel(side: Pick<CliDiffSide, 'ecosystem' | 'name' | 'version'>): string {
  return side.ecosystem === 'npm' ? `${side.name}@${side.version}` : `${side.name}==${side.version}`;
}
