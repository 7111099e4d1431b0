import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import yazl from 'yazl';
import { VetboxError } from '@vetbox/contracts';
import { resolveApiKey, type CliContext } from '../context.js';
import { EXIT, usageErrorsExit } from '../exit-codes.js';
import { ApiClient } from '../remote.js';
import { reportFailure } from '../run.js';

interface RangeOptions {
  since?: string;
  until?: string;
  batch?: string;
  output?: string;
  server: string;
}

/** `vetbox export osv|indicators`: what vetbox found, as OSV records or indicators (through the API). */
export function register(program: Command, ctx: CliContext): void {
  const exp = program.command('export').description('share findings: OSV records of malicious and suspicious versions, indicators as JSON or CSV');

  const osv = exp
    .command('osv')
    .description('the OSV 1.6 record of an analysis, or of every malicious or suspicious version analyzed since a date')
    .argument('[analysisId]', 'one analysis (prints its record, or writes it to --output)')
    .option('--since <date>', 'every version whose analysis finished since this date (ISO date or date-time)')
    .option('--until <date>', 'and before this one')
    .option('--batch <id>', 'the versions of one batch (vetbox vet)')
    .option('-o, --output <dir|file.zip>', 'where records go: a directory (one <id>.json each) or a .zip; required with --since/--batch')
    .option('--server <url>', 'vetbox server URL', ctx.env.VETBOX_SERVER)
    .addHelpText('after', '\nA benign analysis has no record (exit 3). Exit codes: 0 written, 3 error.')
    .action(async (id: string | undefined, opts: RangeOptions) => {
      process.exitCode = await runExportOsv(ctx, id, opts);
    });
  usageErrorsExit(osv, EXIT.error);

  const indicators = exp
    .command('indicators')
    .description('indicators (domains, addresses, URLs, file hashes, persistence paths) of an analysis, a batch or a time range')
    .argument('[analysisId]', 'one analysis')
    .option('--since <date>', 'every malicious or suspicious analysis finished since this date')
    .option('--until <date>', 'and before this one')
    .option('--batch <id>', 'the analyses of one batch')
    .option('--format <json|csv>', 'output format', 'json')
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .option('--server <url>', 'vetbox server URL', ctx.env.VETBOX_SERVER)
    .addHelpText('after', '\nExit codes: 0 written, 3 error.')
    .action(async (id: string | undefined, opts: RangeOptions & { format: string }) => {
      process.exitCode = await runExportIndicators(ctx, id, opts);
    });
  usageErrorsExit(indicators, EXIT.error);
}

export async function runExportOsv(ctx: CliContext, id: string | undefined, opts: RangeOptions): Promise<number> {
  try {
    const client = new ApiClient(opts.server, resolveApiKey(ctx.env));
    if (id !== undefined) {
      if (opts.since || opts.until || opts.batch) throw usage('give an analysis id or --since/--batch, not both');
      const record = (await client.getJson(`/v1/analyses/${encodeURIComponent(id)}/osv`)) as { id: string };
      if (!opts.output) ctx.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
      else await writeRecords(opts.output, [record]);
      if (opts.output) ctx.stdout.write(`wrote ${record.id} to ${opts.output}\n`);
      return EXIT.benign;
    }
    if (!opts.output) throw usage('--output <dir|file.zip> is required when exporting more than one record');
    const { records } = (await client.getJson(`/v1/osv?${rangeQuery(opts)}`)) as { records: Array<{ id: string }> };
    await writeRecords(opts.output, records);
    ctx.stdout.write(`wrote ${records.length} OSV record${records.length === 1 ? '' : 's'} to ${opts.output}\n`);
    return EXIT.benign;
  } catch (err) {
    return reportFailure(ctx, 'export osv', err);
  }
}

export async function runExportIndicators(ctx: CliContext, id: string | undefined, opts: RangeOptions & { format: string }): Promise<number> {
  try {
    if (opts.format !== 'json' && opts.format !== 'csv') throw usage(`--format must be json or csv (got ${JSON.stringify(opts.format)})`);
    if (id !== undefined && (opts.since || opts.until || opts.batch)) throw usage('give an analysis id or --since/--batch, not both');
    const client = new ApiClient(opts.server, resolveApiKey(ctx.env));
    const pathname = id !== undefined ? `/v1/analyses/${encodeURIComponent(id)}/indicators?format=${opts.format}` : `/v1/indicators?${rangeQuery(opts)}&format=${opts.format}`;
    const body = opts.format === 'csv' ? await client.getText(pathname, 'text/csv') : `${JSON.stringify(await client.getJson(pathname), null, 2)}\n`;
    if (opts.output) await writeFile(opts.output, body);
    else ctx.stdout.write(body);
    return EXIT.benign;
  } catch (err) {
    return reportFailure(ctx, 'export indicators', err);
  }
}

function usage(message: string): VetboxError {
  return new VetboxError('INVALID_INPUT', message);
}

/** since/until as the API wants them (date-times); a bare date means its start, UTC. */
function rangeQuery(opts: RangeOptions): string {
  if (!opts.since && !opts.batch) throw usage('give an analysis id, --since <date> or --batch <id>');
  const q = new URLSearchParams();
  if (opts.since) q.set('since', dateTime(opts.since, '--since'));
  if (opts.until) q.set('until', dateTime(opts.until, '--until'));
  if (opts.batch) q.set('batch', opts.batch);
  return q.toString();
}

function dateTime(text: string, option: string): string {
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(d.getTime())) throw usage(`${option} ${JSON.stringify(text)} is not a date (e.g. 2026-11-30 or 2026-11-30T12:00:00Z)`);
  return d.toISOString();
}

/** One `<id>.json` per record, in a directory or a zip. Ids are VBX-<year>-<n>: safe file names. */
async function writeRecords(output: string, records: Array<{ id: string }>): Promise<void> {
  const files = records.map((r) => {
    if (!/^[A-Za-z0-9._-]+$/.test(r.id)) throw new VetboxError('INTERNAL', `unexpected record id ${JSON.stringify(r.id)}`);
    return { name: `${r.id}.json`, data: Buffer.from(`${JSON.stringify(r, null, 2)}\n`) };
  });
  if (output.toLowerCase().endsWith('.zip')) {
    const zip = new yazl.ZipFile();
    for (const f of files) zip.addBuffer(f.data, f.name);
    zip.end();
    const out = createWriteStream(output);
    zip.outputStream.pipe(out);
    await once(out, 'close');
    return;
  }
  await mkdir(output, { recursive: true });
  for (const f of files) await writeFile(path.join(output, f.name), f.data);
}
