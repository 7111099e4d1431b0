import path from 'node:path';
import type { Command } from 'commander';
import { VetboxError } from '@vetbox/contracts';
import type { CliContext } from '../context.js';
import { EXIT, usageErrorsExit } from '../exit-codes.js';
import { reportFailure } from '../run.js';

/** `vetbox intel import <dir|zip>`: load a known-malicious list (OSV MAL- records) into the database. */
export function register(program: Command, ctx: CliContext): void {
  const intel = program.command('intel').description('known-malicious lists: OSV MAL- records such as an export of ossf/malicious-packages');
  const command = intel
    .command('import')
    .description('import OSV MAL- records from a directory (searched recursively for .json) or a zip; safe to repeat (needs DATABASE_URL)')
    .argument('<dir|zip>', 'a directory or zip of OSV records')
    .option('--source <name>', 'name of the list (default: the directory or zip name)')
    .option('--date <date>', "the list's date, e.g. 2026-11-30 (default: its newest record's modified time)")
    .option('--json', 'print the import summary as JSON')
    .addHelpText(
      'after',
      '\nRecords are stored once by their OSV id and replaced when their `modified` time changes. Submissions, batch items and registry ' +
        'decisions for a listed version get a critical known-malicious finding; run `vetbox rescore` to apply new records to analyses ' +
        'already stored.\nExit codes: 0 imported, 3 error (unreadable input, database unreachable, usage).',
    )
    .action(async (source: string, opts: { source?: string; date?: string; json?: boolean }) => {
      process.exitCode = await runImport(ctx, source, opts);
    });
  usageErrorsExit(command, EXIT.error);
}

export async function runImport(ctx: CliContext, source: string, opts: { source?: string; date?: string; json?: boolean }): Promise<number> {
  try {
    const date = opts.date === undefined ? undefined : parseDate(opts.date);
    const [{ createPrismaClient }, { importRecords, readRecordFiles }] = await Promise.all([import('@vetbox/db'), import('@vetbox/intel')]);
    const prisma = createPrismaClient({ databaseUrl: ctx.env.DATABASE_URL });
    try {
      const name = opts.source ?? path.basename(path.resolve(source)).replace(/\.zip$/i, '');
      const summary = await importRecords(prisma, readRecordFiles(source), { source: name, ...(date ? { date } : {}) });
      if (opts.json) {
        ctx.stdout.write(`${JSON.stringify(summary)}\n`);
        return EXIT.benign;
      }
      ctx.stdout.write(
        `Imported ${summary.source} (as of ${summary.date.slice(0, 10)}): ${summary.files} files, ${summary.added} records added, ` +
          `${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.withdrawn} withdrawn, ${summary.skipped} skipped.\n`,
      );
      for (const s of summary.skippedExamples.slice(0, 5)) ctx.stdout.write(`  skipped ${s.file}: ${s.reason}\n`);
      if (summary.added + summary.updated > 0) ctx.stdout.write('Run `vetbox rescore` to apply them to analyses already stored.\n');
      return EXIT.benign;
    } finally {
      await prisma.$disconnect();
    }
  } catch (err) {
    return reportFailure(ctx, 'intel import', err);
  }
}

function parseDate(text: string): Date {
  const d = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(d.getTime())) throw new VetboxError('INVALID_INPUT', `--date ${JSON.stringify(text)} is not a date (e.g. 2026-11-30)`);
  return d;
}
