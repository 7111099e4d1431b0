import busboy from 'busboy';
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { VetboxError, type Verdict } from '@vetbox/contracts';
import {
  DEFAULT_POLICY,
  FailOn,
  evaluatePolicy,
  parseLockfile,
  parsePolicy,
  policyFromObject,
  summaryLine,
  toCsv,
  toJson,
  toSarif,
  type EvaluatedItem,
  type ParsedLockfile,
  type Policy,
  type PolicyEvaluation,
  type SkippedEntry,
  type VetItem,
  type VetReport,
} from '@vetbox/lockfiles';
import { BATCH_PRIORITY } from '@vetbox/queue';
import {
  abandonBatch,
  batchAnalysisIds,
  createBatch,
  getBatchCounts,
  getBatchState,
  isUuid,
  markBatchFinished,
  type BatchItemRow,
  type BatchState,
} from '@vetbox/store';
import { requireRole } from '../auth.js';
import { notFound } from '../http-problem.js';
import type { OpenApiExtension } from '../openapi.js';
import type { ApiServices } from '../services.js';
import { openEventStream } from '../sse.js';

export interface BatchRouteOptions {
  /** Largest lockfile accepted, in bytes (default 16 MiB). */
  maxBytes?: number;
  /** Most distinct package versions in one batch (default 20,000). */
  maxEntries?: number;
  /** How often the SSE stream re-reads progress when no event arrives (default 2 s). */
  pollMs?: number;
}

export const BATCH_MAX_BYTES = 16 * 1024 * 1024;
export const BATCH_MAX_ENTRIES = 20_000;
const TOP_FINDINGS = 3;
const POLICY_MAX_BYTES = 256 * 1024;
const FILE_NAME_MAX = 300;

const ENDED = new Set(['completed', 'failed', 'cancelled']);

// ---------------------------------------------------------------------------------------------
// Input: what POST /v1/batches accepts

/** JSON body: the lockfile text plus optional name, policy (object or YAML text), baseline. */
export const CreateBatchBody = z
  .object({
    content: z.string().meta({ description: 'The lockfile or allowlist, as text' }),
    filename: z.string().max(FILE_NAME_MAX).optional().meta({ description: 'Its path in the repository (breaks format ties, names SARIF locations)' }),
    policy: z.union([z.string(), z.record(z.string(), z.unknown())]).optional().meta({ description: 'vetbox.policy.yaml as YAML text, or the same as an object' }),
    failOn: FailOn.optional().meta({ description: 'Overrides the policy\'s failOn' }),
    failOnIncomplete: z.boolean().optional().meta({ description: 'Overrides the policy\'s failOnIncomplete: fail packages whose analysis could not run every phase' }),
    baseline: z.string().max(200).optional().meta({ description: '`previous`: every analysis the batch queues is compared with the release before it on the registry (the worker finds, analyzes and diffs it; a `new-behavior` finding names what was added). Other values are stored as a label.' }),
  })
  .strict();

interface BatchSubmission {
  content: Buffer | string;
  fileName?: string;
  policyText?: string;
  policyObject?: unknown;
  failOn?: string;
  failOnIncomplete?: string | boolean;
  baseline?: string;
}

/** A JSON body that is itself a lockfile (package-lock, Pipfile.lock) rather than `{content}`. */
function looksLikeJsonLockfile(body: Record<string, unknown>): boolean {
  return 'lockfileVersion' in body || '_meta' in body || ('packages' in body && !('content' in body));
}

async function readSubmission(req: Request, maxBytes: number): Promise<BatchSubmission> {
  const query = req.query as Record<string, unknown>;
  const queryString = (key: string) => (typeof query[key] === 'string' ? (query[key] as string) : undefined);
  if (req.is('multipart/form-data')) return readMultipart(req, maxBytes);
  if (req.is('application/json')) {
    const body = req.body as unknown;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new VetboxError('INVALID_INPUT', 'invalid batch request: send {"content": "<lockfile text>", ...} or the lockfile as text/plain');
    }
    if (looksLikeJsonLockfile(body as Record<string, unknown>)) {
      // npm writes its lockfiles with two-space indentation, so line numbers survive re-serializing.
      return { content: `${JSON.stringify(body, null, 2)}\n`, fileName: queryString('filename'), failOn: queryString('failOn'), failOnIncomplete: queryString('failOnIncomplete') };
    }
    const parsed = CreateBatchBody.safeParse(body);
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new VetboxError('INVALID_INPUT', `invalid batch request: ${detail}`);
    }
    const b = parsed.data;
    return {
      content: b.content,
      fileName: b.filename,
      ...(typeof b.policy === 'string' ? { policyText: b.policy } : b.policy !== undefined ? { policyObject: b.policy } : {}),
      failOn: b.failOn,
      failOnIncomplete: b.failOnIncomplete,
      baseline: b.baseline,
    };
  }
  // Anything else is the file itself (text/plain, application/octet-stream, application/yaml, ...).
  const declared = Number(req.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.res?.setHeader('Connection', 'close');
    throw tooLarge(maxBytes, declared);
  }
  const raw = await readRaw(req, maxBytes);
  return { content: raw, fileName: queryString('filename'), failOn: queryString('failOn'), failOnIncomplete: queryString('failOnIncomplete'), baseline: queryString('baseline') };
}

function tooLarge(maxBytes: number, size?: number): VetboxError {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  return new VetboxError('ARCHIVE_TOO_LARGE', `lockfile${size !== undefined ? ` of ${mb(size)}` : ''} is larger than the ${mb(maxBytes)} a batch accepts`);
}

const rawParser = (maxBytes: number) => express.raw({ type: () => true, limit: maxBytes });

function readRaw(req: Request, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    rawParser(maxBytes)(req, req.res as Response, (err?: unknown) => {
      if (err) {
        const e = err as { type?: string };
        if (e.type === 'entity.too.large') {
          req.res?.setHeader('Connection', 'close');
          return reject(tooLarge(maxBytes));
        }
        return reject(err);
      }
      resolve(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
    });
  });
}

/** multipart/form-data: `file` (the lockfile), optional `policy` (file or field), `filename`, `failOn`, `baseline`. */
function readMultipart(req: Request, maxBytes: number): Promise<BatchSubmission> {
  const declared = Number(req.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes + POLICY_MAX_BYTES + 64 * 1024) {
    req.res?.setHeader('Connection', 'close');
    throw tooLarge(maxBytes, declared);
  }
  let bb: busboy.Busboy;
  try {
    bb = busboy({ headers: req.headers, limits: { files: 2, fileSize: maxBytes, fields: 10, fieldSize: POLICY_MAX_BYTES, parts: 12 } });
  } catch (err) {
    throw new VetboxError('INVALID_INPUT', `malformed multipart request: ${(err as Error).message}`);
  }
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    const files: Record<string, { data: Buffer; name: string }> = {};
    let failed = false;
    const pending: Promise<void>[] = [];
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      req.unpipe(bb);
      req.res?.setHeader('Connection', 'close');
      req.resume();
      reject(err);
    };
    bb.on('field', (name, value) => {
      fields[name] = value;
    });
    bb.on('file', (field, stream, info) => {
      if (field !== 'file' && field !== 'policy') {
        stream.resume();
        fail(new VetboxError('INVALID_INPUT', `unexpected file field "${field.slice(0, 50)}": send the lockfile as "file" (and a policy as "policy")`));
        return;
      }
      const limit = field === 'policy' ? POLICY_MAX_BYTES : maxBytes;
      const chunks: Buffer[] = [];
      let size = 0;
      pending.push(
        new Promise<void>((done) => {
          stream.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > limit) {
              stream.resume();
              fail(field === 'policy' ? new VetboxError('INVALID_INPUT', `policy is larger than ${POLICY_MAX_BYTES} bytes`) : tooLarge(maxBytes));
              return;
            }
            chunks.push(chunk);
          });
          stream.on('limit', () => fail(tooLarge(maxBytes)));
          stream.on('end', () => {
            files[field] = { data: Buffer.concat(chunks), name: info.filename ?? '' };
            done();
          });
        }),
      );
    });
    bb.on('error', (err: Error) => fail(new VetboxError('INVALID_INPUT', `malformed multipart request: ${err.message}`)));
    bb.on('close', () => {
      void Promise.all(pending).then(() => {
        if (failed) return;
        const file = files.file;
        if (!file) return fail(new VetboxError('INVALID_INPUT', 'multipart batch needs a "file" part with the lockfile'));
        const policyText = files.policy ? files.policy.data.toString('utf8') : fields.policy;
        resolve({
          content: file.data,
          fileName: fields.filename || file.name || undefined,
          ...(policyText !== undefined ? { policyText } : {}),
          failOn: fields.failOn,
          failOnIncomplete: fields.failOnIncomplete,
          baseline: fields.baseline,
        });
      });
    });
    req.pipe(bb);
  });
}

function resolvePolicy(sub: BatchSubmission): Policy {
  let policy: Policy = DEFAULT_POLICY;
  if (sub.policyText !== undefined && sub.policyText.trim() !== '') policy = parsePolicy(sub.policyText, 'policy');
  else if (sub.policyObject !== undefined) policy = policyFromObject(sub.policyObject, 'policy');
  if (sub.failOn !== undefined && sub.failOn !== '') {
    const failOn = FailOn.safeParse(sub.failOn);
    if (!failOn.success) throw new VetboxError('INVALID_INPUT', `invalid batch request: failOn must be "malicious" or "suspicious", got "${sub.failOn.slice(0, 50)}"`);
    policy = { ...policy, failOn: failOn.data };
  }
  if (sub.failOnIncomplete !== undefined && sub.failOnIncomplete !== '') {
    const value = sub.failOnIncomplete;
    if (value !== true && value !== false && value !== 'true' && value !== 'false') {
      throw new VetboxError('INVALID_INPUT', `invalid batch request: failOnIncomplete must be true or false, got "${String(value).slice(0, 50)}"`);
    }
    policy = { ...policy, failOnIncomplete: value === true || value === 'true' };
  }
  return policy;
}

function parseSubmission(sub: BatchSubmission, maxBytes: number, maxEntries: number): ParsedLockfile {
  const size = typeof sub.content === 'string' ? Buffer.byteLength(sub.content) : sub.content.length;
  if (size > maxBytes) throw tooLarge(maxBytes, size);
  const text = typeof sub.content === 'string' ? sub.content : sub.content;
  if (size === 0 || (typeof text === 'string' ? text.trim() === '' : text.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09))) {
    throw new VetboxError('INVALID_INPUT', 'the lockfile is empty');
  }
  const parsed = parseLockfile(sub.content, sub.fileName, { maxLength: maxBytes });
  if (parsed.entries.length === 0 && parsed.skipped.length === 0) {
    throw new VetboxError('INVALID_INPUT', `the ${parsed.format} file lists no packages`);
  }
  if (parsed.entries.length > maxEntries) {
    throw new VetboxError('ARCHIVE_TOO_LARGE', `the lockfile lists ${parsed.entries.length} package versions; a batch takes at most ${maxEntries}`);
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// Output: the batch as the UI, the CLI and the exports see it

export const VERDICT_COUNT_KEYS = ['malicious', 'suspicious', 'benign', 'error', 'pending'] as const;

export interface BatchItemView extends VetItem {
  /** The analysis status (queued, running, completed, failed, cancelled). */
  status: string;
  /** What the policy made of it: failed, passed, excepted, pending, error. */
  policyStatus: string;
  effectiveVerdict: Verdict | null;
  source: 'registry' | 'upload' | null;
  topFindings: Array<{ rule: string; severity: string; title?: string }>;
  exceptedFindings: Array<{ rule: string; severity: string; reason: string; expires: string }>;
  errorCode?: string;
}

function itemOf(row: BatchItemRow): VetItem & { row: BatchItemRow } {
  let verdict: Verdict | null = null;
  if (row.analysisStatus === 'completed') verdict = row.verdict ?? 'error';
  else if (row.analysisStatus === null || row.analysisStatus === 'failed' || row.analysisStatus === 'cancelled') verdict = 'error';
  return {
    ecosystem: row.ecosystem,
    name: row.name,
    version: row.version,
    verdict,
    findings: row.findings.map((f) => ({ rule: f.rule, severity: f.severity, title: f.title, ...(f.evidenceHash ? { evidenceHash: f.evidenceHash } : {}) })),
    ...(row.incomplete ? { incomplete: true } : {}),
    ...(row.line !== null ? { line: row.line } : {}),
    ...(row.analysisId ? { analysisId: row.analysisId } : {}),
    row,
  };
}

const SEVERITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

interface Evaluated {
  state: BatchState;
  policy: Policy;
  evaluation: PolicyEvaluation<VetItem & { row: BatchItemRow }>;
}

function evaluate(state: BatchState, now = new Date()): Evaluated {
  const policy = (state.batch.policy as Policy | null) ?? DEFAULT_POLICY;
  const evaluation = evaluatePolicy(policy, state.items.map(itemOf), now);
  return { state, policy, evaluation };
}

function itemView(item: EvaluatedItem<VetItem & { row: BatchItemRow }>): BatchItemView {
  const { row, ...rest } = item;
  const top = [...item.remainingFindings].sort((a, b) => (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9)).slice(0, TOP_FINDINGS);
  return {
    ecosystem: rest.ecosystem,
    name: rest.name,
    version: rest.version,
    verdict: rest.verdict,
    findings: rest.remainingFindings,
    ...(rest.line !== undefined ? { line: rest.line } : {}),
    analysisId: rest.analysisId,
    status: row.analysisStatus ?? 'missing',
    policyStatus: item.status,
    effectiveVerdict: item.effectiveVerdict,
    source: row.source,
    topFindings: top.map((f) => ({ rule: f.rule, severity: f.severity, ...(f.title ? { title: f.title } : {}) })),
    exceptedFindings: item.exceptedFindings.map((e) => ({ rule: e.finding.rule, severity: e.finding.severity, reason: e.exception.reason, expires: e.exception.expires })),
    ...(row.errorCode && item.verdict === 'error' ? { errorCode: row.errorCode } : {}),
    ...(rest.incomplete ? { incomplete: true } : {}),
  };
}

function verdictCounts(items: ReadonlyArray<{ effectiveVerdict: Verdict | null }>): Record<(typeof VERDICT_COUNT_KEYS)[number], number> {
  const counts = { malicious: 0, suspicious: 0, benign: 0, error: 0, pending: 0 };
  for (const item of items) counts[item.effectiveVerdict ?? 'pending']++;
  return counts;
}

export const batchLinks = (id: string) => ({
  self: `/v1/batches/${id}`,
  events: `/v1/batches/${id}/events`,
  export: `/v1/batches/${id}/export`,
});

/** The batch summary (everything but the items). */
function summaryView(e: Evaluated) {
  const { batch } = e.state;
  const items = e.evaluation.items;
  const done = items.filter((i) => i.verdict !== null).length;
  return {
    id: batch.id,
    status: done === items.length ? 'completed' : 'running',
    format: batch.format,
    fileName: batch.fileName,
    baseline: batch.baseline,
    createdAt: batch.createdAt.toISOString(),
    finishedAt: batch.finishedAt?.toISOString() ?? null,
    total: items.length,
    done,
    counts: verdictCounts(items),
    pass: e.evaluation.outcome === 'incomplete' ? null : e.evaluation.pass,
    outcome: e.evaluation.outcome,
    summary: summaryLine(e.evaluation),
    policy: { failOn: e.policy.failOn, failOnError: e.policy.failOnError, failOnIncomplete: e.policy.failOnIncomplete ?? false, exceptions: e.policy.exceptions.length },
    policyCounts: e.evaluation.counts,
    expiredExceptions: e.evaluation.expiredExceptions,
    unusedExceptions: e.evaluation.unusedExceptions,
    skippedCount: skippedOf(batch).length,
    links: batchLinks(batch.id),
  };
}

function skippedOf(batch: BatchState['batch']): SkippedEntry[] {
  return Array.isArray(batch.skipped) ? (batch.skipped as unknown as SkippedEntry[]) : [];
}

async function load(s: ApiServices, id: string): Promise<Evaluated> {
  const state = await getBatchState(s.prisma, id);
  if (!state) throw notFound(`no batch ${id}`);
  const evaluated = evaluate(state);
  if (!state.batch.finishedAt && evaluated.evaluation.items.every((i) => i.verdict !== null)) {
    await markBatchFinished(s.prisma, id);
  }
  return evaluated;
}

function vetReport(e: Evaluated): VetReport {
  const { batch } = e.state;
  return {
    batchId: batch.id,
    createdAt: batch.createdAt.toISOString(),
    lockfile: { ...(batch.fileName ? { path: batch.fileName } : {}), format: batch.format as NonNullable<VetReport['lockfile']>['format'] },
    evaluation: { ...e.evaluation, items: e.evaluation.items.map(({ row: _row, ...item }) => item) } as PolicyEvaluation,
    skipped: skippedOf(batch),
  };
}

// ---------------------------------------------------------------------------------------------
// Routes

export function batchesRoutes(s: ApiServices, options: BatchRouteOptions = {}): Router {
  const maxBytes = options.maxBytes ?? BATCH_MAX_BYTES;
  const maxEntries = options.maxEntries ?? BATCH_MAX_ENTRIES;
  const router = Router();

  router.post('/v1/batches', requireRole('submit'), async (req, res) => {
    const submission = await readSubmission(req, maxBytes);
    // Everything is validated before a row is written or a job queued.
    const parsed = parseSubmission(submission, maxBytes, maxEntries);
    const policy = resolvePolicy(submission);
    const fileName = submission.fileName?.slice(0, FILE_NAME_MAX);
    const started = Date.now();
    const created = await createBatch(s.prisma, {
      format: parsed.format,
      fileName: fileName ?? null,
      policy,
      baseline: submission.baseline ?? null,
      entries: parsed.entries,
      skipped: parsed.skipped,
      apiKeyId: req.apiKey?.id ?? null,
      analyzerVersion: s.analyzerVersion,
      queue: s.queue.name,
      priority: BATCH_PRIORITY,
      uploadsBy: parsed.format === 'allowlist' ? (req.apiKey?.id ?? null) : null,
    });
    try {
      await s.queue.enqueueBulk(created.jobs, { priority: BATCH_PRIORITY });
    } catch (err) {
      await abandonBatch(s.prisma, created.batch.id, created.jobs.map((j) => j.analysisId), 'REDIS_UNAVAILABLE', 'could not queue the analysis').catch(() => {});
      throw err;
    }
    s.logger.info({ batchId: created.batch.id, total: parsed.entries.length, queued: created.jobs.length, linked: created.linked, ms: Date.now() - started }, 'batch created');
    const links = batchLinks(created.batch.id);
    res.setHeader('Location', links.self);
    res.status(201).json({
      id: created.batch.id,
      status: created.jobs.length === 0 && created.linked === 0 ? 'completed' : 'running',
      format: parsed.format,
      ...(parsed.formatVersion !== undefined ? { formatVersion: parsed.formatVersion } : {}),
      fileName: fileName ?? null,
      total: parsed.entries.length,
      queued: created.jobs.length,
      linked: created.linked,
      policy: { failOn: policy.failOn, failOnError: policy.failOnError, failOnIncomplete: policy.failOnIncomplete ?? false, exceptions: policy.exceptions.length },
      skipped: parsed.skipped,
      links,
    });
  });

  router.get('/v1/batches/:id', requireRole('read'), async (req, res) => {
    const e = await load(s, req.params.id as string);
    const withItems = req.query.items !== 'none';
    res.json({
      ...summaryView(e),
      items: withItems ? e.evaluation.items.map(itemView) : [],
      skipped: skippedOf(e.state.batch),
    });
  });

  router.get('/v1/batches/:id/export', requireRole('read'), async (req, res) => {
    const format = typeof req.query.format === 'string' ? req.query.format : 'json';
    if (!['json', 'csv', 'sarif'].includes(format)) throw new VetboxError('INVALID_INPUT', `invalid query: format must be json, csv or sarif, got "${format.slice(0, 20)}"`);
    const include = req.query.include === 'all' ? 'all' : 'failing';
    const e = await load(s, req.params.id as string);
    const report = vetReport(e);
    const base = `vetbox-batch-${e.state.batch.id}`;
    if (format === 'csv') {
      res.setHeader('Content-Disposition', `attachment; filename="${base}.csv"`);
      res.type('text/csv; charset=utf-8').send(toCsv(report));
    } else if (format === 'sarif') {
      res.setHeader('Content-Disposition', `attachment; filename="${base}.sarif"`);
      res.type('application/sarif+json').send(`${JSON.stringify(toSarif(report, { include }), null, 2)}\n`);
    } else {
      res.setHeader('Content-Disposition', `attachment; filename="${base}.json"`);
      res.type('application/json').send(toJson(report));
    }
  });

  router.get('/v1/batches/:id/events', requireRole('read'), async (req, res) => {
    await streamBatchEvents(s, req, res, req.params.id as string, options.pollMs ?? 2_000);
  });

  return router;
}

/**
 * SSE: a `progress` event ({id, total, done, counts, pass}) whenever an item's analysis ends,
 * then one `end` event with the batch summary once every item has a verdict. Analysis events
 * from Redis trigger a re-count; a slow poll covers events missed while Redis was away.
 */
async function streamBatchEvents(s: ApiServices, req: Request, res: Response, id: string, pollMs: number): Promise<void> {
  const exists = isUuid(id) && (await s.prisma.batch.findUnique({ where: { id }, select: { id: true } })) !== null;
  if (!exists) throw notFound(`no batch ${id}`);
  const analyses = new Set(await batchAnalysisIds(s.prisma, id));
  let lastDone = -1;
  let scheduled: NodeJS.Timeout | undefined;
  const off = s.progress.on('*', (event) => {
    if (analyses.has(event.analysisId) && ENDED.has(event.status)) schedule();
  });
  const stream = openEventStream(req, res, () => {
    off();
    if (scheduled) clearTimeout(scheduled);
  });
  let checking = false;
  const check = async () => {
    if (stream.closed || checking) return;
    checking = true;
    try {
      const c = await getBatchCounts(s.prisma, id);
      if (!c || stream.closed) return;
      if (c.done === lastDone && c.done < c.total) return;
      lastDone = c.done;
      const e = await load(s, id);
      const summary = summaryView(e);
      stream.send('progress', { id, total: summary.total, done: summary.done, counts: summary.counts, pass: summary.pass });
      if (summary.done >= summary.total) {
        stream.send('end', summary);
        stream.end();
      }
    } finally {
      checking = false;
    }
  };
  function schedule() {
    if (scheduled || stream.closed) return;
    scheduled = setTimeout(() => {
      scheduled = undefined;
      void check().catch(() => {});
    }, 200);
  }
  await s.progress.whenReady();
  await check();
  if (stream.closed) return;
  stream.heartbeat(s.sseHeartbeatMs ?? 15_000);
  stream.every(pollMs, () => void check().catch(() => {}));
}

// ---------------------------------------------------------------------------------------------
// OpenAPI

// Response schemas, made once per process: `.meta({ id })` registers them in zod's global registry.
const IdParam = z.object({ id: z.uuid().meta({ description: 'Batch id' }) });
const Skipped = z.object({ raw: z.string(), name: z.string().optional(), line: z.number().int(), reason: z.string(), message: z.string() });
const Counts = z.object({ malicious: z.number().int(), suspicious: z.number().int(), benign: z.number().int(), error: z.number().int(), pending: z.number().int() });
const Links = z.object({ self: z.string(), events: z.string(), export: z.string() });
const Created = z
  .object({
    id: z.uuid(),
    status: z.enum(['running', 'completed']),
    format: z.string(),
    formatVersion: z.string().optional(),
    fileName: z.string().nullable(),
    total: z.number().int().meta({ description: 'Distinct package versions' }),
    queued: z.number().int().meta({ description: 'New analyses queued (at batch priority)' }),
    linked: z.number().int().meta({ description: 'Entries answered by an existing analysis' }),
    policy: z.object({ failOn: FailOn, failOnError: z.boolean(), failOnIncomplete: z.boolean(), exceptions: z.number().int() }),
    skipped: z.array(Skipped),
    links: Links,
  })
  .meta({ id: 'BatchCreated' });
const Item = z.object({
  ecosystem: z.enum(['npm', 'pypi']),
  name: z.string(),
  version: z.string(),
  line: z.number().int().optional(),
  analysisId: z.string().optional(),
  status: z.string().meta({ description: 'Analysis status' }),
  policyStatus: z.enum(['failed', 'passed', 'excepted', 'pending', 'error']),
  verdict: z.string().nullable(),
  effectiveVerdict: z.string().nullable().meta({ description: 'Verdict once policy exceptions removed findings' }),
  source: z.enum(['registry', 'upload']).nullable(),
  topFindings: z.array(z.object({ rule: z.string(), severity: z.string(), title: z.string().optional() })),
  exceptedFindings: z.array(z.object({ rule: z.string(), severity: z.string(), reason: z.string(), expires: z.string() })),
});
const View = z
  .object({
    id: z.uuid(),
    status: z.enum(['running', 'completed']),
    format: z.string(),
    fileName: z.string().nullable(),
    total: z.number().int(),
    done: z.number().int(),
    counts: Counts,
    pass: z.boolean().nullable().meta({ description: 'null while analyses are pending' }),
    outcome: z.enum(['pass', 'fail', 'incomplete']),
    summary: z.string(),
    items: z.array(Item),
    skipped: z.array(Skipped),
    links: Links,
  })
  .meta({ id: 'Batch' });

export const batchesOpenApi: OpenApiExtension = (r, { security, problem, authErrors }) => {
  r.registerPath({
    method: 'post',
    path: '/v1/batches',
    summary: 'Vet a lockfile or allowlist',
    description:
      'The file as text/plain (or any non-JSON type; `?filename=&failOn=` as query), as JSON `{content, filename?, policy?, failOn?, baseline?}`, or as multipart/form-data with a `file` part and optional `policy` (vetbox.policy.yaml), `filename`, `failOn`, `baseline`. The format is detected from the content. Each distinct package version gets one analysis: an existing one (deduplicated) or a new one queued at batch priority. Entries that are not pinned registry packages are listed in `skipped` with a reason. Nothing is stored when the input is rejected.',
    security,
    request: {
      body: {
        required: true,
        content: {
          'text/plain': { schema: z.string() },
          'application/json': { schema: CreateBatchBody },
          'multipart/form-data': {
            schema: z.object({
              file: z.string().meta({ format: 'binary' }),
              policy: z.string().meta({ format: 'binary' }).optional(),
              filename: z.string().optional(),
              failOn: FailOn.optional(),
              baseline: z.string().optional(),
            }),
          },
        },
      },
    },
    responses: {
      201: { description: 'Created; follow `links.events` or poll `links.self`', content: { 'application/json': { schema: Created } }, headers: { Location: { schema: { type: 'string' } } } },
      400: problem('Not a lockfile or allowlist, empty, or an invalid policy'),
      413: problem('Larger than the byte or entry limit'),
      503: problem('Redis or PostgreSQL unavailable'),
      ...authErrors(),
    },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/batches/{id}',
    summary: 'Progress, counts by verdict, policy outcome and the items with their top findings',
    security,
    request: { params: IdParam, query: z.object({ items: z.enum(['none']).optional().meta({ description: '`none` leaves the items out (progress polling)' }) }) },
    responses: { 200: { description: 'The batch', content: { 'application/json': { schema: View } } }, 404: problem('No such batch'), ...authErrors() },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/batches/{id}/events',
    summary: 'Server-Sent Events: `progress` ({total, done, counts, pass}) as analyses end, then `end` with the summary',
    security,
    request: { params: IdParam },
    responses: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } }, 404: problem('No such batch'), ...authErrors() },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/batches/{id}/export',
    summary: 'The policy evaluation as JSON, CSV or SARIF 2.1.0 (results located at lockfile lines)',
    security,
    request: {
      params: IdParam,
      query: z.object({
        format: z.enum(['json', 'csv', 'sarif']).optional(),
        include: z.enum(['failing', 'all']).optional().meta({ description: 'SARIF: only failing results (default) or all, with exceptions as suppressions' }),
      }),
    },
    responses: {
      200: {
        description: 'The export',
        content: { 'application/json': { schema: z.unknown() }, 'text/csv': { schema: z.string() }, 'application/sarif+json': { schema: z.unknown() } },
      },
      400: problem('Unknown format'),
      404: problem('No such batch'),
      ...authErrors(),
    },
  });
};
