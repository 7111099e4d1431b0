import type { Command } from 'commander';
import { PHASES } from '@vetbox/contracts';
import type { CliContext } from '../context.js';
import { EXIT, usageErrorsExit } from '../exit-codes.js';
import { formatDiff, fromReports, fromServedDiff, sideLabel, type CliDiff } from '../format/diff.js';
import { interruptSignal, reportFailure, Runner, stdoutToStderr, type RunDeps } from '../run.js';
import { parsePhases, parseTarget } from '../target.js';

export interface DiffOptions {
  local?: boolean;
  json?: boolean;
  phases?: string;
  server: string;
}

/** Exit 0 when both analyses finished (whatever they found), 3 otherwise. */
export async function runDiff(ctx: CliContext, specA: string, specB: string, opts: DiffOptions, deps: RunDeps = {}): Promise<number> {
  const interrupt = interruptSignal(ctx, Boolean(opts.local));
  try {
    const [a, b] = [parseTarget(specA), parseTarget(specB)];
    const phases = opts.phases ? parsePhases(opts.phases) : [...PHASES];
    const runner = new Runner(ctx, { local: Boolean(opts.local), phases, server: opts.server }, interrupt.signal, deps);
    let diff: CliDiff;
    if (opts.local) {
      // One after the other: two sandboxes at once would halve each one's CPU and time budget.
      const [base, target] = await stdoutToStderr(true, async () => [await runner.local(a), await runner.local(b)] as const);
      diff = fromReports(base, target);
    } else {
      const base = await runner.remote(a);
      const target = await runner.remote(b);
      const served = await runner.client().diff(base.id, target.id);
      if ('unavailable' in served) ctx.stderr.write(`note: the server did not diff these (${served.unavailable}); comparing the two reports here\n`);
      diff = 'diff' in served ? fromServedDiff(served.diff) : fromReports(base.report, target.report);
    }
    const labels = { base: sideLabel(diff.base), target: sideLabel(diff.target) };
    ctx.stdout.write(opts.json ? `${JSON.stringify(diff, null, 2)}\n` : formatDiff(diff, labels));
    return EXIT.benign;
  } catch (err) {
    return reportFailure(ctx, 'diff', err);
  } finally {
    interrupt.dispose();
  }
}

/** `vetbox diff <a> <b>`: what b does that a did not, and what it stopped doing. */
export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('diff')
    .description('compare the behavior of two packages or versions (targets as for analyze)')
    .argument('<targetA>', 'the base (e.g. the version you run today)')
    .argument('<targetB>', 'the version to compare with it')
    .option('--local', 'run both analyses in this process (needs only Docker)')
    .option('--json', 'print the diff as JSON ({ package?, base, target, added, removed, changes, empty })')
    .option('--phases <list>', `comma-separated phases to run (--local; default ${PHASES.join(',')})`)
    .option('--server <url>', 'vetbox server URL', ctx.env.VETBOX_SERVER)
    .addHelpText(
      'after',
      '\n--json: { package?, base, target, added, removed, changes, empty }; base and target are { id?, ecosystem, name, version, verdict? }, package only when both are one package.\nExit codes: 0 both analyses finished (whatever they found), 3 error (bad target or usage, server unreachable, analysis failed).',
    )
    .action(async (a: string, b: string, opts: DiffOptions) => {
      process.exitCode = await runDiff(ctx, a, b, opts);
    });
  usageErrorsExit(command, EXIT.error);
}
