import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { serverUrl } from '../remote.js';

interface ReadyBody {
  status?: string;
  checks?: Record<string, { ok: boolean; ms: number; error?: string }>;
  detail?: string;
}

/** `vetbox status`: is the server up, and are Redis, PostgreSQL and Docker reachable from it? */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('show whether the vetbox server and its dependencies are ready')
    .option('--server <url>', 'vetbox server URL', ctx.env.VETBOX_SERVER)
    .option('--json', 'print the raw /readyz answer')
    .action(async (opts: { server: string; json?: boolean }) => {
      let res: Response;
      try {
        serverUrl(opts.server);
      } catch (err) {
        ctx.stderr.write(`vetbox status: ${(err as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      try {
        res = await fetch(new URL('/readyz', opts.server), { signal: AbortSignal.timeout(10_000) });
      } catch (err) {
        ctx.stderr.write(`cannot reach ${opts.server}: ${(err as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      const body = (await res.json()) as ReadyBody;
      if (opts.json) {
        ctx.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      } else {
        ctx.stdout.write(`${opts.server}: ${res.ok ? 'ready' : 'NOT ready'}\n`);
        for (const [name, check] of Object.entries(body.checks ?? {})) {
          ctx.stdout.write(`  ${check.ok ? 'ok  ' : 'FAIL'} ${name.padEnd(9)} ${check.ok ? `${check.ms} ms` : check.error}\n`);
        }
      }
      if (!res.ok) process.exitCode = 1;
    });
}
