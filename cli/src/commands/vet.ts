import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { parsePolicy } from '@vetbox/lockfiles';
import { resolveApiKey, type CliContext } from '../context.js';
import { usageErrorsExit } from '../exit-codes.js';
import { serverUrl } from '../remote.js';

/** `vetbox vet` exit codes: CI gates on them. */
export const VET_EXIT = { pass: 0, fail: 1, error: 2 } as const;

export const POLICY_FILE_NAME = 'vetbox.policy.yaml';
const FORMATS = ['text', 'json', 'sarif'] as const;
const FAIL_ON = ['malicious', 'suspicious'] as const;

export interface VetOptions {
  server: string;
  failOn?: string;
  /** Fail packages whose analysis could not run every phase (overrides the policy's failOnIncomplete). */
  failOnIncomplete?: boolean;
  format: string;
  output?: string;
  policy?: string;
  /** Give up waiting after this many minutes (exit 2). */
  timeout: string;
  /** Poll interval in ms (tests make it short). */
  pollMs?: string;
}

class UsageError extends Error {}
class ServerError extends Error {}

interface CreatedBatch {
  id: string;
  format: string;
  total: number;
  queued: number;
  linked: number;
  skipped: Array<{ raw: string; name?: string; line: number; reason: string; message: string }>;
  policy: { failOn: string; exceptions: number };
}

export interface BatchView {
  id: string;
  total: number;
  done: number;
  counts: Record<string, number>;
  pass: boolean | null;
  outcome: 'pass' | 'fail' | 'incomplete';
  summary: string;
  policy: { failOn: string; failOnError: boolean; failOnIncomplete?: boolean; exceptions: number };
  expiredExceptions: Array<{ package: string; rule: string; expires: string }>;
  items: Array<{
    ecosystem: string;
    name: string;
    version: string;
    line?: number;
    policyStatus: string;
    verdict: string | null;
    effectiveVerdict: string | null;
    errorCode?: string;
    incomplete?: boolean;
    topFindings: Array<{ rule: string; severity: string; title?: string }>;
    exceptedFindings: Array<{ rule: string; reason: string; expires: string }>;
  }>;
  skipped: CreatedBatch['skipped'];
}

/** The path the SARIF log names: relative to the working directory (the repository root in CI). */
function reportedPath(file: string): string {
  const relative = path.relative(process.cwd(), path.resolve(file));
  return (relative.startsWith('..') || path.isAbsolute(relative) ? path.basename(file) : relative).split(path.sep).join('/');
}

async function problemText(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { detail?: string; title?: string; code?: string };
    return [body.code, body.detail ?? body.title].filter(Boolean).join(': ') || text.slice(0, 300);
  } catch {
    return text.slice(0, 300) || res.statusText;
  }
}

class VetClient {
  constructor(
    private readonly server: string,
    private readonly key: string | undefined,
  ) {}

  async request(pathname: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.key) headers.set('authorization', `Bearer ${this.key}`);
    let res: Response;
    try {
      res = await fetch(new URL(pathname, this.server), { ...init, headers, signal: init.signal ?? AbortSignal.timeout(120_000) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ServerError(`cannot reach ${this.server}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    if (!res.ok) throw new ServerError(`${init.method ?? 'GET'} ${pathname} answered ${res.status}: ${await problemText(res)}`);
    return res;
  }

  async json<T>(pathname: string, init: RequestInit = {}): Promise<T> {
    return (await (await this.request(pathname, init)).json()) as T;
  }
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Progress on stderr: a redrawn bar on a terminal; on a CI log (not a TTY) one line whenever
 * another tenth is done or 30 s passed, so logs stay short.
 */
export class ProgressBar {
  private readonly startedAt = Date.now();
  private firstDone: { at: number; done: number } | undefined;
  private lastLine = { at: 0, tenth: -1 };

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly now: () => number = Date.now,
  ) {}

  /** ETA from the rate since the first observation (analyses already done at submit do not count). */
  eta(done: number, total: number): number {
    const now = this.now();
    if (!this.firstDone) this.firstDone = { at: now, done };
    const progressed = done - this.firstDone.done;
    const elapsed = (now - this.firstDone.at) / 1000;
    if (progressed <= 0 || elapsed <= 0) return NaN;
    return ((total - done) / progressed) * elapsed;
  }

  render(done: number, total: number): string {
    const width = 30;
    const ratio = total === 0 ? 1 : done / total;
    const filled = Math.round(ratio * width);
    const eta = done >= total ? 'done' : `ETA ${duration(this.eta(done, total))}`;
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} (${Math.floor(ratio * 100)}%) ${eta}, ${duration((this.now() - this.startedAt) / 1000)} elapsed`;
  }

  update(done: number, total: number): void {
    const line = this.render(done, total);
    if (this.out.isTTY) {
      this.out.write(`\r${line}\x1b[K`);
      return;
    }
    const tenth = total === 0 ? 10 : Math.floor((10 * done) / total);
    const now = this.now();
    if (tenth !== this.lastLine.tenth || now - this.lastLine.at >= 30_000) {
      this.out.write(`${line}\n`);
      this.lastLine = { at: now, tenth };
    }
  }

  finish(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

const KNOWN_MALICIOUS = 'known-malicious';

/** The summary table: counts by verdict, then every package that is not a plain pass, known-malicious ones first. */
export function formatSummary(view: BatchView, lockfile: string): string {
  const lines: string[] = [];
  lines.push(`vetbox vet ${lockfile}: ${view.total} package version${view.total === 1 ? '' : 's'}${view.skipped.length ? `, ${view.skipped.length} not vetted` : ''} (fail on ${view.policy.failOn}${view.policy.failOnIncomplete ? ', and on incomplete analyses' : ''})`);
  lines.push('');
  lines.push(`  ${pad('VERDICT', 12)}COUNT`);
  for (const [verdict, n] of Object.entries(view.counts)) if (n > 0 || verdict !== 'pending') lines.push(`  ${pad(verdict, 12)}${n}`);
  // Versions on a known-malicious list come first: no judgment call is needed for them.
  const known = (i: BatchView['items'][number]) => i.topFindings.find((f) => f.rule === KNOWN_MALICIOUS);
  const notable = view.items
    .filter((i) => i.policyStatus !== 'passed' || i.incomplete)
    .sort((a, b) => Number(Boolean(known(b))) - Number(Boolean(known(a))));
  if (notable.length > 0) {
    lines.push('');
    const rows = notable.map((i) => {
      const pkg = i.ecosystem === 'npm' ? `npm:${i.name}@${i.version}` : `pypi:${i.name}==${i.version}`;
      const listed = known(i);
      const findings =
        i.policyStatus === 'excepted'
          ? i.exceptedFindings.map((e) => `${e.rule} excepted until ${e.expires}: ${e.reason}`).join('; ')
          : i.policyStatus === 'error'
            ? `analysis failed${i.errorCode ? ` (${i.errorCode})` : ''}`
            : [
                ...(listed ? [`KNOWN MALICIOUS${listed.title ? ` (${listed.title.replace(/^Known malicious: /, '')})` : ''}`] : []),
                ...i.topFindings.filter((f) => f !== listed).map((f) => `${f.rule} (${f.severity})`),
              ].join(', ');
      const incomplete = i.incomplete ? `incomplete analysis${findings ? '; ' : ''}` : '';
      return [i.policyStatus.toUpperCase(), i.effectiveVerdict ?? 'pending', pkg, i.line !== undefined ? String(i.line) : '', `${incomplete}${findings}` || '—'];
    });
    const header = ['STATUS', 'VERDICT', 'PACKAGE', 'LINE', 'FINDINGS'];
    const widths = header.map((h, c) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[c].length))) + 2);
    lines.push(`  ${header.map((h, c) => (c === header.length - 1 ? h : pad(h, widths[c]))).join('')}`);
    for (const r of rows) lines.push(`  ${r.map((cell, c) => (c === r.length - 1 ? cell : pad(cell, widths[c]))).join('')}`);
  }
  for (const e of view.expiredExceptions) lines.push(`  note: exception for ${e.package} (${e.rule}) expired ${e.expires} and no longer applies`);
  lines.push('');
  lines.push(view.summary);
  return `${lines.join('\n')}\n`;
}

export async function runVet(ctx: CliContext, lockfile: string, opts: VetOptions): Promise<number> {
  let bar: ProgressBar | undefined;
  try {
    if (!FORMATS.includes(opts.format as (typeof FORMATS)[number])) throw new UsageError(`--format must be one of ${FORMATS.join(', ')} (got "${opts.format}")`);
    if (opts.failOn !== undefined && !FAIL_ON.includes(opts.failOn as (typeof FAIL_ON)[number])) {
      throw new UsageError(`--fail-on must be malicious or suspicious (got "${opts.failOn}")`);
    }
    serverUrl(opts.server);
    const timeoutMin = Number(opts.timeout);
    if (!Number.isFinite(timeoutMin) || timeoutMin <= 0) throw new UsageError(`--timeout must be a number of minutes (got "${opts.timeout}")`);
    let content: Buffer;
    try {
      content = fs.readFileSync(lockfile);
    } catch (err) {
      throw new UsageError(`cannot read ${lockfile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    // An explicit --policy, else a vetbox.policy.yaml beside the lockfile.
    const besides = path.join(path.dirname(path.resolve(lockfile)), POLICY_FILE_NAME);
    const policyPath = opts.policy ?? (fs.existsSync(besides) ? besides : undefined);
    let policyText: string | undefined;
    if (policyPath) {
      try {
        policyText = fs.readFileSync(policyPath, 'utf8');
      } catch (err) {
        throw new UsageError(`cannot read policy ${policyPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      try {
        parsePolicy(policyText, policyPath);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      ctx.stderr.write(`policy: ${policyPath}\n`);
    }

    const client = new VetClient(opts.server, resolveApiKey(ctx.env));
    const form = new FormData();
    const name = reportedPath(lockfile);
    form.append('file', new Blob([new Uint8Array(content)]), path.basename(lockfile));
    form.append('filename', name);
    if (opts.failOn) form.append('failOn', opts.failOn);
    if (opts.failOnIncomplete) form.append('failOnIncomplete', 'true');
    if (policyText !== undefined) form.append('policy', new Blob([policyText]), POLICY_FILE_NAME);
    const created = await client.json<CreatedBatch>('/v1/batches', { method: 'POST', body: form });
    ctx.stderr.write(
      `batch ${created.id}: ${created.total} package versions from ${created.format} (${created.linked} already analysed, ${created.queued} queued)\n`,
    );
    for (const s of created.skipped.slice(0, 20)) ctx.stderr.write(`  not vetted, line ${s.line}: ${s.name ?? s.raw} (${s.reason}: ${s.message})\n`);
    if (created.skipped.length > 20) ctx.stderr.write(`  … and ${created.skipped.length - 20} more not vetted\n`);

    bar = new ProgressBar(ctx.stderr);
    const deadline = Date.now() + timeoutMin * 60_000;
    const pollMs = Number(opts.pollMs ?? 1_000);
    for (;;) {
      const progress = await client.json<{ total: number; done: number }>(`/v1/batches/${created.id}?items=none`);
      bar.update(progress.done, progress.total);
      if (progress.done >= progress.total) break;
      if (Date.now() > deadline) throw new ServerError(`gave up after ${opts.timeout} min with ${progress.done}/${progress.total} analysed (batch ${created.id})`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
    bar.finish();
    bar = undefined;

    const view = await client.json<BatchView>(`/v1/batches/${created.id}`);
    const summary = formatSummary(view, name);
    let document: string;
    if (opts.format === 'text') document = summary;
    else {
      const res = await client.request(`/v1/batches/${created.id}/export?format=${opts.format}`);
      document = await res.text();
    }
    if (opts.output) {
      fs.writeFileSync(opts.output, document);
      ctx.stderr.write(`wrote ${opts.format} to ${opts.output}\n`);
      if (opts.format !== 'text') ctx.stdout.write(summary);
    } else {
      ctx.stdout.write(document);
      if (opts.format !== 'text') ctx.stderr.write(summary);
    }
    ctx.stderr.write(`details: ${new URL(`/batches/${created.id}`, opts.server).href}\n`);
    // A gate that vouched for nothing must not pass: every entry was a range, a git or file
    // dependency, or malformed (an empty lockfile, with nothing skipped either, still passes).
    if (view.total === 0 && view.skipped.length > 0) {
      ctx.stderr.write(
        `vetbox vet: FAIL: nothing was vetted: all ${view.skipped.length} entries are unpinned or not registry packages (pin exact versions to vet them)\n`,
      );
      return VET_EXIT.fail;
    }
    return view.outcome === 'pass' ? VET_EXIT.pass : VET_EXIT.fail;
  } catch (err) {
    bar?.finish();
    ctx.stderr.write(`vetbox vet: ${(err as Error).message}\n`);
    return VET_EXIT.error;
  }
}

/** `vetbox vet <lockfile|allowlist>`: vet every dependency; exit 0 when the policy passes, 1 when it fails. */
export function register(program: Command, ctx: CliContext): void {
  const command = program
    .command('vet')
    .description('vet every package of a lockfile or allowlist against the server; exit 0 pass, 1 fail, 2 usage or server error')
    .argument('<lockfile>', 'package-lock.json, npm-shrinkwrap.json, yarn.lock, pnpm-lock.yaml, requirements.txt, poetry.lock, uv.lock, Pipfile.lock or an allowlist')
    .option('--server <url>', 'vetbox server URL', ctx.env.VETBOX_SERVER)
    .option('--fail-on <verdict>', 'fail on "malicious" (policy default) or "suspicious" and worse; overrides the policy')
    .option('--fail-on-incomplete', 'also fail packages whose analysis could not run every phase (a failed install or import); overrides the policy')
    .option('--format <format>', 'text, json or sarif', 'text')
    .option('--output <file>', 'write the report there instead of stdout (the summary still prints)')
    .option('--policy <file>', `policy file (default: ${POLICY_FILE_NAME} next to the lockfile, when there is one)`)
    .option('--timeout <minutes>', 'stop waiting for analyses after this long (exit 2)', '60')
    .addOption(new Option('--poll-ms <ms>', 'progress poll interval').default('1000').hideHelp())
    .addHelpText('after', '\nThe API key comes from VETBOX_API_KEY (or .vetbox/api-key of a local setup).\nExit codes: 0 policy passes, 1 policy fails, 2 usage or server error.')
    .action(async (lockfile: string, opts: VetOptions) => {
      process.exitCode = await runVet(ctx, lockfile, opts);
    });
  // Usage errors exit 2 like every other vet failure.
  usageErrorsExit(command, VET_EXIT.error);
}
