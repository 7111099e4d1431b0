import type { Command } from 'commander';
import { DEFAULT_PHASES, PHASES, VetboxError } from '@vetbox/contracts';
import type { CliContext } from '../context.js';
import { EXIT, exitCodeFor, usageErrorsExit } from '../exit-codes.js';
import { formatDiff, fromServedDiff, sideLabel } from '../format/diff.js';
import { formatReport } from '../format/report.js';
import { interruptSignal, reportFailure, Runner, stdoutToStderr, type RunDeps } from '../run.js';
import { describeTarget, parsePhases, parseTarget, type Target } from '../target.js';

export interface AnalyzeOptions {
  local?: boolean;
  json?: boolean;
  phases?: string;
  baseline?: string;
  force?: boolean;
  server: string;
}

/** The whole command, returning its exit code (verdict-based; 3 for every failure). */
export async function runAnalyze(ctx: CliContext, spec: string, opts: AnalyzeOptions, deps: RunDeps = {}): Promise<number> {
  const interrupt = interruptSignal(ctx, Boolean(opts.local));
  try {
    const target = parseTarget(spec);
    if (opts.baseline !== undefined && opts.baseline !== 'previous') {
      throw new VetboxError('INVALID_INPUT', `--baseline accepts only "previous" (got ${JSON.stringify(opts.baseline)})`);
    }
    const phases = opts.phases ? parsePhases(opts.phases) : [...DEFAULT_PHASES];
    if (!opts.local && opts.phases) ctx.stderr.write('note: --phases applies to --local runs; the server runs its configured phases\n');
    if (opts.local && opts.force) ctx.stderr.write('note: --force applies to server runs; --local always analyzes\n');
    const runner = new Runner(
      ctx,
      { local: Boolean(opts.local), phases, baseline: opts.baseline as 'previous' | undefined, force: Boolean(opts.force), server: opts.server },
      interrupt.signal,
      deps,
    );
    if (opts.local) {
      const report = await stdoutToStderr(true, () => runner.local(target));
      ctx.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
      return exitCodeFor(report.verdict);
    }
    const { id, report, comparePrevious } = await runner.remote(target);
    ctx.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    // --json prints exactly the report, so the comparison goes to stderr there.
    if (comparePrevious) await printPreviousDiff(ctx, runner, target, id, opts.json ? ctx.stderr : ctx.stdout);
    return exitCodeFor(report.verdict);
  } catch (err) {
    return reportFailure(ctx, 'analyze', err);
  } finally {
    interrupt.dispose();
  }
}

/**
 * `--baseline previous` answered by an analysis that ran without one: the server's diff against
 * the previous analyzed version stands in for the baseline comparison. It does not change the
 * exit code (the verdict is the report's); what could not be compared is said on stderr.
 */
async function printPreviousDiff(ctx: CliContext, runner: Runner, target: Target, id: string, out: NodeJS.WritableStream): Promise<void> {
  const label = describeTarget(target);
  try {
    const served = await runner.client().diff('previous', id);
    if ('diff' in served) {
      const diff = fromServedDiff(served.diff);
      out.write(`\nBehavior compared with the previous analyzed version (analysis ${diff.base.id}):\n`);
      out.write(formatDiff(diff, { base: sideLabel(diff.base), target: sideLabel(diff.target) }));
    } else if (served.status === 404) {
      ctx.stderr.write(
        `${label}: the previous version was never analyzed on this server, so there is nothing to compare with; run again with --force to re-analyze with the previous release as baseline\n`,
      );
    } else {
      ctx.stderr.write(`${label}: cannot compare with the previous version (${served.unavailable})\n`);
    }
  } catch (err) {
    ctx.stderr.write(`${label}: cannot compare with the previous version (${(err as Error).message})\n`);
  }
}

/** `vetbox analyze <target>`: detonate one package and print its verdict. */
export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('analyze')
    .description('analyze one package: npm:<name>@<version>, pypi:<name>==<version>, or an archive (.tgz, .tar.gz, .zip, .whl)')
    .argument('<target>', 'what to analyze')
    .option('--local', 'run the pipeline in this process (needs only Docker: no API, Redis or PostgreSQL)')
    .option('--json', 'print exactly the report JSON on stdout')
    .option('--phases <list>', `comma-separated phases to run (--local; ${PHASES.join(',')}; default ${DEFAULT_PHASES.join(',')})`)
    .option('--baseline <which>', '"previous": compare with the previous release and flag new behavior')
    .option('--force', 'analyze again even when the server already analyzed this version (e.g. to add --baseline previous)')
    .option('--server <url>', 'vetbox server URL', ctx.env.VETBOX_SERVER)
    .addHelpText(
      'after',
      '\nExit codes: 0 benign, 1 suspicious, 2 malicious, 3 error (bad target or usage, server unreachable, analysis failed or cancelled).',
    )
    .action(async (spec: string, opts: AnalyzeOptions) => {
      process.exitCode = await runAnalyze(ctx, spec, opts);
    });
  usageErrorsExit(command, EXIT.error);
}
