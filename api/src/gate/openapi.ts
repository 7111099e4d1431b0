import { z } from 'zod';
import { CreateGateApprovalBody, GateApprovalView, GateDecisionList, GateWhy } from '@vetbox/contracts';
import type { OpenApiExtension } from '../openapi.js';

const Why = GateWhy.meta({ id: 'GateWhy' });
const Approval = GateApprovalView.meta({ id: 'GateApproval' });
const Decisions = GateDecisionList.meta({ id: 'GateDecisionList' });
const PolicyDoc = z
  .object({
    failOn: z.enum(['malicious', 'suspicious']).optional(),
    failOnError: z.boolean().optional(),
    cooldown: z.string().optional().meta({ description: 'Minimum release age: `3d`, `12h`, `0`' }),
    exceptions: z.array(z.object({ package: z.string(), rule: z.string(), evidenceHash: z.string().optional(), reason: z.string(), expires: z.string() })).optional(),
  })
  .meta({ id: 'GatePolicy' });
const Override = z
  .object({ failOn: z.enum(['malicious', 'suspicious']).nullable().optional(), failOnError: z.boolean().nullable().optional(), cooldown: z.string().nullable().optional(), reason: z.string() })
  .meta({ id: 'GatePackagePolicy' });
const EcoName = z.object({ ecosystem: z.enum(['npm', 'pypi']), name: z.string().meta({ description: 'Package name; scoped npm names keep their slash' }) });

/** The vetted registry's routes in /openapi.json. The registry protocols themselves are npm's and PyPI's. */
export const gateOpenApi: OpenApiExtension = (r, { security, problem, authErrors }) => {
  r.registerPath({
    method: 'get',
    path: '/registry/why/{ecosystem}/{name}/{version}',
    summary: 'Why the vetted registry serves, holds or blocks a version',
    description:
      'JSON for tools (with a read key); a browser asking for HTML gets the web UI page. Asking about a version never analyzed queues its analysis. The npm registry is at `/registry/npm/`, the PyPI simple index at `/registry/pypi/simple/` (README: "The vetted registry").',
    security,
    request: { params: EcoName.extend({ version: z.string() }) },
    responses: { 200: { description: 'The decision', content: { 'application/json': { schema: Why } } }, 404: problem('Not on the upstream registry'), ...authErrors() },
  });
  r.registerPath({
    method: 'get',
    path: '/v1/gate/policy',
    summary: "The registry's policy, package overrides and active approvals",
    security,
    responses: { 200: { description: 'Policy', content: { 'application/json': { schema: z.object({ policy: PolicyDoc, revision: z.number().int(), packages: z.array(Override), approvals: z.array(Approval) }) } } }, ...authErrors() },
  });
  r.registerPath({
    method: 'put',
    path: '/v1/gate/policy',
    summary: 'Replace the deployment policy (admin)',
    description: 'JSON, or YAML as text (the batch policy file format plus `cooldown`). Every listing changes its ETag when the policy changes what it shows.',
    security,
    request: { body: { required: true, content: { 'application/json': { schema: PolicyDoc }, 'application/yaml': { schema: z.string() } } } },
    responses: { 200: { description: 'Stored', content: { 'application/json': { schema: z.object({ policy: PolicyDoc, revision: z.number().int() }) } } }, 400: problem('Invalid policy'), ...authErrors() },
  });
  r.registerPath({
    method: 'put',
    path: '/v1/gate/packages/{ecosystem}/{name}',
    summary: "Override the policy for one package (admin): failOn, failOnError, cooldown; null inherits",
    security,
    request: { params: EcoName, body: { required: true, content: { 'application/json': { schema: Override } } } },
    responses: { 200: { description: 'Stored', content: { 'application/json': { schema: Override } } }, 400: problem('Invalid override'), ...authErrors() },
  });
  r.registerPath({ method: 'delete', path: '/v1/gate/packages/{ecosystem}/{name}', summary: 'Remove a package override (admin)', security, request: { params: EcoName }, responses: { 204: { description: 'Removed' }, 404: problem('No override'), ...authErrors() } });
  r.registerPath({
    method: 'post',
    path: '/v1/gate/approvals',
    summary: 'Approve one held version with a reason and an expiry (admin)',
    description: 'Lifts a suspicious verdict, a failed analysis or the cooldown; never a malicious verdict (409), never an analysis that has not finished (409).',
    security,
    request: { body: { required: true, content: { 'application/json': { schema: CreateGateApprovalBody } } } },
    responses: { 201: { description: 'Approved', content: { 'application/json': { schema: Approval } } }, 400: problem('Invalid approval'), 404: problem('No such version upstream'), 409: problem('Malicious, or not approvable yet'), ...authErrors() },
  });
  r.registerPath({ method: 'get', path: '/v1/gate/approvals', summary: 'Approvals (active ones; `?all=true` for every one)', security, responses: { 200: { description: 'Approvals', content: { 'application/json': { schema: z.object({ items: z.array(Approval) }) } } }, ...authErrors() } });
  r.registerPath({ method: 'delete', path: '/v1/gate/approvals/{id}', summary: 'Revoke an approval (admin)', security, request: { params: z.object({ id: z.uuid() }) }, responses: { 204: { description: 'Revoked' }, 404: problem('No active approval'), ...authErrors() } });
  r.registerPath({
    method: 'get',
    path: '/v1/gate/decisions',
    summary: 'Versions clients downloaded or were refused, newest first, with their decision now',
    security,
    request: { query: z.object({ served: z.enum(['true', 'false']).optional(), q: z.string().optional(), limit: z.coerce.number().int().min(1).max(200).optional() }) },
    responses: { 200: { description: 'Decisions', content: { 'application/json': { schema: Decisions } } }, ...authErrors() },
  });
};
