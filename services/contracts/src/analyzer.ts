import type { AnalysisJob } from './requests.js';
import type { Stage } from './enums.js';
import type { Report } from './report.js';

/**
 * The seam between the worker and the pipeline (fetch → sandbox → parse → rules). The worker owns
 * queueing, persistence, progress and cancellation; the pipeline owns the analysis itself.
 */
export interface AnalyzeContext {
  /** Aborted on cancellation or worker shutdown: stop the container and throw. */
  signal: AbortSignal;
  /** Fire-and-forget progress: never awaited, never throws. */
  onStage(stage: Stage, percent: number): void;
  /** 1 for the first try; retries of transient failures count up. */
  attempt: number;
  /**
   * The report of the analysis named by `job.baselineAnalysisId`, loaded by the caller: the
   * pipeline diffs against it and adds a `new-behavior` finding for what this version added.
   */
  baseline?: Report;
}

/** Raw evidence kept beside the report (compressed by the store, expired by retention). */
export interface RawEvidence {
  /** e.g. `strace`, `sinkhole-capture`, `stdout`. */
  kind: string;
  phase: string | null;
  data: Buffer;
}

export interface AnalyzeResult {
  report: Report;
  raw: RawEvidence[];
}

export type Analyzer = ((job: AnalysisJob, ctx: AnalyzeContext) => Promise<AnalyzeResult>) & {
  /** A worker calls this once it takes jobs: sandboxes are prepared ahead from then on (warm pool). */
  warm?(): void;
  /** A worker calls this as it shuts down: whatever was prepared ahead is removed. */
  close?(): Promise<void>;
};
