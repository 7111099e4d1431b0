import type { Command } from 'commander';
import type { Report } from '@vetbox/contracts';
import type { RescoreEvidence } from '@vetbox/store';
import type { CliContext } from '../context.js';
import { EXIT, usageErrorsExit } from '../exit-codes.js';
import { reportFailure } from '../run.js';

/** `vetbox rescore`: re-judge every stored report with the rules this checkout has (after a rules change). */
export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('rescore')
    .description('re-run the current rules, and the imported known-malicious records, over every completed analysis (needs DATABASE_URL)')
    .option('--json', 'print { scanned, changed, invalid, verdictChanged, transitions, knownMalicious } as JSON')
    .addHelpText('after', '\nExit codes: 0 done (whatever changed), 3 error (database unreachable, usage).')
    .action(async (opts: { json?: boolean }) => {
      process.exitCode = await runRescore(ctx, opts);
    });
  usageErrorsExit(command, EXIT.error);
}

export async function runRescore(ctx: CliContext, opts: { json?: boolean }): Promise<number> {
  // Loaded here, not at CLI start: the rules and Prisma are only needed by this command.
  const [{ createPrismaClient }, { canonicalPackageName, rescoreAll }, { findKnownMalicious, listedNames }, { rescoreReport }] = await Promise.all([
    import('@vetbox/db'),
    import('@vetbox/store'),
    import('@vetbox/intel'),
    import('../rescore.js'),
  ]);
  const prisma = createPrismaClient({ databaseUrl: ctx.env.DATABASE_URL });
  try {
    // rescoreAll counts every changed report; verdict changes are what the reader acts on.
    const transitions = new Map<string, number>();
    // Only packages some imported record names are looked up one by one.
    const listed = await listedNames(prisma);
    let knownMalicious = 0;
    const judge = async (report: Report, evidence: RescoreEvidence) => {
      const { ecosystem, name } = report.package;
      const records = listed.has(`${ecosystem}:${canonicalPackageName(ecosystem, name)}`) ? await findKnownMalicious(prisma, report.package) : [];
      const next = rescoreReport(report, records, evidence);
      if (records.length > 0) knownMalicious += 1;
      if (next.verdict !== report.verdict) {
        const key = `${report.verdict} → ${next.verdict}`;
        transitions.set(key, (transitions.get(key) ?? 0) + 1);
      }
      return next;
    };
    const summary = await rescoreAll(prisma, judge, {
      onProgress: (s) => {
        if (!opts.json) ctx.stderr.write(`scanned ${s.scanned} reports, ${s.changed} changed so far\n`);
      },
    });
    const verdictChanged = [...transitions.values()].reduce((a, b) => a + b, 0);
    if (opts.json) {
      ctx.stdout.write(`${JSON.stringify({ ...summary, verdictChanged, transitions: Object.fromEntries(transitions), knownMalicious })}\n`);
    } else {
      ctx.stdout.write(`Rescored ${summary.scanned} reports: ${verdictChanged} changed verdict (${summary.changed} updated in all, counting score and findings).\n`);
      for (const [change, n] of transitions) ctx.stdout.write(`  ${change}: ${n}\n`);
      if (knownMalicious > 0) ctx.stdout.write(`${knownMalicious} analyses are of versions on an imported known-malicious list (known-malicious finding).\n`);
      if (summary.invalid > 0) ctx.stdout.write(`${summary.invalid} stored reports no longer match the report schema and were left as they are.\n`);
    }
    return EXIT.benign;
  } catch (err) {
    return reportFailure(ctx, 'rescore', err);
  } finally {
    await prisma.$disconnect();
  }
}
