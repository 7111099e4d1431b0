import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { AnalysisIndicators, ExportQuery, IndicatorFormatQuery, VetboxError, type Verdict } from '@vetbox/contracts';
import {
  INDICATOR_CSV_COLUMNS,
  analysisIndicators,
  hasOsvRecord,
  indicatorCsvHeader,
  indicatorCsvRows,
  osvRecordOf,
  storedReport,
  storedReports,
  type ExportRange,
  type OsvLinks,
  type OsvRecord,
  type StoredReport,
} from '@vetbox/share';
import { getAnalysis } from '@vetbox/store';
import { requireRole } from '../auth.js';
import { HttpProblem, notFound } from '../http-problem.js';
import type { OpenApiExtension } from '../openapi.js';
import type { ApiServices } from '../services.js';
import { parseOrThrow } from '../validate.js';

/** A bulk OSV export is held in memory to keep one record per package version: cap it. */
const MAX_OSV_RECORDS = 5_000;

/**
 * What vetbox shares: an analysis's indicators (JSON or CSV) and OSV record, and the same in
 * bulk over a time range or a batch.
 */
export function shareRoutes(s: ApiServices): Router {
  const router = Router();

  router.get('/v1/analyses/:id/indicators', requireRole('read'), async (req, res) => {
    const stored = await mustBeStored(s, req.params.id as string);
    const body = analysisIndicators(stored);
    if (wantsCsv(req, parseOrThrow(IndicatorFormatQuery, req.query, 'query').format)) {
      sendCsv(res, `indicators-${stored.analysisId}.csv`, indicatorCsvHeader() + indicatorCsvRows(body));
      return;
    }
    res.json(body);
  });

  router.get('/v1/analyses/:id/osv', requireRole('read'), async (req, res) => {
    const stored = await mustBeStored(s, req.params.id as string);
    if (!hasOsvRecord(stored.report)) {
      throw notFound(`analysis ${stored.analysisId} is ${stored.report.verdict}: only malicious and suspicious analyses have an OSV record`);
    }
    res.json(await osvRecordOf(s.prisma, stored, links(s, req, stored.analysisId)));
  });

  router.get('/v1/indicators', requireRole('read'), async (req, res) => {
    const q = parseOrThrow(ExportQuery, req.query, 'query');
    const range = rangeOf(q, q.verdict ? [q.verdict] : ['malicious', 'suspicious']);
    const reports = storedReports(s.prisma, range);
    if (wantsCsv(req, q.format)) {
      res.status(200).type('text/csv; charset=utf-8').setHeader('Content-Disposition', 'attachment; filename="indicators.csv"');
      res.write(indicatorCsvHeader());
      for await (const stored of reports) res.write(indicatorCsvRows(analysisIndicators(stored)));
      res.end();
      return;
    }
    // Streamed as one JSON document: { "analyses": [ ... ] }.
    res.status(200).type('application/json');
    res.write('{"analyses":[');
    let first = true;
    for await (const stored of reports) {
      const entry = analysisIndicators(stored);
      if (entry.indicators.length === 0) continue;
      res.write(`${first ? '' : ','}${JSON.stringify(entry)}`);
      first = false;
    }
    res.end(']}');
  });

  router.get('/v1/osv', requireRole('read'), async (req, res) => {
    const q = parseOrThrow(ExportQuery, req.query, 'query');
    if (q.format === 'csv') throw new VetboxError('INVALID_INPUT', 'invalid query: format: OSV records are JSON only');
    if (q.verdict === 'benign') throw new VetboxError('INVALID_INPUT', 'invalid query: verdict: benign analyses have no OSV record');
    // One record per package version: the newest analysis of it in the range wins.
    const byVersion = new Map<string, StoredReport>();
    for await (const stored of storedReports(s.prisma, rangeOf(q, q.verdict ? [q.verdict] : ['malicious', 'suspicious']))) {
      const p = stored.report.package;
      byVersion.set(`${p.ecosystem}\u0000${p.name}\u0000${p.version}`, stored);
      if (byVersion.size > MAX_OSV_RECORDS) {
        throw new VetboxError('INVALID_INPUT', `more than ${MAX_OSV_RECORDS} package versions in this range: narrow it with since/until`);
      }
    }
    const records: OsvRecord[] = [];
    for (const stored of byVersion.values()) records.push(await osvRecordOf(s.prisma, stored, links(s, req, stored.analysisId)));
    res.json({ records });
  });

  return router;
}

async function mustBeStored(s: ApiServices, id: string): Promise<StoredReport> {
  const analysis = await getAnalysis(s.prisma, id);
  if (!analysis) throw notFound(`no analysis ${id}`);
  const stored = analysis.status === 'completed' ? await storedReport(s.prisma, analysis.id) : null;
  if (!stored) throw new HttpProblem(409, 'CONFLICT', `analysis ${id} is ${analysis.status}; its report exists once it has completed`);
  return stored;
}

function rangeOf(q: ExportQuery, verdicts: Verdict[]): ExportRange {
  const since = q.since ? new Date(q.since) : undefined;
  const until = q.until ? new Date(q.until) : undefined;
  if (since && until && since >= until) throw new VetboxError('INVALID_INPUT', 'invalid query: until: must be after since');
  if (!since && !q.batch) throw new VetboxError('INVALID_INPUT', 'invalid query: since: required (an ISO date-time) unless batch names a batch');
  return { ...(since ? { since } : {}), ...(until ? { until } : {}), ...(q.batch ? { batchId: q.batch } : {}), verdicts };
}

function wantsCsv(req: Request, format: 'json' | 'csv' | undefined): boolean {
  if (format) return format === 'csv';
  return req.accepts(['application/json', 'text/csv']) === 'text/csv';
}

function sendCsv(res: Response, filename: string, body: string): void {
  res.status(200).type('text/csv; charset=utf-8').setHeader('Content-Disposition', `attachment; filename="${filename}"`).send(body);
}

/** Absolute links: an OSV record leaves the service, so relative paths would mean nothing. */
function links(s: ApiServices, req: Request, analysisId: string): OsvLinks {
  const base = (s.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`).replace(/\/+$/, '');
  return {
    analysis: `${base}/analyses/${analysisId}`,
    report: `${base}/v1/analyses/${analysisId}/report`,
    indicators: `${base}/v1/analyses/${analysisId}/indicators`,
  };
}

/** Documents the share routes in /openapi.json. */
export const shareOpenApi: OpenApiExtension = (r, { security, problem, authErrors }) => {
  const IdParam = z.object({ id: z.uuid().meta({ description: 'Analysis id' }) });
  const Indicators = AnalysisIndicators.meta({ id: 'AnalysisIndicators' });
  const csv = { 'text/csv': { schema: z.string().meta({ description: `Columns: ${INDICATOR_CSV_COLUMNS.join(', ')}` }) } };
  r.registerPath({
    method: 'get',
    path: '/v1/analyses/{id}/indicators',
    summary: 'Indicators of a completed analysis: domains, addresses and ports, URLs, sha256 of dropped files, persistence paths',
    description:
      'Each indicator backs at least one finding of medium severity or more and names its phase and those findings. Addresses and names of the sandbox and its sinkhole (DNS answers, the LAN, the persona) never appear. JSON, or CSV with `format=csv` or `Accept: text/csv`.',
    security,
    request: { params: IdParam, query: IndicatorFormatQuery },
    responses: { 200: { description: 'The indicators', content: { 'application/json': { schema: Indicators }, ...csv } }, 404: problem('No such analysis'), 409: problem('Not completed (yet)'), ...authErrors() },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/analyses/{id}/osv',
    summary: 'The OSV 1.6 record of a malicious or suspicious analysis',
    description:
      'Id `VBX-<year>-<n>`, the same for every analysis of the package version. `details` tells what the package does phase by phase; `affected` names the package and exact version; `database_specific` carries the verdict, findings, indicators and the analysis link; known-malicious records of the version are `aliases`.',
    security,
    request: { params: IdParam },
    responses: { 200: { description: 'An OSV record (schema 1.6)' }, 404: problem('No such analysis, or it is benign (no record)'), 409: problem('Not completed (yet)'), ...authErrors() },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/indicators',
    summary: 'Indicators of every malicious or suspicious analysis that finished in a time range, or of one batch',
    description: 'JSON `{ analyses: AnalysisIndicators[] }` (analyses without indicators left out), or CSV with one row per indicator. Streamed.',
    security,
    request: { query: ExportQuery },
    responses: { 200: { description: 'Indicators', content: { 'application/json': { schema: z.object({ analyses: z.array(Indicators) }) }, ...csv } }, 400: problem('Neither since nor batch given, or a bad date'), ...authErrors() },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/osv',
    summary: 'OSV records of the malicious and suspicious package versions analyzed in a time range, or in one batch',
    description: `\`{ records: [...] }\`, one record per package version (its newest analysis in the range); at most ${MAX_OSV_RECORDS}.`,
    security,
    request: { query: ExportQuery.omit({ format: true }) },
    responses: { 200: { description: 'OSV records' }, 400: problem('Neither since nor batch given, a bad date, or too many records'), ...authErrors() },
  });
};
