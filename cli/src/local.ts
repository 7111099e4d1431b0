import { randomUUID } from 'node:crypto';
import { AnalysisJob, VetboxError, type Analyzer, type AnalyzeContext, type PhaseName, type Report, type Stage } from '@vetbox/contracts';
import type { Env } from '@vetbox/config';
import type { Target } from './target.js';

/** What @vetbox/pipeline exports for in-process runs. */
export interface LocalPipeline {
  analyze: Analyzer;
  version: string;
}

/**
 * Loaded on first use: the pipeline pulls in the sandbox, sinkhole and Docker client, which
 * commands that only talk to the API never need. Its Docker-action log lines go to stderr at
 * `warn` unless LOG_LEVEL is set, so a local run shows progress lines, not a log.
 */
export async function loadPipeline(env: Env): Promise<LocalPipeline> {
  const [{ createAnalyzer, ANALYZER_VERSION }, { createLogger }] = await Promise.all([import('@vetbox/pipeline'), import('@vetbox/config')]);
  const level = process.env.LOG_LEVEL ? env.LOG_LEVEL : 'warn';
  const logger = createLogger('vetbox-local', { level, destination: process.stderr });
  return { analyze: createAnalyzer({ logger }), version: ANALYZER_VERSION };
}

/** A job as the worker would receive it, with an id that cannot collide with stored analyses. */
export async function localJob(target: Target, phases: PhaseName[]): Promise<AnalysisJob> {
  const analysisId = `local-${randomUUID()}`;
  if (target.kind === 'registry') {
    return AnalysisJob.parse({
      analysisId,
      artifact: { ecosystem: target.ecosystem, name: target.name, version: target.version, source: 'registry' },
      phases,
      force: true,
    });
  }
  const inspected = await inspectArchive(target.path);
  return AnalysisJob.parse({
    analysisId,
    artifact: {
      ecosystem: inspected.ecosystem,
      name: inspected.name,
      version: inspected.version,
      source: 'upload',
      storedPath: inspected.path,
      sha256: inspected.sha256,
    },
    phases,
    force: true,
  });
}

/** Validates an archive the way the API does for uploads; bad archives fail with a clear message. */
export async function inspectArchive(file: string) {
  const { inspectUpload } = await import('@vetbox/fetch');
  try {
    return await inspectUpload(file);
  } catch (err) {
    if (err instanceof VetboxError) {
      throw new VetboxError(err.code, `${file} is not a usable package archive: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/** One stderr line per stage change, so a long install shows it is alive without flooding. */
export function stagePrinter(write: (line: string) => void, label: string): (stage: Stage, percent: number) => void {
  let last = '';
  return (stage, percent) => {
    if (stage === last) return;
    last = stage;
    write(`${label}: ${stage} (${Math.round(percent)}%)\n`);
  };
}

export interface LocalRunOptions {
  signal: AbortSignal;
  onStage: (stage: Stage, percent: number) => void;
  baseline?: Report;
}

export async function runLocal(pipeline: LocalPipeline, job: AnalysisJob, opts: LocalRunOptions): Promise<Report> {
  const ctx: AnalyzeContext = {
    signal: opts.signal,
    onStage: (stage, percent) => {
      try {
        opts.onStage(stage, percent);
      } catch {
        // progress is best effort (see AnalyzeContext.onStage)
      }
    },
    attempt: 1,
    ...(opts.baseline ? { baseline: opts.baseline } : {}),
  };
  const { report } = await pipeline.analyze(job, ctx);
  return report;
}
