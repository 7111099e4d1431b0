import { z } from 'zod';
import { Ecosystem, Verdict } from './enums.js';
import { NPM_NAME_RE, PYPI_NAME_RE } from './requests.js';

// The vetted registry (#18): what its "why" page, decision list and admin routes exchange.

export const GateStateName = z.enum(['allowed', 'approved', 'malicious', 'suspicious', 'failed', 'queued', 'running', 'unvetted', 'cooldown']);
export type GateStateName = z.infer<typeof GateStateName>;

export const GateApprovalView = z.object({
  id: z.string(),
  ecosystem: Ecosystem,
  name: z.string(),
  version: z.string(),
  reason: z.string(),
  expiresAt: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
  active: z.boolean(),
});
export type GateApprovalView = z.infer<typeof GateApprovalView>;

/** GET /registry/why/{ecosystem}/{name}/{version} (JSON). */
export const GateWhy = z.object({
  ecosystem: Ecosystem,
  name: z.string(),
  version: z.string(),
  spec: z.string(),
  state: GateStateName,
  served: z.boolean(),
  reason: z.string(),
  publishedAt: z.string().nullable(),
  availableAt: z.string().nullable(),
  analysis: z
    .object({ id: z.string(), verdict: Verdict.nullable(), effectiveVerdict: Verdict.nullable(), link: z.string() })
    .nullable(),
  approval: GateApprovalView.nullable(),
  knownMalicious: z.object({ source: z.string(), id: z.string(), summary: z.string(), url: z.string().optional() }).nullable(),
  policy: z.object({
    failOn: z.enum(['malicious', 'suspicious']),
    failOnError: z.boolean(),
    cooldown: z.string(),
    override: z.object({ reason: z.string(), fields: z.array(z.string()) }).nullable(),
    revision: z.number().int(),
  }),
  /** This key may approve this version now (an admin key, a state an approval lifts). */
  canApprove: z.boolean(),
  /** An approval would lift this state (suspicious, failed, cooldown). */
  approvable: z.boolean(),
});
export type GateWhy = z.infer<typeof GateWhy>;

export const GateDecisionRow = z.object({
  ecosystem: Ecosystem,
  name: z.string(),
  version: z.string(),
  /** What the last download request got. */
  state: z.string(),
  served: z.boolean(),
  reason: z.string(),
  /** The decision now (a queued version may have passed since). */
  current: z.object({ state: GateStateName, served: z.boolean(), reason: z.string() }).nullable(),
  requests: z.number().int(),
  firstAt: z.string(),
  lastAt: z.string(),
});
export type GateDecisionRow = z.infer<typeof GateDecisionRow>;

export const GateDecisionList = z.object({ items: z.array(GateDecisionRow) });
export type GateDecisionList = z.infer<typeof GateDecisionList>;

const DATE_ONLY_RE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_APPROVAL_MS = 366 * 86_400_000;

/** A date (valid through that day, UTC) or an ISO timestamp, as policy exceptions write `expires`. */
export function approvalExpiry(text: string): Date | null {
  if (DATE_ONLY_RE.test(text)) {
    const day = new Date(`${text}T00:00:00Z`);
    if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== text) return null;
    return new Date(day.getTime() + 86_400_000);
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return null;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? null : at;
}

/** POST /v1/gate/approvals: an admin lets one held version through, with a reason and an expiry. */
export const CreateGateApprovalBody = z
  .object({
    ecosystem: Ecosystem,
    name: z.string().trim().min(1).max(214),
    version: z.string().trim().min(1).max(128),
    reason: z.string({ error: 'reason is required: say why this version may be installed' }).trim().min(1, 'reason must not be empty').max(2_000),
    expires: z.string({ error: 'expires is required: a date (YYYY-MM-DD) after which the approval stops applying' }).trim(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (!(v.ecosystem === 'npm' ? NPM_NAME_RE : PYPI_NAME_RE).test(v.name)) ctx.addIssue({ code: 'custom', path: ['name'], message: `not a valid ${v.ecosystem} package name` });
    const at = approvalExpiry(v.expires);
    if (!at) ctx.addIssue({ code: 'custom', path: ['expires'], message: `"${v.expires}" is not a date (YYYY-MM-DD) or ISO timestamp` });
    else if (at.getTime() <= Date.now()) ctx.addIssue({ code: 'custom', path: ['expires'], message: 'expires is in the past' });
    else if (at.getTime() - Date.now() > MAX_APPROVAL_MS) ctx.addIssue({ code: 'custom', path: ['expires'], message: 'an approval lasts at most a year: review it again then' });
  });
export type CreateGateApprovalBody = z.infer<typeof CreateGateApprovalBody>;
