import type { HousekeepingSummary, PhaseName } from '@vetbox/contracts';
import { detach } from '@vetbox/trace';

const MAX_EXAMPLES = 5;

/** Per-category counts with a few examples: what the report folds instead of listing. */
export class Housekeeping {
  private readonly byCategory = new Map<string, { count: number; examples: string[] }>();

  fold(category: string, example: string): void {
    let h = this.byCategory.get(category);
    if (h === undefined) {
      h = { count: 0, examples: [] };
      this.byCategory.set(category, h);
    }
    h.count++;
    if (h.examples.length < MAX_EXAMPLES && !h.examples.includes(example)) h.examples.push(detach(example));
  }

  summaries(phase: PhaseName): HousekeepingSummary[] {
    return [...this.byCategory]
      .map(([category, h]) => ({ phase, category, count: h.count, examples: h.examples }))
      .sort((a, b) => b.count - a.count);
  }
}
