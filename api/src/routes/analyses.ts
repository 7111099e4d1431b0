import { readFile, rm } from 'node:fs/promises';
import { Router, type Request, type Response } from 'express';
import {
  ListAnalysesQuery,
  SubmitAnalysisBody,
  VetboxError,
  type AnalysisStatus,
  type AnalysisSummary,
  type BaselineRef,
  type ProgressEvent,
  type SubmitAnalysisResponse,
} from '@vetbox/contracts';
import { isExactVersion } from '@vetbox/fetch';
import { formatPackage } from '@vetbox/lockfiles';
import { publishProgress, sendWebhookInBackground } from '@vetbox/queue';
import {
  TERMINAL,
  analysisLinks,
  artifactInputOf,
  decodeCursor,
  findExistingAnalysisRef,
  getAnalysis,
  getAnalysisSummary,
  getRawArtifact,
  getReportJson,
  listAnalyses,
  listRawArtifacts,
  markCancelled,
  markFailed,
  submitAnalysis,
  webhookTargetForAnalysis,
  type AnalysisWithArtifact,
  type ArtifactInput,
  type SubmitOutcome,
} from '@vetbox/store';
import { requireRole } from '../auth.js';
import { HttpProblem, notFound } from '../http-problem.js';
import { previousAnalyzed } from '../previous.js';
import type { ApiServices } from '../services.js';
import { openEventStream } from '../sse.js';
import { ReportCache } from '../report-cache.js';
import { receiveUpload, storeValidatedUpload } from '../upload.js';
import { parseOrThrow } from '../validate.js';

const isTerminal = (s: AnalysisStatus) => (TERMINAL as readonly string[]).includes(s);

export function analysesRoutes(s: ApiServices): Router {
  const router = Router();

  router.post('/v1/analyses', requireRole('submit'), async (req, res) => {
    if (req.is('multipart/form-data')) return submitUpload(s, req, res);
    if (!req.is('application/json')) {
      throw new HttpProblem(415, 'UNSUPPORTED_MEDIA_TYPE', 'send application/json ({ ecosystem, name, version }) or multipart/form-data with a "file" part');
    }
    const body = parseOrThrow(SubmitAnalysisBody, req.body, 'analysis request');
    if (!isExactVersion(body.ecosystem, body.version)) {
      const example = body.ecosystem === 'npm' ? '1.3.0' : '2.32.3';
      throw new VetboxError(
        'INVALID_INPUT',
        `version ${JSON.stringify(body.version)} is not an exact ${body.ecosystem === 'npm' ? 'semver' : 'PEP 440'} version: name the release to analyze (e.g. ${example}); dist-tags and ranges are not resolved`,
      );
    }
    const artifact: ArtifactInput = { ecosystem: body.ecosystem, name: body.name, version: body.version, source: 'registry' };
    const wantsBaseline = body.baseline === 'previous';
    if (!body.force) {
      const existing = await findExistingAnalysisRef(s.prisma, artifact, s.analyzerVersion);
      if (existing) return respondSubmitted(res, existing, true, wantsBaseline ? await existingBaseline(s, existing.id) : undefined);
    }
    if (!(await s.registry.versionExists(body.ecosystem, body.name, body.version))) {
      throw new VetboxError('PACKAGE_NOT_FOUND', `${formatPackage(body)} does not exist on the registry`);
    }
    let baseline: BaselineRef | null | undefined;
    if (wantsBaseline) {
      const previous = await s.registry.previousVersion(body.ecosystem, body.name, body.version);
      baseline = previous === null ? null : await submitBaseline(s, { ecosystem: body.ecosystem, name: body.name, version: previous, source: 'registry' }, req.apiKey?.id);
    }
    const outcome = await submitAnalysis(s.prisma, {
      artifact,
      analyzerVersion: s.analyzerVersion,
      queue: s.queue.name,
      force: body.force,
      apiKeyId: req.apiKey?.id,
      ...(baseline ? { baselineAnalysisId: baseline.id } : {}),
    });
    await enqueue(s, outcome);
    respondSubmitted(res, outcome.analysis, outcome.deduplicated, baseline);
  });

  router.get('/v1/analyses', requireRole('read'), async (req, res) => {
    const q = parseOrThrow(ListAnalysesQuery, req.query, 'query');
    const cursor = q.cursor ? decodeCursor(q.cursor) : null;
    if (q.cursor && !cursor) throw new VetboxError('INVALID_INPUT', 'invalid query: cursor: not a cursor this API issued');
    const list = await listAnalyses(s.prisma, q, cursor);
    res.json(s.outages ? { ...list, items: await Promise.all(list.items.map((i) => s.outages!.annotate(i))) } : list);
  });

  router.get('/v1/analyses/:id', requireRole('read'), async (req, res) => {
    const analysis = await mustGet(s, req.params.id as string);
    res.json(await annotated(s, await getAnalysisSummary(s.prisma, analysis)));
  });

  const reports = new ReportCache();
  router.get('/v1/analyses/:id/report', requireRole('read'), async (req, res) => {
    const id = req.params.id as string;
    let cached = reports.get(id);
    if (!cached) {
      const json = await getReportJson(s.prisma, id);
      if (json) cached = reports.set(id, json);
    }
    if (cached) {
      res.setHeader('Cache-Control', 'private, max-age=30');
      res.setHeader('ETag', cached.etag);
      if (req.fresh) {
        res.status(304).end();
        return;
      }
      res.type('application/json').send(cached.json);
      return;
    }
    const analysis = await mustGet(s, id);
    throw new HttpProblem(409, 'CONFLICT', `analysis ${id} is ${analysis.status}; its report exists once it has completed`);
  });

  router.get('/v1/analyses/:id/events', requireRole('read'), async (req, res) => {
    await streamEvents(s, req, res, req.params.id as string);
  });

  router.delete('/v1/analyses/:id', requireRole('submit'), async (req, res) => {
    const id = req.params.id as string;
    const result = await markCancelled(s.prisma, id);
    if (!result.found) throw notFound(`no analysis ${id}`);
    if (!result.changed) {
      throw new HttpProblem(409, 'CONFLICT', `analysis ${id} already ended (${result.analysis.status}); only queued or running analyses can be cancelled`);
    }
    const outcome = await s.queue.cancel(id);
    // Followers hear it at once; the worker (when it held the job) confirms with its own event.
    await publishProgress(s.redis, s.queue.name, { analysisId: id, status: 'cancelled', stage: 'done', percent: 100, message: 'cancelled on request' });
    if (outcome !== 'signalled') notifyEnd(s, id, 'cancelled');
    res.json(await getAnalysisSummary(s.prisma, result.analysis));
  });

  router.get('/v1/analyses/:id/raw', requireRole('admin'), async (req, res) => {
    const analysis = await mustGet(s, req.params.id as string);
    const raws = await listRawArtifacts(s.prisma, analysis.id);
    res.json({
      items: raws.map((r) => ({
        id: r.id,
        kind: r.kind,
        phase: r.phase,
        size: r.size,
        createdAt: r.createdAt.toISOString(),
        expiresAt: r.expiresAt?.toISOString() ?? null,
        links: { download: `${analysisLinks(analysis.id).self}/raw/${r.id}` },
      })),
    });
  });

  router.get('/v1/analyses/:id/raw/:rawId', requireRole('admin'), async (req, res) => {
    const id = req.params.id as string;
    const rawId = req.params.rawId as string;
    const analysis = await mustGet(s, id);
    const raw = /^[0-9a-f-]{36}$/i.test(rawId) ? await getRawArtifact(s.prisma, analysis.id, rawId) : null;
    if (!raw) throw notFound(`no raw artifact ${rawId} for analysis ${id} (it may have expired)`);
    const fileName = `${analysis.id}-${raw.kind}${raw.phase ? `-${raw.phase}` : ''}.gz`.replace(/[^A-Za-z0-9._-]/g, '_');
    res.setHeader('Content-Type', 'application/gzip');
    res.setHeader('Content-Disposition', `attachment; filename="${fileName}"`);
    res.setHeader('X-Uncompressed-Size', String(raw.size));
    res.send(raw.gzipped);
  });

  return router;
}

async function mustGet(s: ApiServices, id: string): Promise<AnalysisWithArtifact> {
  const analysis = await getAnalysis(s.prisma, id);
  if (!analysis) throw notFound(`no analysis ${id}`);
  return analysis;
}

function respondSubmitted(res: Response, analysis: { id: string; status: AnalysisStatus }, deduplicated: boolean, baseline?: BaselineRef | null): void {
  const links = analysisLinks(analysis.id);
  const body: SubmitAnalysisResponse = { id: analysis.id, status: analysis.status, deduplicated, links, ...(baseline !== undefined ? { baseline } : {}) };
  res.setHeader('Location', links.self);
  res.status(deduplicated ? 200 : 202).json(body);
}

/**
 * `baseline: "previous"`: the baseline is submitted (or found, by the same dedup as any
 * submission) before the analysis that names it, so the worker can wait for its report.
 */
async function submitBaseline(s: ApiServices, artifact: ArtifactInput, apiKeyId: string | undefined): Promise<BaselineRef> {
  const outcome = await submitAnalysis(s.prisma, { artifact, analyzerVersion: s.analyzerVersion, queue: s.queue.name, apiKeyId });
  await enqueue(s, outcome);
  return { id: outcome.analysis.id, version: outcome.analysis.artifact.version, status: outcome.analysis.status, deduplicated: outcome.deduplicated };
}

/** A deduplicated answer reports the baseline its analysis was submitted with (null: none). */
async function existingBaseline(s: ApiServices, analysisId: string): Promise<BaselineRef | null> {
  const analysis = await getAnalysis(s.prisma, analysisId);
  const base = analysis?.baselineId ? await getAnalysis(s.prisma, analysis.baselineId) : null;
  return base ? { id: base.id, version: base.artifact.version, status: base.status, deduplicated: true } : null;
}

/** A new analysis goes to the queue; if Redis refuses, it is failed rather than left queued forever. */
async function enqueue(s: ApiServices, outcome: SubmitOutcome): Promise<void> {
  if (!outcome.job) return;
  try {
    await s.queue.enqueue(outcome.job);
  } catch (err) {
    await markFailed(s.prisma, outcome.analysis.id, 'REDIS_UNAVAILABLE', 'could not queue the analysis').catch(() => false);
    throw err;
  }
}

async function submitUpload(s: ApiServices, req: Request, res: Response): Promise<void> {
  const upload = await receiveUpload(req, { dataDir: s.dataDir, maxBytes: s.uploadMaxBytes });
  try {
    const force = parseForce(upload.fields.force);
    const wantsBaseline = parseBaseline(upload.fields.baseline);
    const inspected = await s.inspectUpload(upload.tempPath, upload.originalName);
    const artifact: ArtifactInput = {
      ecosystem: inspected.ecosystem,
      name: inspected.name,
      version: inspected.version,
      source: 'upload',
      sha256: inspected.sha256,
      size: inspected.size,
    };
    if (!force) {
      const existing = await findExistingAnalysisRef(s.prisma, artifact, s.analyzerVersion);
      if (existing) return respondSubmitted(res, existing, true, wantsBaseline ? await existingBaseline(s, existing.id) : undefined);
    }
    let baseline: BaselineRef | null | undefined;
    if (wantsBaseline) {
      // Uploads have no registry history: the highest version below this one that was analyzed
      // (or is being analyzed) here, from any source, re-submitted so today's analyzer covers it.
      const previous = await previousAnalyzed(s.prisma, artifact.ecosystem, artifact.name, artifact.version, ['completed', 'queued', 'running']);
      baseline = previous.kind === 'found' ? await submitBaseline(s, artifactInputOf(previous.analysis), req.apiKey?.id) : null;
    }
    // The bytes go to PostgreSQL (workers on other hosts read them there) and to the local store.
    const blob = await readFile(upload.tempPath);
    artifact.storedPath = await storeValidatedUpload(s.dataDir, upload.tempPath, inspected.sha256, inspected.fileName);
    const outcome = await submitAnalysis(s.prisma, {
      artifact,
      analyzerVersion: s.analyzerVersion,
      queue: s.queue.name,
      force,
      apiKeyId: req.apiKey?.id,
      blob,
      ...(baseline ? { baselineAnalysisId: baseline.id } : {}),
    });
    await enqueue(s, outcome);
    respondSubmitted(res, outcome.analysis, outcome.deduplicated, baseline);
  } finally {
    await rm(upload.tempPath, { force: true });
  }
}

function parseForce(value: string | undefined): boolean {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new VetboxError('INVALID_INPUT', 'invalid upload: force: expected "true" or "false"');
}

function parseBaseline(value: string | undefined): boolean {
  if (value === undefined || value === '') return false;
  if (value === 'previous') return true;
  throw new VetboxError('INVALID_INPUT', 'invalid upload: baseline: expected "previous"');
}

/** The summary, with what it waits for when the workers report an outage. */
function annotated(s: ApiServices, summary: AnalysisSummary): Promise<AnalysisSummary> {
  return s.outages ? s.outages.annotate(summary) : Promise.resolve(summary);
}

function notifyEnd(s: ApiServices, id: string, status: AnalysisStatus): void {
  void (async () => {
    const target = await webhookTargetForAnalysis(s.prisma, id);
    const analysis = target ? await getAnalysis(s.prisma, id) : null;
    if (!target || !analysis) return;
    const payload = await getAnalysisSummary(s.prisma, analysis);
    sendWebhookInBackground({ url: target.url, secret: target.secret, event: `analysis.${status}`, payload }, (err) =>
      s.logger.warn({ analysisId: id, err: err.message }, 'webhook delivery failed'),
    );
  })().catch((err: unknown) => s.logger.warn({ analysisId: id, err: (err as Error).message }, 'webhook lookup failed'));
}

/**
 * Server-Sent Events: `progress` events (contracts ProgressEvent) until the analysis ends, then
 * one `end` event carrying the final summary. Subscribes before reading the current state, so no
 * event falls between the two; a slow poll of the database covers events lost while Redis was away.
 */
async function streamEvents(s: ApiServices, req: Request, res: Response, id: string): Promise<void> {
  await mustGet(s, id);
  const buffered: ProgressEvent[] = [];
  let live = false;
  const off = s.progress.on(id, (e) => (live ? forward(e) : buffered.push(e)));
  const stream = openEventStream(req, res, off);
  const finish = async () => {
    if (stream.closed) return;
    const final = await getAnalysis(s.prisma, id);
    if (final) stream.send('end', await getAnalysisSummary(s.prisma, final));
    stream.end();
  };
  function forward(e: ProgressEvent) {
    stream.send('progress', e);
    if (isTerminal(e.status)) void finish().catch(() => res.end());
  }
  const fromRow = (a: AnalysisWithArtifact): ProgressEvent => ({
    analysisId: a.id,
    status: a.status,
    stage: a.stage as ProgressEvent['stage'],
    percent: a.progress,
    ...(a.verdict ? { verdict: a.verdict } : {}),
  });

  await s.progress.whenReady();
  const current = await mustGet(s, id);
  stream.send('progress', fromRow(current));
  if (isTerminal(current.status)) return finish();
  live = true;
  for (const e of buffered.splice(0)) forward(e);

  stream.heartbeat(s.sseHeartbeatMs ?? 15_000);
  stream.every(5_000, () => {
    void getAnalysis(s.prisma, id)
      .then((a) => {
        if (a && isTerminal(a.status) && !stream.closed) {
          stream.send('progress', fromRow(a));
          return finish();
        }
      })
      .catch(() => {});
  });
}
