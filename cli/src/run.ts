import { VetboxError, type PhaseName, type ProgressEvent, type Report } from '@vetbox/contracts';
import type { CliContext } from './context.js';
import { resolveApiKey } from './context.js';
import { EXIT } from './exit-codes.js';
import { loadPipeline, localJob, runLocal, stagePrinter, type LocalPipeline } from './local.js';
import { AnalysisCancelled, ApiClient, ApiError, failureOf } from './remote.js';
import { describeTarget, type Target } from './target.js';

export interface RunOptions {
  local: boolean;
  phases: PhaseName[];
  baseline?: 'previous';
  /** Server mode: analyze again even when this analyzer version already did (`force: true`). */
  force?: boolean;
  server: string;
}

export interface RemoteResult {
  id: string;
  report: Report;
  /**
   * Asked for `--baseline previous` but the server reused an analysis submitted without one:
   * the caller compares with the previous analyzed version itself (GET .../diff?against=previous).
   */
  comparePrevious: boolean;
}

/** Seams for tests; the defaults are the real pipeline and API client. */
export interface RunDeps {
  loadPipeline?: (env: CliContext['env']) => Promise<LocalPipeline>;
  client?: (server: string, apiKey: string | undefined) => ApiClient;
}

/** One analysis, in-process or through the server; throws on anything that is not a report. */
export class Runner {
  private pipeline?: Promise<LocalPipeline>;

  constructor(
    private readonly ctx: CliContext,
    private readonly opts: RunOptions,
    private readonly signal: AbortSignal,
    private readonly deps: RunDeps = {},
  ) {}

  private progress(line: string): void {
    this.ctx.stderr.write(line);
  }

  private loadPipeline(): Promise<LocalPipeline> {
    this.pipeline ??= (this.deps.loadPipeline ?? loadPipeline)(this.ctx.env).catch((err: unknown) => {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
        throw new VetboxError('INTERNAL', `the in-process pipeline (@vetbox/pipeline) is not available: run npm run build (${(err as Error).message})`);
      }
      throw err;
    });
    return this.pipeline;
  }

  client(): ApiClient {
    const key = resolveApiKey(this.ctx.env);
    return (this.deps.client ?? ((s, k) => new ApiClient(s, k)))(this.opts.server, key);
  }

  async local(target: Target, baseline: 'previous' | null = this.opts.baseline ?? null): Promise<Report> {
    const pipeline = await this.loadPipeline();
    const job = await localJob(target, this.opts.phases);
    const label = describeTarget(target);
    let baselineReport: Report | undefined;
    if (baseline === 'previous') {
      baselineReport = await this.localBaseline(target, job.artifact.version);
      if (baselineReport?.analysisId) job.baselineAnalysisId = baselineReport.analysisId;
    }
    this.progress(`${label}: analyzing in-process (analysis ${job.analysisId}, analyzer ${pipeline.version})\n`);
    return runLocal(pipeline, job, { signal: this.signal, onStage: stagePrinter((l) => this.progress(l), label), baseline: baselineReport });
  }

  /** The previous release, analyzed first so the pipeline can say what this version added. */
  private async localBaseline(target: Target, version: string): Promise<Report | undefined> {
    if (target.kind !== 'registry') {
      throw new VetboxError(
        'INVALID_INPUT',
        '--baseline previous works with registry targets in --local mode (an archive has no registry history); compare two archives with `vetbox diff <old> <new> --local`',
      );
    }
    const { previousVersion } = await import('@vetbox/fetch');
    const previous = await previousVersion(target.ecosystem, target.name, version, {
      signal: this.signal,
      registryUrl: this.ctx.env.NPM_REGISTRY_URL,
      pypiUrl: this.ctx.env.PYPI_URL,
    });
    if (!previous) {
      this.progress(`${describeTarget(target)}: no earlier release to compare with; analyzing without a baseline\n`);
      return undefined;
    }
    const base: Target = { ...target, version: previous };
    this.progress(`${describeTarget(target)}: baseline is ${previous}\n`);
    // The baseline's own baseline is not needed: only its behavior is compared.
    return this.local(base, null);
  }

  async remote(target: Target): Promise<RemoteResult> {
    const client = this.client();
    const label = describeTarget(target);
    const submitted = await client.submit(target, {
      ...(this.opts.baseline ? { baseline: this.opts.baseline } : {}),
      ...(this.opts.force ? { force: true } : {}),
    });
    this.progress(`${label}: analysis ${submitted.id}${submitted.deduplicated ? ' (already analyzed with this analyzer version)' : ''}\n`);
    // A reused analysis answers with the baseline it was submitted with; null there says nothing
    // about whether an earlier version exists.
    const comparePrevious = this.opts.baseline === 'previous' && submitted.deduplicated && !submitted.baseline;
    if (submitted.baseline) this.progress(`${label}: baseline is ${submitted.baseline.version} (analysis ${submitted.baseline.id})\n`);
    else if (comparePrevious) this.progress(`${label}: that analysis ran without a baseline; comparing it with the previous analyzed version instead\n`);
    else if (submitted.baseline === null) this.progress(`${label}: no earlier version to compare with; analyzing without a baseline\n`);
    const onStage = stagePrinter((l) => this.progress(l), label);
    const onProgress = (e: ProgressEvent) => {
      // A cancelled or failed analysis reports stage "done" (100%); the failure line says it instead.
      if (e.status === 'cancelled' || e.status === 'failed') return;
      onStage(e.stage, e.percent);
    };
    const summary = await client.waitForEnd(submitted.id, { signal: this.signal, onProgress }).catch((err: unknown) => {
      if (!this.signal.aborted) throw err;
      // Ctrl-C stops this client only; `vetbox cancel` (DELETE /v1/analyses/{id}) cancels the analysis.
      throw new VetboxError(
        'CANCELLED',
        `stopped following analysis ${submitted.id}; it goes on on the server (${new URL(`/v1/analyses/${submitted.id}`, this.opts.server).href}); \`vetbox cancel ${submitted.id}\` stops it`,
      );
    });
    const failure = failureOf(summary);
    if (failure) throw failure;
    return { id: submitted.id, report: await client.report(submitted.id), comparePrevious };
  }
}

/** Ctrl-C aborts the run (the pipeline stops and removes its containers); a second one exits at once. */
export function interruptSignal(ctx: CliContext, local: boolean): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.error);
    ctx.stderr.write(`interrupted: ${local ? 'stopping the analysis' : 'no longer following the analysis'} (Ctrl-C again to quit now)\n`);
    controller.abort(new VetboxError('CANCELLED', 'interrupted'));
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

/** Our failures as one stderr line; the exit code is always EXIT.error. */
export function reportFailure(ctx: CliContext, command: string, err: unknown): number {
  let message: string;
  // "analysis <id> was cancelled" says it all; the code would only repeat it.
  if (err instanceof AnalysisCancelled) message = err.message;
  else if (err instanceof VetboxError) message = `${err.code}: ${err.message}`;
  else if (err instanceof ApiError) message = err.message;
  else if (err instanceof Error && err.name === 'AbortError') message = 'interrupted';
  // Prisma's messages open with the calling source code; the cause is the last line.
  else if (err instanceof Error && err.name.startsWith('PrismaClient')) message = `database: ${lastLine(err.message)}`;
  else message = err instanceof Error ? err.message : String(err);
  ctx.stderr.write(`vetbox ${command}: ${message}\n`);
  return EXIT.error;
}

function lastLine(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim());
  return (lines.at(-1) ?? text).trim().slice(0, 300);
}

/**
 * Keeps stdout for the result alone while the in-process pipeline runs: anything it or its
 * libraries print (log lines) goes to stderr, so `--json` output stays parseable.
 */
export async function stdoutToStderr<T>(enabled: boolean, fn: () => Promise<T>): Promise<T> {
  if (!enabled) return fn();
  const original = process.stdout.write;
  process.stdout.write = ((...args: Parameters<typeof process.stderr.write>) => process.stderr.write(...args)) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = original;
  }
}
