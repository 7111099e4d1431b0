import { Router, type Request, type Response } from 'express';
import { VetboxError } from '@vetbox/contracts';
import { NPM_ABBREVIATED, renderPackument, wantsAbbreviated, type GateDecision, type NpmManifest } from '@vetbox/gate';
import { authenticateRegistry, requireRole } from '../auth.js';
import { HttpProblem } from '../http-problem.js';
import { BytesMismatch } from './artifacts.js';
import { RenderedBody, refuseVersion, registryErrors, requestBase, sendArchive, sendRendered, whyUrl } from './http.js';
import { readCapped } from './upstream.js';
import { checkPackageName, type Gate, type Snapshot } from './service.js';

/** Registry endpoints that pass through to upstream unchanged: audits, signing keys, attestations. */
const PASS_THROUGH: Array<{ method: 'GET' | 'POST'; path: RegExp }> = [
  { method: 'POST', path: /^\/-\/npm\/v1\/security\/advisories\/bulk$/ },
  { method: 'POST', path: /^\/-\/npm\/v1\/security\/audits(?:\/quick)?$/ },
  { method: 'GET', path: /^\/-\/npm\/v1\/keys$/ },
  { method: 'GET', path: /^\/-\/npm\/v1\/attestations\/[^/]+$/ },
];

const READ_ONLY =
  'the vetted registry is read-only: publish, unpublish, dist-tag, deprecate, access, owner, token, login and search requests are refused (publish to your upstream registry)';

type Parsed = { kind: 'packument'; name: string } | { kind: 'tarball'; name: string; file: string } | { kind: 'manifest'; name: string; spec: string };

/** `/<name>`, `/@scope%2fname` (or `%2F`, or `/`), `/<name>/-/<file>.tgz`, `/<name>/<version>`. */
export function parseNpmPath(raw: string): Parsed | null {
  let segments: string[];
  try {
    segments = raw.replace(/^\/+/, '').split('/').map(decodeURIComponent);
  } catch {
    return null;
  }
  if (segments[0]?.includes('/')) segments = [...segments[0].split('/'), ...segments.slice(1)];
  const scoped = segments[0]?.startsWith('@');
  const nameParts = scoped ? 2 : 1;
  if (segments.length < nameParts || segments.slice(0, nameParts).some((s) => !s)) return null;
  const name = segments.slice(0, nameParts).join('/');
  const rest = segments.slice(nameParts);
  if (rest.length === 0) return { kind: 'packument', name };
  if (rest.length === 2 && rest[0] === '-' && rest[1]!.endsWith('.tgz')) return { kind: 'tarball', name, file: rest[1]! };
  if (rest.length === 1 && rest[0]) return { kind: 'manifest', name, spec: rest[0] };
  return null;
}

/**
 * The npm side of the gate at /registry/npm: packuments (abbreviated and full, `Vary: Accept`),
 * tarballs, and the pass-through endpoints; every write and any other `/-/` path is 405.
 */
export function npmRegistryRoutes(gate: Gate): Router {
  const router = Router();
  const rendered = new Map<string, { fingerprint: string; upstreamSeq: number; body: RenderedBody }>();

  router.use('/registry/npm', authenticateRegistry(gate.s.prisma, 'Bearer'), requireRole('read'), async (req, res) => {
    const path = req.path;
    if (path.startsWith('/-/')) return passThrough(gate, req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      throw new HttpProblem(405, 'METHOD_NOT_ALLOWED', READ_ONLY);
    }
    const parsed = parseNpmPath(path);
    if (!parsed) throw new HttpProblem(404, 'NOT_FOUND', `not a registry path: ${path.slice(0, 200)}`);
    const name = checkPackageName('npm', parsed.name);
    const state = await gate.npmState(name, req.apiKey?.id ?? null);
    if (!state) throw new HttpProblem(404, 'NOT_FOUND', `${name} is not on the upstream registry`);
    const base = requestBase(req);
    const { snapshot } = state;

    if (parsed.kind === 'tarball') return sendTarball(gate, req, res, name, parsed.file, state.upstream.doc.versions ?? {}, snapshot);

    const abbreviated = parsed.kind === 'packument' && wantsAbbreviated(req.get('accept'));
    const key = `${name}\n${abbreviated}\n${base}`;
    let hit = rendered.get(key);
    if (!hit || hit.fingerprint !== snapshot.fingerprint || hit.upstreamSeq !== state.upstream.seq) {
      const doc = renderPackument(state.upstream.doc, {
        abbreviated,
        decisions: snapshot.decisions,
        tarballUrl: (version, upstreamTarball) => `${base}/registry/npm/${name}/-/${upstreamTarball.split('/').pop() ?? `${name.split('/').pop()}-${version}.tgz`}`,
        whyUrl: (version) => whyUrl(base, 'npm', name, version),
        upstreamBase: gate.npmBase,
        gateBase: `${base}/registry/npm`,
      });
      hit = { fingerprint: snapshot.fingerprint, upstreamSeq: state.upstream.seq, body: new RenderedBody(Buffer.from(JSON.stringify(doc)), abbreviated ? NPM_ABBREVIATED : 'application/json') };
      rendered.delete(key);
      rendered.set(key, hit);
      if (rendered.size > 1_000) rendered.delete(rendered.keys().next().value as string);
    }
    if (parsed.kind === 'manifest') return sendManifest(req, res, name, parsed.spec, hit.body, base);
    sendRendered(req, res, hit.body);
  });
  router.use('/registry/npm', registryErrors);
  return router;
}

/** `GET /<name>/<version or tag>`: one served version's manifest, as the registry answers it. */
function sendManifest(req: Request, res: Response, name: string, spec: string, body: RenderedBody, base: string): void {
  const doc = JSON.parse(body.body.toString('utf8')) as { versions: Record<string, unknown>; 'dist-tags': Record<string, string>; policyRestrictions?: { versions: Record<string, unknown> } };
  const version = doc['dist-tags'][spec] ?? spec;
  const manifest = doc.versions[version];
  if (!manifest) {
    const held = doc.policyRestrictions?.versions[version];
    throw new HttpProblem(404, 'NOT_FOUND', held ? `${name}@${version} is not served by vetbox; why: ${whyUrl(base, 'npm', name, version)}` : `${name} has no served version ${spec}`);
  }
  sendRendered(req, res, new RenderedBody(Buffer.from(JSON.stringify(manifest)), 'application/json'));
}

async function sendTarball(gate: Gate, req: Request, res: Response, name: string, file: string, versions: Record<string, NpmManifest>, snapshot: Snapshot): Promise<void> {
  const base = requestBase(req);
  const version = Object.keys(versions).find((v) => {
    const upstreamFile = String(versions[v]?.dist?.tarball ?? '').split('/').pop();
    return upstreamFile === file || `${name.split('/').pop()}-${v}.tgz` === file;
  });
  if (!version) throw new HttpProblem(404, 'NOT_FOUND', `${name} has no tarball ${file}`);
  let decision: GateDecision = snapshot.decisions.get(version)!;
  const why = whyUrl(base, 'npm', name, version);
  if (!decision.served) {
    if (decision.shouldQueue && (await gate.queue('npm', name, [version], { apiKeyId: req.apiKey?.id ?? null })).length > 0) {
      decision = { ...decision, state: 'queued', reason: 'held: queued for analysis just now; try again in a few minutes' };
    }
    gate.record('npm', name, version, decision);
    return refuseVersion(res, 'npm', name, version, decision, why);
  }
  const manifest = versions[version]!;
  const upstreamUrl = String(manifest.dist?.tarball ?? '');
  if (!/^https?:\/\//.test(upstreamUrl)) throw new VetboxError('REGISTRY_UNAVAILABLE', `the upstream registry gives no tarball URL for ${name}@${version}`);
  let artifact;
  try {
    artifact = await gate.artifacts.get(
      upstreamUrl,
      decision.sha256
        ? { analyzedSha256: decision.sha256 }
        : { ...(typeof manifest.dist?.integrity === 'string' ? { integrity: manifest.dist.integrity } : {}), ...(typeof manifest.dist?.shasum === 'string' ? { shasum: manifest.dist.shasum } : {}) },
      `${name}@${version}`,
    );
  } catch (err) {
    if (!(err instanceof BytesMismatch)) throw err;
    gate.s.logger.warn({ package: `${name}@${version}`, expected: err.expected, actual: err.actual }, 'upstream bytes differ from the analyzed ones; refused');
    const refused = { state: decision.state, served: false, reason: `blocked: ${err.message}` };
    gate.record('npm', name, version, refused);
    return refuseVersion(res, 'npm', name, version, refused, why);
  }
  gate.record('npm', name, version, decision);
  sendArchive(req, res, artifact);
}

/** Audits, signing keys and attestations: forwarded to upstream as they are. */
async function passThrough(gate: Gate, req: Request, res: Response): Promise<void> {
  const allowed = PASS_THROUGH.find((p) => p.path.test(req.path));
  if (!allowed || (req.method !== allowed.method && !(allowed.method === 'GET' && req.method === 'HEAD'))) {
    res.setHeader('Allow', allowed ? (allowed.method === 'GET' ? 'GET, HEAD' : 'POST') : 'GET, HEAD');
    throw new HttpProblem(405, 'METHOD_NOT_ALLOWED', allowed ? `${req.method} is not allowed on ${req.path}` : `${req.path}: ${READ_ONLY}`);
  }
  const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
  const url = `${gate.npmBase}${req.path}${query}`;
  let upstream: globalThis.Response;
  try {
    upstream = await (gate.config.fetchImpl ?? fetch)(url, {
      method: req.method,
      headers: { accept: req.get('accept') ?? 'application/json', 'content-type': 'application/json', 'user-agent': 'vetbox-gate' },
      ...(req.method === 'POST' ? { body: JSON.stringify(req.body ?? {}) } : {}),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (err) {
    throw new VetboxError('REGISTRY_UNAVAILABLE', `the upstream registry did not answer ${req.method} ${req.path}`, { cause: err });
  }
  const body = await readCapped(upstream, 32 * 1024 * 1024, `${req.method} ${req.path}`);
  res.status(upstream.status);
  res.setHeader('Content-Type', upstream.headers.get('content-type') ?? 'application/json');
  res.setHeader('Cache-Control', 'private, no-cache');
  res.end(body);
}
