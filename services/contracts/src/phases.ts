import { z } from 'zod';
import { PhaseName } from './enums.js';

/**
 * The sandbox's steps runner, started as `/bin/bash -c STEPS_RUNNER bash <script>`: it executes
 * itself again as a plain `bash` reading the script, as the user's shell would. The sandbox runs
 * it and behavior recognizes it as the harness by this exact text, so both take it from here.
 */
export const STEPS_RUNNER = 'exec 3<&0; exec -a bash /bin/bash <<< "$1"';

/**
 * One thing a harness ran on purpose: a call of an exported function or method, a `bin` or
 * console script (execute), or what a planted entry runs (next-login). Events of its pid between
 * `startMs` and `endMs`, and the processes it started, are its doing.
 */
export const CallRecord = z.object({
  phase: PhaseName,
  kind: z.enum(['call', 'bin', 'trigger']),
  /** `loadConfig("vetbox")`, `t-pkg --help`, `login shell: ~/.bashrc`. */
  name: z.string(),
  /** The module the function came from (calls only). */
  of: z.string().optional(),
  pid: z.number().int(),
  startMs: z.number(),
  endMs: z.number().nullable(),
  /** `returned`, `resolved`, `threw`, `timeout`, `exit 0`, ... */
  outcome: z.string(),
  error: z.string().optional(),
});
export type CallRecord = z.infer<typeof CallRecord>;

/** How a file got captured: where it was written, or what it is. */
export const CaptureReason = z.enum(['persistence', 'executable', 'script']);
export type CaptureReason = z.infer<typeof CaptureReason>;

/**
 * The content of a file the package wrote to a persistence location, or a script or executable
 * it dropped: the first 64 KiB (UTF-8 text, else base64) and the sha256 of the whole.
 */
export const CapturedContent = z.object({
  phase: PhaseName,
  path: z.string(),
  reason: CaptureReason,
  size: z.number().int(),
  sha256: z.string(),
  /** Executable format by magic number; `script` for a `#!` file. */
  format: z.enum(['elf', 'pe', 'macho', 'script', 'data']),
  encoding: z.enum(['utf8', 'base64']),
  content: z.string(),
  truncated: z.boolean(),
});
export type CapturedContent = z.infer<typeof CapturedContent>;

/** The fast clock of the idle phase, as the package's processes saw it. */
export const ClockInfo = z.object({
  /** Epoch ms (real) the fast window began and ended; absent when nothing was left running. */
  windowStartMs: z.number().optional(),
  windowEndMs: z.number().optional(),
  /** How many times faster than real time the clock ran in the window. */
  rate: z.number(),
  /** How far the date moved ahead for the second install and import. */
  dateAheadMs: z.number(),
});
export type ClockInfo = z.infer<typeof ClockInfo>;

/**
 * Fake time (ms) the package's clock had run from real epoch ms `from` to `to`: real time
 * outside the idle window, `rate` times as fast inside it.
 */
export function fastClockElapsed(clock: ClockInfo, from: number, to: number): number {
  const ws = clock.windowStartMs;
  const we = clock.windowEndMs;
  if (ws === undefined || we === undefined) return to - from;
  const fake = (t: number) => (t <= ws ? t : t <= we ? ws + (t - ws) * clock.rate : ws + (we - ws) * clock.rate + (t - we));
  return fake(to) - fake(from);
}

/** `15 min`, `3 h`, `2 days`: a fast-clock span as a reader wants it. */
export function humanSpan(ms: number): string {
  const min = ms / 60_000;
  if (min < 1) return `${Math.max(1, Math.round(ms / 1000))} s`;
  if (min < 90) return `${Math.round(min)} min`;
  const h = min / 60;
  return h < 36 ? `${Math.round(h)} h` : `${Math.round(h / 24)} days`;
}

/** The fast-clock trigger of something a process of an earlier phase did at real time `t`. */
export function fastClockTrigger(clock: ClockInfo | undefined, since: number, t: number): string | undefined {
  if (!clock || clock.windowStartMs === undefined || t < clock.windowStartMs) return undefined;
  return `after ${humanSpan(fastClockElapsed(clock, since, t))} (fast clock)`;
}
