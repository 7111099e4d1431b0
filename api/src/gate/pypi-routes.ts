import { Router, type Response } from 'express';
import { VetboxError } from '@vetbox/contracts';
import { choosePypiFile } from '@vetbox/fetch';
import { filesByVersion, negotiateSimple, renderSimpleProject, servedFiles, simpleHtml, simpleIndex, type GateDecision, type SimpleFile } from '@vetbox/gate';
import { listPypiProjects } from '@vetbox/store';
import { authenticateRegistry, requireRole } from '../auth.js';
import { HttpProblem } from '../http-problem.js';
import { BytesMismatch } from './artifacts.js';
import { RenderedBody, refuseVersion, registryErrors, requestBase, sendArchive, sendRendered, whyUrl } from './http.js';
import { checkPackageName, type Gate } from './service.js';
import { readCapped } from './upstream.js';

/** The file the worker analyzes when a release has several (the same choice as @vetbox/fetch). */
export function chooseAnalyzedFile(files: SimpleFile[]): SimpleFile | undefined {
  const chosen = choosePypiFile(files.map((f) => ({ filename: f.filename, url: f.url, digests: { sha256: f.hashes.sha256 }, yanked: !!f.yanked })));
  return chosen ? files.find((f) => f.filename === chosen.filename) : undefined;
}

const READ_ONLY = 'the vetted registry is read-only: uploads are refused (upload to your upstream index)';

/**
 * The PyPI side of the gate at /registry/pypi: the simple index (PEP 503 HTML and PEP 691 JSON,
 * negotiated) and the files it links, under basic auth with the API key as password.
 */
export function pypiRegistryRoutes(gate: Gate): Router {
  const router = Router();
  const rendered = new Map<string, { fingerprint: string; upstreamSeq: number; body: RenderedBody }>();

  router.use('/registry/pypi', (req, _res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    _res.setHeader('Allow', 'GET, HEAD');
    next(new HttpProblem(405, 'METHOD_NOT_ALLOWED', READ_ONLY));
  });
  router.use('/registry/pypi', authenticateRegistry(gate.s.prisma, 'Basic'), requireRole('read'));

  router.get('/registry/pypi/simple', (req, res) => res.redirect(301, `${req.baseUrl}/registry/pypi/simple/`));
  router.get('/registry/pypi/simple/', async (req, res) => {
    const negotiated = negotiateSimple(req.get('accept'));
    if (!negotiated) throw new HttpProblem(406, 'NOT_ACCEPTABLE', 'the simple index is served as application/vnd.pypi.simple.v1+json or text/html');
    const base = requestBase(req);
    const projects = await listPypiProjects(gate.s.prisma);
    const body = simpleIndex(projects, negotiated.format, (name) => `${base}/registry/pypi/simple/${name}/`);
    sendRendered(req, res, new RenderedBody(Buffer.from(body), negotiated.contentType));
  });

  router.get(/^\/registry\/pypi\/simple\/([^/]+)\/?$/, async (req, res) => {
    const raw = decodeURIComponent((req.params as Record<string, string>)[0]!);
    const name = checkPackageName('pypi', raw);
    // PEP 503: one URL per project, at its normalized name with a trailing slash.
    if (raw !== name || !req.path.endsWith('/')) return res.redirect(301, `/registry/pypi/simple/${name}/`);
    const negotiated = negotiateSimple(req.get('accept'));
    if (!negotiated) throw new HttpProblem(406, 'NOT_ACCEPTABLE', 'project pages are served as application/vnd.pypi.simple.v1+json or text/html');
    const state = await gate.pypiState(name, req.apiKey?.id ?? null);
    if (!state) throw new HttpProblem(404, 'NOT_FOUND', `${name} is not on the upstream index`);
    const base = requestBase(req);
    const key = `${name}\n${negotiated.contentType}\n${base}`;
    let hit = rendered.get(key);
    if (!hit || hit.fingerprint !== state.snapshot.fingerprint || hit.upstreamSeq !== state.upstream.seq) {
      const project = renderSimpleProject(state.upstream.doc, {
        decisions: state.snapshot.decisions,
        fileUrl: (version, filename) => `${base}/registry/pypi/files/${name}/${encodeURIComponent(version)}/${encodeURIComponent(filename)}`,
        chooseFile: chooseAnalyzedFile,
      });
      const body = negotiated.format === 'json' ? JSON.stringify(project) : simpleHtml(project);
      hit = { fingerprint: state.snapshot.fingerprint, upstreamSeq: state.upstream.seq, body: new RenderedBody(Buffer.from(body), negotiated.contentType) };
      rendered.delete(key);
      rendered.set(key, hit);
      if (rendered.size > 1_000) rendered.delete(rendered.keys().next().value as string);
    }
    sendRendered(req, res, hit.body);
  });

  router.get(/^\/registry\/pypi\/files\/([^/]+)\/([^/]+)\/([^/]+)$/, async (req, res) => {
    const [rawName, rawVersion, rawFile] = [0, 1, 2].map((i) => decodeURIComponent((req.params as Record<string, string>)[i]!));
    const name = checkPackageName('pypi', rawName!);
    const version = rawVersion!;
    const metadata = rawFile!.endsWith('.metadata');
    const filename = metadata ? rawFile!.slice(0, -'.metadata'.length) : rawFile!;
    const state = await gate.pypiState(name, req.apiKey?.id ?? null);
    const group = state ? filesByVersion(state.upstream.doc).get(version) : undefined;
    const file = group?.find((f) => f.filename === filename);
    if (!state || !group || !file) throw new HttpProblem(404, 'NOT_FOUND', `${name} ${version} has no file ${filename}`);
    const why = whyUrl(requestBase(req), 'pypi', name, version);
    let decision: GateDecision = state.snapshot.decisions.get(version)!;
    // Metadata (PEP 658) is text that runs nowhere: pip reads it for any listed file, held ones included.
    if (metadata && decision.state !== 'malicious') return sendMetadata(gate, res, name, file);
    if (!decision.served) {
      if (!metadata && decision.shouldQueue && (await gate.queue('pypi', name, [version], { apiKeyId: req.apiKey?.id ?? null })).length > 0) {
        decision = { ...decision, state: 'queued', reason: 'held: queued for analysis just now; try again in a few minutes' };
      }
      gate.record('pypi', name, version, decision);
      return refuseVersion(res, 'pypi', name, version, decision, why);
    }
    if (!servedFiles(group, decision, chooseAnalyzedFile).includes(file)) {
      const refused = { state: decision.state, served: false, reason: `held: vetbox analyzed another file of this release; ${filename} was never analyzed` };
      gate.record('pypi', name, version, refused);
      return refuseVersion(res, 'pypi', name, version, refused, why);
    }
    let artifact;
    try {
      artifact = await gate.artifacts.get(file.url, decision.sha256 ? { analyzedSha256: decision.sha256 } : { sha256: file.hashes.sha256 }, `${name} ${filename}`);
    } catch (err) {
      if (!(err instanceof BytesMismatch)) throw err;
      gate.s.logger.warn({ package: `${name}==${version}`, expected: err.expected, actual: err.actual }, 'upstream bytes differ from the analyzed ones; refused');
      const refused = { state: decision.state, served: false, reason: `blocked: ${err.message}` };
      gate.record('pypi', name, version, refused);
      return refuseVersion(res, 'pypi', name, version, refused, why);
    }
    gate.record('pypi', name, version, decision);
    sendArchive(req, res, artifact);
  });

  router.use('/registry/pypi', registryErrors);
  return router;
}

async function sendMetadata(gate: Gate, res: Response, name: string, file: SimpleFile): Promise<void> {
  if (!file['core-metadata'] && !file['dist-info-metadata']) throw new HttpProblem(404, 'NOT_FOUND', `the upstream index has no metadata file for ${file.filename}`);
  const url = `${file.url.split('#')[0]!.split('?')[0]}.metadata`;
  let upstream: globalThis.Response;
  try {
    upstream = await (gate.config.fetchImpl ?? fetch)(url, { signal: AbortSignal.timeout(30_000), headers: { 'user-agent': 'vetbox-gate' } });
  } catch (err) {
    throw new VetboxError('REGISTRY_UNAVAILABLE', `the upstream index did not answer for the metadata of ${name} ${file.filename}`, { cause: err });
  }
  if (!upstream.ok) {
    await upstream.body?.cancel().catch(() => {});
    throw new VetboxError(upstream.status === 404 ? 'PACKAGE_NOT_FOUND' : 'REGISTRY_UNAVAILABLE', `the upstream index answered HTTP ${upstream.status} for the metadata of ${file.filename}`);
  }
  const body = await readCapped(upstream, 16 * 1024 * 1024, `metadata of ${file.filename}`);
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'private, no-cache');
  res.end(body);
}
