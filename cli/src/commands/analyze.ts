import type { Command } from 'commander';
import { PHASES, VetboxError } from '@vetbox/contracts';
import type { CliContext } from '../context.js';
import { exitCodeFor } from '../exit-codes.js';
import { formatReport } from '../format/report.js';
import { interruptSignal, reportFailure, Runner, stdoutToStderr, type RunDeps } from '../run.js';
import { parsePhases, parseTarget } from '../target.js';

export interface AnalyzeOptions {
  local?: boolean;
  json?: boolean;
  phases?: string;
  baseline?: string;
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
    const phases = opts.phases ? parsePhases(opts.phases) : [...PHASES];
    if (!opts.local && opts.phases) ctx.stderr.write('note: --phases applies to --local runs; the server runs its configured phases\n');
    const runner = new Runner(ctx, { local: Boolean(opts.local), phases, baseline: opts.baseline as 'previous' | undefined, server: opts.server }, interrupt.signal, deps);
    const report = await stdoutToStderr(Boolean(opts.local), () => runner.report(target));
    ctx.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return exitCodeFor(report.verdict);
  } catch (err) {
    return reportFailure(ctx, 'analyze', err);
  } finally {
    interrupt.dispose();
  }
}

/** `vetbox analyze <target>`: detonate one package and print its verdict. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('analyze')
    .description('analyze one package: npm:<name>@<version>, pypi:<name>==<version>, or an archive (.tgz, .tar.gz, .zip, .whl)')
    .argument('<target>', 'what to analyze')
    .option('--local', 'run the pipeline in this process (needs only Docker: no API, Redis or PostgreSQL)')
    .option('--json', 'print exactly the report JSON on stdout')
    .option('--phases <list>', `comma-separated phases to run (--local; default ${PHASES.join(',')})`)
    .option('--baseline <which>', '"previous": compare with the previous release and flag new behavior')
    .option('--server <url>', 'vetbox server URL', ctx.env.VETBOX_SERVER)
    .addHelpText(
      'after',
      '\nExit codes: 0 benign, 1 suspicious, 2 malicious, 3 error (bad target, server unreachable, analysis failed).',
    )
    .action(async (spec: string, opts: AnalyzeOptions) => {
      process.exitCode = await runAnalyze(ctx, spec, opts);
    });
}
