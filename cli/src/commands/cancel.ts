import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { resolveApiKey } from '../context.js';
import { EXIT, usageErrorsExit } from '../exit-codes.js';
import { ApiClient } from '../remote.js';
import { reportFailure } from '../run.js';

export interface CancelOptions {
  server: string;
  json?: boolean;
}

/** Exit 0 when the analysis is cancelled; 3 when there is no such analysis, it already ended, or the server is unreachable. */
export async function runCancel(ctx: CliContext, id: string, opts: CancelOptions): Promise<number> {
  try {
    const summary = await new ApiClient(opts.server, resolveApiKey(ctx.env)).cancel(id);
    const { ecosystem, name, version } = summary.package;
    ctx.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : `analysis ${summary.id} (${ecosystem}:${name}@${version}): ${summary.status}\n`);
    return summary.status === 'cancelled' ? EXIT.benign : EXIT.error;
  } catch (err) {
    return reportFailure(ctx, 'cancel', err);
  }
}

/** `vetbox cancel <analysisId>`: stop a queued or running analysis on the server. */
export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('cancel')
    .description('cancel a queued or running analysis on the server (DELETE /v1/analyses/{id})')
    .argument('<analysisId>', 'the id `vetbox analyze` printed')
    .option('--json', 'print the analysis summary after cancelling as JSON')
    .option('--server <url>', 'vetbox server URL', ctx.env.VETBOX_SERVER)
    .addHelpText('after', '\nExit codes: 0 cancelled, 3 error (no such analysis, already ended, server unreachable, usage).')
    .action(async (id: string, opts: CancelOptions) => {
      process.exitCode = await runCancel(ctx, id, opts);
    });
  usageErrorsExit(command, EXIT.error);
}
