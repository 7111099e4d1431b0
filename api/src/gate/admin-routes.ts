import express, { Router, type Request } from 'express';
import { CreateGateApprovalBody, Ecosystem, approvalExpiry, type GateApprovalView, type GateDecisionRow, type GateWhy } from '@vetbox/contracts';
import { formatDuration, gatePolicyDocument, parseGatePolicy, PackageOverrideBody, versionSpec } from '@vetbox/gate';
import type { GateApproval } from '@vetbox/db';
import {
  createApproval,
  deletePackagePolicy,
  getGatePolicy,
  isUuid,
  listApprovals,
  listGateDecisions,
  listPackagePolicies,
  revokeApproval,
  saveGatePolicy,
  upsertPackagePolicy,
} from '@vetbox/store';
import { authenticateRegistry, requireRole, roleAllows } from '../auth.js';
import { HttpProblem, notFound } from '../http-problem.js';
import { parseOrThrow } from '../validate.js';
import { registryErrors } from './http.js';
import { checkPackageName, type Gate } from './service.js';

const LIFTABLE = new Set(['suspicious', 'failed', 'cooldown']);

function approvalView(a: GateApproval, now = Date.now()): GateApprovalView {
  return {
    id: a.id,
    ecosystem: a.ecosystem,
    name: a.name,
    version: a.version,
    reason: a.reason,
    expiresAt: a.expiresAt.toISOString(),
    createdAt: a.createdAt.toISOString(),
    revokedAt: a.revokedAt?.toISOString() ?? null,
    active: a.revokedAt === null && a.expiresAt.getTime() > now,
  };
}

/** The decision of one version now, with everything the "why" page shows. Null when upstream has no such version. */
export async function explainVersion(gate: Gate, ecosystem: Ecosystem, rawName: string, version: string, req: Request): Promise<GateWhy | null> {
  const name = checkPackageName(ecosystem, rawName);
  const state = ecosystem === 'npm' ? await gate.npmState(name, req.apiKey?.id ?? null) : await gate.pypiState(name, req.apiKey?.id ?? null);
  let decision = state?.snapshot.decisions.get(version);
  if (!state || !decision) return null;
  // Opening the link of a never-analyzed version queues it, as downloading it would.
  if (decision.shouldQueue && (await gate.queue(ecosystem, name, [version], { apiKeyId: req.apiKey?.id ?? null })).length > 0) {
    decision = { ...decision, state: 'queued', reason: 'held: queued for analysis just now; try again in a few minutes' };
  }
  const listed = state.listed.find((v) => v.version === version);
  const { policy, revision } = state.snapshot;
  const approvable = LIFTABLE.has(decision.state) || decision.state === 'approved';
  return {
    ecosystem,
    name,
    version,
    spec: versionSpec(ecosystem, name, version),
    state: decision.state,
    served: decision.served,
    reason: decision.reason,
    publishedAt: listed?.publishedAt?.toISOString() ?? null,
    availableAt: decision.availableAt?.toISOString() ?? null,
    analysis: decision.analysisId ? { id: decision.analysisId, verdict: decision.verdict ?? null, effectiveVerdict: decision.effectiveVerdict ?? null, link: `/analyses/${decision.analysisId}` } : null,
    approval: decision.approval
      ? { id: decision.approval.id, ecosystem, name, version, reason: decision.approval.reason, expiresAt: decision.approval.expiresAt.toISOString(), createdAt: decision.approval.createdAt.toISOString(), revokedAt: null, active: true }
      : null,
    knownMalicious: decision.knownMalicious ?? null,
    policy: { failOn: policy.failOn, failOnError: policy.failOnError, cooldown: formatDuration(policy.cooldownSeconds), override: policy.override ?? null, revision },
    canApprove: approvable && !!req.apiKey && roleAllows(req.apiKey.role, 'admin'),
    approvable,
  };
}

const WHY_PATH = /^\/registry\/why\/(npm|pypi)\/(.+)\/([^/]+)\/?$/;

/**
 * `/registry/why/{ecosystem}/{name}/{version}`: people (a browser asking for HTML) get the web
 * UI's page, which signs in and asks again for JSON; tools get the JSON with a read key.
 */
export function whyRoutes(gate: Gate): Router {
  const router = Router();
  const auth = authenticateRegistry(gate.s.prisma, 'Bearer');
  router.get(
    WHY_PATH,
    (req, _res, next) => {
      const accept = req.get('accept') ?? '';
      // Browsers fall through to the UI (mounted after the API routes).
      if (accept.includes('text/html') && req.accepts(['json', 'html']) === 'html') return next('router');
      next();
    },
    auth,
    requireRole('read'),
    async (req, res) => {
      const params = req.params as Record<string, string>;
      const ecosystem = params[0] as Ecosystem;
      const [name, version] = [decodeURIComponent(params[1]!), decodeURIComponent(params[2]!)];
      const why = await explainVersion(gate, ecosystem, name, version, req);
      if (!why) throw notFound(`${versionSpec(ecosystem, name, version)} is not on the upstream registry`);
      res.setHeader('Cache-Control', 'private, no-cache');
      res.json(why);
    },
  );
  router.use('/registry/why', registryErrors);
  return router;
}

const PACKAGE_PATH = /^\/v1\/gate\/packages\/(npm|pypi)\/(.+)$/;

/** /v1/gate: the registry's policy, per-package overrides, approvals and decision log. */
export function gateAdminRoutes(gate: Gate): Router {
  const router = Router();
  const s = gate.s;
  const policyBody = express.text({ type: ['text/*', 'application/yaml', 'application/x-yaml'], limit: '256kb' });

  router.get('/v1/gate/policy', requireRole('read'), async (_req, res) => {
    const [{ policy, revision }, stored, packages, approvals] = await Promise.all([gate.deploymentPolicy(), getGatePolicy(s.prisma), listPackagePolicies(s.prisma), listApprovals(s.prisma)]);
    res.json({
      policy: gatePolicyDocument(policy),
      revision,
      updatedAt: stored?.updatedAt.toISOString() ?? null,
      packages: packages.map((p) => ({
        ecosystem: p.ecosystem,
        name: p.name,
        failOn: p.failOn,
        failOnError: p.failOnError,
        cooldown: p.cooldownSeconds === null ? null : formatDuration(p.cooldownSeconds),
        reason: p.reason,
        updatedAt: p.updatedAt.toISOString(),
      })),
      approvals: approvals.map((a) => approvalView(a)),
    });
  });

  router.put('/v1/gate/policy', requireRole('admin'), policyBody, async (req, res) => {
    const policy = parseGatePolicy(typeof req.body === 'string' ? req.body : (req.body ?? {}), 'gate policy');
    const stored = await saveGatePolicy(s.prisma, gatePolicyDocument(policy), req.apiKey?.id ?? null);
    gate.invalidate();
    res.json({ policy: gatePolicyDocument(policy), revision: stored.revision, updatedAt: stored.updatedAt.toISOString() });
  });

  router.put(PACKAGE_PATH, requireRole('admin'), async (req, res) => {
    const params = req.params as Record<string, string>;
    const ecosystem = params[0] as Ecosystem;
    const name = checkPackageName(ecosystem, decodeURIComponent(params[1]!));
    const body = parseOrThrow(PackageOverrideBody, req.body, 'package policy');
    const row = await upsertPackagePolicy(s.prisma, ecosystem, name, { failOn: body.failOn, failOnError: body.failOnError, cooldownSeconds: body.cooldown, reason: body.reason }, req.apiKey?.id ?? null);
    gate.invalidate();
    res.json({ ecosystem, name: row.name, failOn: row.failOn, failOnError: row.failOnError, cooldown: row.cooldownSeconds === null ? null : formatDuration(row.cooldownSeconds), reason: row.reason });
  });

  router.delete(PACKAGE_PATH, requireRole('admin'), async (req, res) => {
    const params = req.params as Record<string, string>;
    const ecosystem = params[0] as Ecosystem;
    const name = checkPackageName(ecosystem, decodeURIComponent(params[1]!));
    if (!(await deletePackagePolicy(s.prisma, ecosystem, name))) throw notFound(`${name} has no package policy`);
    gate.invalidate();
    res.status(204).end();
  });

  router.get('/v1/gate/approvals', requireRole('read'), async (req, res) => {
    const approvals = await listApprovals(s.prisma, { includeInactive: req.query.all === 'true' || req.query.all === '1' });
    res.json({ items: approvals.map((a) => approvalView(a)) });
  });

  router.post('/v1/gate/approvals', requireRole('admin'), async (req, res) => {
    const body = parseOrThrow(CreateGateApprovalBody, req.body, 'approval');
    const name = checkPackageName(body.ecosystem, body.name);
    const why = await explainVersion(gate, body.ecosystem, name, body.version, req);
    if (!why) throw notFound(`${versionSpec(body.ecosystem, name, body.version)} is not on the upstream registry`);
    if (why.state === 'malicious') throw new HttpProblem(409, 'CONFLICT', `${why.spec} is malicious (${why.reason}); approvals never lift a malicious verdict`);
    if (!why.approvable) throw new HttpProblem(409, 'CONFLICT', `${why.spec} is ${why.state}: an approval lifts only a suspicious verdict, a failed analysis or the cooldown, once the analysis has finished`);
    const approval = await createApproval(s.prisma, { ecosystem: body.ecosystem, name, version: body.version, reason: body.reason, expiresAt: approvalExpiry(body.expires)! }, req.apiKey?.id ?? null);
    gate.invalidate();
    s.logger.info({ package: why.spec, approval: approval.id, key: req.apiKey?.name }, 'gate approval created');
    res.status(201).json(approvalView(approval));
  });

  router.delete('/v1/gate/approvals/:id', requireRole('admin'), async (req, res) => {
    const id = req.params.id as string;
    if (!isUuid(id) || !(await revokeApproval(s.prisma, id))) throw notFound(`no active approval ${id}`);
    gate.invalidate();
    res.status(204).end();
  });

  router.get('/v1/gate/decisions', requireRole('read'), async (req, res) => {
    const served = req.query.served === 'true' ? true : req.query.served === 'false' ? false : undefined;
    const rows = await listGateDecisions(s.prisma, { ...(served !== undefined ? { served } : {}), ...(typeof req.query.q === 'string' ? { q: req.query.q } : {}), limit: Number(req.query.limit ?? 50) || 50 });
    const current = new Map<string, { state: GateDecisionRow['current'] }>();
    for (const key of new Set(rows.map((r) => `${r.ecosystem}\n${r.name}`))) {
      const [ecosystem, name] = key.split('\n') as [Ecosystem, string];
      try {
        const state = ecosystem === 'npm' ? await gate.npmState(name, null) : await gate.pypiState(name, null);
        for (const [version, d] of state?.snapshot.decisions ?? []) current.set(`${key}\n${version}`, { state: { state: d.state, served: d.served, reason: d.reason } });
      } catch (err) {
        s.logger.warn({ err, package: name }, 'gate decision list: upstream unavailable; showing the recorded decision only');
      }
    }
    const items: GateDecisionRow[] = rows.map((r) => ({
      ecosystem: r.ecosystem,
      name: r.name,
      version: r.version,
      state: r.state,
      served: r.served,
      reason: r.reason,
      current: current.get(`${r.ecosystem}\n${r.name}\n${r.version}`)?.state ?? null,
      requests: r.requests,
      firstAt: r.firstAt.toISOString(),
      lastAt: r.lastAt.toISOString(),
    }));
    res.json({ items });
  });

  return router;
}

