import type { z } from 'zod';
import { VetboxError } from '@vetbox/contracts';

/** Parses with a contracts schema; failures are INVALID_INPUT naming every offending field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
  const detail = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
  throw new VetboxError('INVALID_INPUT', `invalid ${what}: ${detail}`, { details: { errors } });
}
