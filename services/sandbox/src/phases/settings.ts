import { loadEnv, type Env } from '@vetbox/config';

/** Time boxes and clock of the execute, idle and next-login phases (see docs/seams.md). */
export interface LaterPhaseSettings {
  /** One call, bin or planted command. */
  callMs: number;
  /** All calls of the execute phase (and all commands of next-login). */
  executeMs: number;
  /** Whether the idle phase runs at all. */
  idle: boolean;
  /** Real time the fast clock runs while something is left running. */
  idleWindowMs: number;
  /** Fake time that passes in that window, seconds. */
  idleSpanS: number;
  /** How far ahead the date is for the second install and import. */
  dateAheadMs: number;
  /** All phases together. */
  budgetMs: number;
}

export function laterPhaseSettings(env: Env = loadEnv()): LaterPhaseSettings {
  return {
    callMs: env.SANDBOX_CALL_MS,
    idle: env.SANDBOX_IDLE,
    executeMs: env.SANDBOX_EXECUTE_MS,
    idleWindowMs: env.SANDBOX_IDLE_WINDOW_MS,
    idleSpanS: env.SANDBOX_IDLE_SPAN_S,
    dateAheadMs: env.SANDBOX_DATE_AHEAD_DAYS * 86_400_000,
    budgetMs: env.SANDBOX_BUDGET_MS,
  };
}
