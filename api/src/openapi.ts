import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { z } from 'zod';
import * as contracts from '@vetbox/contracts';
import { DiffQuery, Ecosystem, ListAnalysesQuery } from '@vetbox/contracts';
import { shareOpenApi } from './routes/share.js';

// Named components ($ref'd from the paths): zod's own `.meta({ id })`, made once per process
// because ids in zod's global registry must be unique.
const named = {
  SubmitAnalysisBody: contracts.SubmitAnalysisBody.meta({ id: 'SubmitAnalysisBody' }),
  SubmitAnalysisResponse: contracts.SubmitAnalysisResponse.meta({ id: 'SubmitAnalysisResponse' }),
  AnalysisSummary: contracts.AnalysisSummary.meta({ id: 'AnalysisSummary' }),
  AnalysisList: contracts.AnalysisList.meta({ id: 'AnalysisList' }),
  Report: contracts.Report.meta({ id: 'Report' }),
  PackageVersions: contracts.PackageVersions.meta({ id: 'PackageVersions' }),
  ProgressEvent: contracts.ProgressEvent.meta({ id: 'ProgressEvent' }),
  RawArtifactInfo: contracts.RawArtifactInfo.meta({ id: 'RawArtifactInfo' }),
  CreateApiKeyBody: contracts.CreateApiKeyBody.meta({ id: 'CreateApiKeyBody' }),
  AnalysisDiff: contracts.AnalysisDiff.meta({ id: 'AnalysisDiff' }),
  Problem: contracts.Problem.meta({ id: 'Problem' }),
};

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: named.Problem } } });
const json = <T extends z.ZodType>(description: string, schema: T) => ({ description, content: { 'application/json': { schema } } });

const authErrors = () => ({
  401: problem('Missing, malformed, unknown or revoked API key'),
  403: problem('The key\'s role does not allow this request'),
  429: problem('Rate limit of this API key exceeded (see RateLimit headers)'),
});

const IdParam = z.object({ id: z.uuid().meta({ description: 'Analysis id' }) });
const PackageParams = z.object({ ecosystem: Ecosystem, name: z.string().meta({ description: 'Package name; scoped npm names as @scope%2Fname or @scope/name' }) });

/**
 * The OpenAPI document, generated from the same zod schemas (contracts) that validate requests
 * and describe responses: the document cannot drift from what the code accepts.
 */
export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

/** What other routers (batches, diffs) use to document themselves in the same style. */
export interface OpenApiHelpers {
  /** `[{ bearer: [] }]`: the path needs an API key. */
  security: Array<Record<string, string[]>>;
  /** A problem+json response with this description. */
  problem: (description: string) => ReturnType<typeof problem>;
  /** 401, 403 and 429 problem responses. */
  authErrors: typeof authErrors;
  /** The shared named components (Problem, AnalysisSummary, Report, ...). */
  schemas: typeof named;
}

/** Registers more paths and components (e.g. `/v1/batches`) into the API's document. */
export type OpenApiExtension = (registry: OpenAPIRegistry, helpers: OpenApiHelpers) => void;

let cached: OpenApiDocument | undefined;

/** The document of the /v1 API, plus whatever `extensions` add (built once per app). */
export function buildOpenApiDocument(extensions: readonly OpenApiExtension[] = []): OpenApiDocument {
  if (extensions.length > 0) return generate(extensions);
  cached ??= generate([]);
  return cached;
}

function generate(extensions: readonly OpenApiExtension[]): OpenApiDocument {
  const r = new OpenAPIRegistry();
  const bearer = r.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer vbx_...`' });
  const security = [{ [bearer.name]: [] }];

  const { AnalysisDiff, AnalysisList, AnalysisSummary, CreateApiKeyBody, PackageVersions, ProgressEvent, RawArtifactInfo, Report, SubmitAnalysisBody, SubmitAnalysisResponse } = named;

  r.registerPath({
    method: 'post',
    path: '/v1/analyses',
    summary: 'Submit a package for analysis',
    description:
      'A registry release as JSON, or an archive (npm .tgz, sdist, wheel) as multipart/form-data with a `file` part (and optional `force` field). The archive is validated before anything is queued. Answers 202 for a new analysis, 200 with the existing one when the same artifact was already analyzed (or is being analyzed) by this analyzer version, unless `force`. `baseline: "previous"` (a `baseline` form field for uploads) first submits (or reuses) the analysis of the previous version — the release before it on the registry; for uploads the highest analyzed version below it — and links it as the new analysis\'s baseline (`baseline` in the answer; null when there is no earlier version).',
    security,
    request: {
      body: {
        required: true,
        content: {
          'application/json': { schema: SubmitAnalysisBody },
          'multipart/form-data': {
            schema: z.object({
              file: z.string().meta({ format: 'binary' }),
              force: z.enum(['true', 'false']).optional(),
              baseline: z.enum(['previous']).optional().meta({ description: 'Compare with the highest analyzed version of the same package below this one' }),
            }),
          },
        },
      },
    },
    responses: {
      200: json('Deduplicated: the existing analysis answers this submission', SubmitAnalysisResponse),
      202: { ...json('Queued; follow `links.events` or poll `links.self`', SubmitAnalysisResponse), headers: { Location: { schema: { type: 'string' } } } },
      400: problem('Malformed JSON or invalid fields (each named in `errors`)'),
      404: problem('The version does not exist on the registry'),
      413: problem('The upload is larger than UPLOAD_MAX_BYTES, or unpacks to too much'),
      415: problem('Neither JSON nor multipart/form-data'),
      422: problem('The upload is not a valid package archive (unsafe paths, links, not an archive)'),
      502: problem('The registry could not be asked'),
      503: problem('Redis or PostgreSQL unavailable'),
      ...authErrors(),
    },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/analyses',
    summary: 'List analyses, newest first',
    security,
    request: { query: ListAnalysesQuery },
    responses: { 200: json('A page; pass `nextCursor` as `cursor` for the next', AnalysisList), 400: problem('Invalid filter or cursor'), ...authErrors() },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/analyses/{id}',
    summary: 'Status, stage, progress, timings, verdict and score',
    security,
    request: { params: IdParam },
    responses: { 200: json('The analysis', AnalysisSummary), 404: problem('No such analysis'), ...authErrors() },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/analyses/{id}/report',
    summary: 'The full report of a completed analysis',
    security,
    request: { params: IdParam },
    responses: { 200: json('The report', Report), 404: problem('No such analysis'), 409: problem('Not completed (yet)'), ...authErrors() },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/analyses/{id}/events',
    summary: 'Progress as Server-Sent Events',
    description: '`event: progress` (a ProgressEvent) until the analysis ends, then one `event: end` with the AnalysisSummary; the stream then closes.',
    security,
    request: { params: IdParam },
    responses: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: ProgressEvent } } }, 404: problem('No such analysis'), ...authErrors() },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/analyses/{id}/diff',
    summary: 'Behavior diff: what this analysis does that another one (or the previous version) did not',
    description:
      'Both analyses must be completed analyses of the same package. `against=previous` picks the completed analysis of the highest lower version (a stable one when this version is stable). Hosts, processes (argv normalized), files read and written (temp names, random ids, pids and timestamps masked), canaries and findings, each added or removed; `changes` lists them all, added first.',
    security,
    request: { params: IdParam, query: DiffQuery },
    responses: {
      200: json('The diff (`empty` when nothing changed)', AnalysisDiff),
      400: problem('`against` is neither an analysis id nor `previous`'),
      404: problem('No such analysis, or no completed analysis of a lower version (`previous`)'),
      409: problem('One of the two analyses has not completed'),
      422: problem('The analyses are of different packages, or the version cannot be ordered (`previous`)'),
      ...authErrors(),
    },
  });
  r.registerPath({
    method: 'delete',
    path: '/v1/analyses/{id}',
    summary: 'Cancel a queued or running analysis (its container is stopped)',
    security,
    request: { params: IdParam },
    responses: { 200: json('Cancelled', AnalysisSummary), 404: problem('No such analysis'), 409: problem('Already ended'), ...authErrors() },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/analyses/{id}/raw',
    summary: 'Raw evidence of an analysis (admin)',
    security,
    request: { params: IdParam },
    responses: { 200: json('Raw artifacts', z.object({ items: z.array(RawArtifactInfo) })), 404: problem('No such analysis'), ...authErrors() },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/analyses/{id}/raw/{rawId}',
    summary: 'Download one raw artifact, gzip-compressed (admin)',
    security,
    request: { params: IdParam.extend({ rawId: z.uuid() }) },
    responses: { 200: { description: 'application/gzip', content: { 'application/gzip': { schema: z.string().meta({ format: 'binary' }) } } }, 404: problem('No such artifact, or expired'), ...authErrors() },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/packages/{ecosystem}/{name}',
    summary: 'Versions of a package that were analyzed, with their verdicts',
    security,
    request: { params: PackageParams },
    responses: { 200: json('Versions', PackageVersions), 404: problem('Never analyzed'), ...authErrors() },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/packages/{ecosystem}/{name}/{version}',
    summary: 'The latest report of a package version',
    security,
    request: { params: PackageParams.extend({ version: z.string() }) },
    responses: { 200: json('The report', Report), 404: problem('No completed analysis of that version'), ...authErrors() },
  });
  r.registerPath({
    method: 'post',
    path: '/v1/keys',
    summary: 'Create an API key (admin); the key is shown once',
    security,
    request: { body: { content: { 'application/json': { schema: CreateApiKeyBody } } } },
    responses: { 201: { description: 'Created' }, 400: problem('Invalid fields'), ...authErrors() },
  });
  r.registerPath({ method: 'get', path: '/v1/keys', summary: 'List API keys (admin)', security, responses: { 200: { description: 'Keys (never their secrets)' }, ...authErrors() } });
  r.registerPath({
    method: 'delete',
    path: '/v1/keys/{id}',
    summary: 'Revoke an API key (admin)',
    security,
    request: { params: z.object({ id: z.uuid() }) },
    responses: { 204: { description: 'Revoked' }, 404: problem('No such active key'), ...authErrors() },
  });
  r.registerPath({ method: 'get', path: '/healthz', summary: 'Liveness', responses: { 200: { description: 'Up' } } });
  r.registerPath({ method: 'get', path: '/readyz', summary: 'Readiness: Redis, PostgreSQL (and Docker)', responses: { 200: { description: 'Ready' }, 503: problem('A dependency is down') } });
  r.registerPath({ method: 'get', path: '/metrics', summary: 'Prometheus metrics', responses: { 200: { description: 'text/plain; version=0.0.4' } } });

  shareOpenApi(r, { security, problem, authErrors, schemas: named });
  for (const extend of extensions) extend(r, { security, problem, authErrors, schemas: named });

  return new OpenApiGeneratorV31(r.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'vetbox API',
      version: '1',
      description: 'Detonate npm and PyPI packages in a traced sandbox and get an explained verdict. Errors are RFC 9457 application/problem+json.',
    },
    servers: [{ url: '/' }],
  });
}

/** GET /openapi.json and the docs page at /docs (assets served from swagger-ui-dist, no CDN). */
export function openApiRoutes(extensions: readonly OpenApiExtension[] = []): Router {
  const doc = buildOpenApiDocument(extensions);
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(doc);
  });
  router.use('/docs', swaggerUi.serveFiles(doc as object, {}), swaggerUi.setup(doc as object, { customSiteTitle: 'vetbox API' }));
  return router;
}
