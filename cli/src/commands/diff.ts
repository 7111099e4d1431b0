import type { Command } from 'commander';
import { PHASES, type Report } from '@vetbox/contracts';
import { diffReports, type BehaviorDiff } from '@vetbox/diff';
import type { CliContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { formatDiff } from '../format/diff.js';
import type { ServedDiff } from '../remote.js';
import { interruptSignal, reportFailure, Runner, stdoutToStderr, type RunDeps } from '../run.js';
import { parsePhases, parseTarget } from '../target.js';

export interface DiffOptions {
  local?: boolean;
  json?: boolean;
  phases?: string;
  server: string;
}

function label(report: Report): string {
  const p = report.package;
  return p.ecosystem === 'npm' ? `${p.name}@${p.version}` : `${p.name}==${p.version}`;
}

/** Exit 0 when both analyses finished (whatever they found), 3 otherwise. */
export async function runDiff(ctx: CliContext, specA: string, specB: string, opts: DiffOptions, deps: RunDeps = {}): Promise<number> {
  const interrupt = interruptSignal(ctx, Boolean(opts.local));
  try {
    const [a, b] = [parseTarget(specA), parseTarget(specB)];
    const phases = opts.phases ? parsePhases(opts.phases) : [...PHASES];
    const runner = new Runner(ctx, { local: Boolean(opts.local), phases, server: opts.server }, interrupt.signal, deps);
    let diff: BehaviorDiff | ServedDiff;
    let labels: { base: string; target: string };
    if (opts.local) {
      // One after the other: two sandboxes at once would halve each one's CPU and time budget.
      const [base, target] = await stdoutToStderr(true, async () => [await runner.local(a), await runner.local(b)] as const);
      diff = diffReports(base, target);
      labels = { base: label(base), target: label(target) };
    } else {
      const base = await runner.remote(a);
      const target = await runner.remote(b);
      const served = await runner.client().diff(base.id, target.id);
      if ('unavailable' in served) ctx.stderr.write(`note: the server did not diff these (${served.unavailable}); comparing the two reports here\n`);
      diff = 'diff' in served ? served.diff : diffReports(base.report, target.report);
      labels = { base: label(base.report), target: label(target.report) };
    }
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
  program
    .command('diff')
    .description('compare the behavior of two packages or versions (targets as for analyze)')
    .argument('<targetA>', 'the base (e.g. the version you run today)')
    .argument('<targetB>', 'the version to compare with it')
    .option('--local', 'run both analyses in this process (needs only Docker)')
    .option('--json', 'print the diff as JSON ({ added, removed, ... })')
    .option('--phases <list>', `comma-separated phases to run (--local; default ${PHASES.join(',')})`)
    .option('--server <url>', 'vetbox server URL', ctx.env.VETBOX_SERVER)
    .action(async (a: string, b: string, opts: DiffOptions) => {
      process.exitCode = await runDiff(ctx, a, b, opts);
    });
}
