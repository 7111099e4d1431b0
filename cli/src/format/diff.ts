import { DIFF_CATEGORIES, type BehaviorDiff, type DiffEntry } from '@vetbox/diff';
import { clean, plural } from './text.js';

function entryLine(sign: '+' | '-', e: DiffEntry): string {
  const phases = e.phases.length > 0 ? `  [${e.phases.join(', ')}]` : '';
  return `${sign} ${e.category.padEnd(9)}  ${clean(e.summary, 200)}${phases}`;
}

/** `vetbox diff` without --json: what the target added (+) first, then what it dropped (-). */
export function formatDiff(diff: Pick<BehaviorDiff, 'added' | 'removed' | 'empty'>, labels: { base: string; target: string }): string {
  const added = DIFF_CATEGORIES.flatMap((c) => diff.added[c]);
  const removed = DIFF_CATEGORIES.flatMap((c) => diff.removed[c]);
  const lines = [
    `${clean(labels.base)} → ${clean(labels.target)}: ${added.length} added, ${removed.length} removed`,
  ];
  if (diff.empty) {
    lines.push('No behavior differences.');
    return `${lines.join('\n')}\n`;
  }
  if (added.length > 0) lines.push('', `Added (${plural(added.length, 'item')})`, ...added.map((e) => entryLine('+', e)));
  if (removed.length > 0) lines.push('', `Removed (${plural(removed.length, 'item')})`, ...removed.map((e) => entryLine('-', e)));
  return `${lines.join('\n')}\n`;
}
