import jsYaml from 'js-yaml';
import { z } from 'zod';
import { VetboxError } from '@vetbox/contracts';
import { FailOn, Policy } from '@vetbox/lockfiles';
import { formatDuration, parseDuration } from './duration.js';

/**
 * The npm unpublish window is 72 hours: most malicious releases are reported and pulled within
 * it, so a version younger than that is held by default even when its analysis passed.
 */
export const DEFAULT_COOLDOWN = '3d';

const CooldownField = z
  .union([z.string(), z.number().int().nonnegative()], { error: 'cooldown is a duration such as 3d, 12h or 0' })
  .transform((value, ctx) => {
    const seconds = typeof value === 'number' ? value : parseDuration(value);
    if (seconds === null) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (e.g. 3d, 12h, 30m, 0)` });
      return z.NEVER;
    }
    return seconds;
  });

/**
 * The registry's policy: the batch policy (failOn, failOnError, exceptions with reason and expiry)
 * plus `cooldown`, the minimum age of a release before it is served. The gate fails on
 * `suspicious` by default (a developer's install is not a reviewed batch).
 */
export const GatePolicy = Policy.extend({
  failOn: FailOn.default('suspicious'),
  cooldown: CooldownField.default(parseDuration(DEFAULT_COOLDOWN)!),
}).strict();
export type GatePolicy = z.infer<typeof GatePolicy>;
export type GatePolicyInput = z.input<typeof GatePolicy>;

export const DEFAULT_GATE_POLICY: GatePolicy = GatePolicy.parse({});

/** Validates a policy document (JSON or YAML text, or an object). Throws INVALID_INPUT listing every problem. */
export function parseGatePolicy(value: unknown, source = 'gate policy'): GatePolicy {
  let doc = value;
  if (typeof value === 'string') {
    try {
      doc = jsYaml.load(value, { schema: jsYaml.CORE_SCHEMA, filename: source });
    } catch (err) {
      throw new VetboxError('INVALID_INPUT', `${source} is not valid YAML or JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  const result = GatePolicy.safeParse(doc ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  throw new VetboxError('INVALID_INPUT', `${source} is invalid:\n  ${problems.join('\n  ')}`, { details: { problems } });
}

/** The document form of a policy (what is stored and shown): durations spelled out, exceptions as written. */
export function gatePolicyDocument(policy: GatePolicy) {
  return {
    failOn: policy.failOn,
    failOnError: policy.failOnError,
    failOnIncomplete: policy.failOnIncomplete,
    cooldown: formatDuration(policy.cooldown),
    exceptions: policy.exceptions.map((e) => ({
      package: e.package,
      rule: e.rule,
      ...(e.evidenceHash !== undefined ? { evidenceHash: e.evidenceHash } : {}),
      reason: e.reason,
      expires: e.expires,
    })),
  };
}
export type GatePolicyDocument = ReturnType<typeof gatePolicyDocument>;

/** One package's override: null or absent fields inherit the deployment policy. */
export interface PackageOverride {
  failOn?: FailOn | null;
  failOnError?: boolean | null;
  cooldownSeconds?: number | null;
  reason: string;
}

export const PackageOverrideBody = z
  .object({
    failOn: FailOn.nullable().optional(),
    failOnError: z.boolean().nullable().optional(),
    cooldown: CooldownField.nullable().optional(),
    reason: z.string({ error: 'reason is required: say why this package differs' }).trim().min(1, 'reason must not be empty'),
  })
  .strict();

/** What applies to one package: the deployment policy with its override folded in. */
export interface EffectivePolicy {
  failOn: FailOn;
  failOnError: boolean;
  /** Hold a version whose analysis could not run every phase (`report.incomplete`). */
  failOnIncomplete: boolean;
  cooldownSeconds: number;
  exceptions: Policy['exceptions'];
  /** The override's reason when one applies. */
  override?: { reason: string; fields: Array<'failOn' | 'failOnError' | 'cooldown'> };
}

export function effectivePolicy(policy: GatePolicy, override?: PackageOverride | null): EffectivePolicy {
  const effective: EffectivePolicy = {
    failOn: policy.failOn,
    failOnError: policy.failOnError,
    failOnIncomplete: policy.failOnIncomplete,
    cooldownSeconds: policy.cooldown,
    exceptions: policy.exceptions,
  };
  if (!override) return effective;
  const fields: NonNullable<EffectivePolicy['override']>['fields'] = [];
  if (override.failOn != null) {
    effective.failOn = override.failOn;
    fields.push('failOn');
  }
  if (override.failOnError != null) {
    effective.failOnError = override.failOnError;
    fields.push('failOnError');
  }
  if (override.cooldownSeconds != null) {
    effective.cooldownSeconds = override.cooldownSeconds;
    fields.push('cooldown');
  }
  if (fields.length > 0) effective.override = { reason: override.reason, fields };
  return effective;
}
