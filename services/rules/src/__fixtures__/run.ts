import type { Finding } from '@vetbox/contracts';
import { evaluate, type Evaluation } from '../evaluate.js';
import { evaluateInput, type BehaviorBuilder, type InputOptions } from './builder.js';

export function run(b: BehaviorBuilder, opts: InputOptions = {}): Evaluation {
  return evaluate(evaluateInput(b.build(), opts));
}

/** Findings of one rule. */
export function fired(result: Evaluation, rule: string): Finding[] {
  return result.findings.filter((f) => f.rule === rule);
}

export function ruleIds(result: Evaluation): string[] {
  return [...new Set(result.findings.map((f) => f.rule))].sort();
}
