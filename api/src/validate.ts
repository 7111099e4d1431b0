import type { z } from 'zod';
import { VetboxError } from '@vetbox/contracts';

// zod's wording for type mismatches ("Invalid input: expected string, received undefined") reads
// like a stack trace to an API user; these say what to send.
const TYPE_MISMATCH = /^Invalid input: expected (\w+), received (\w+)$/;

function readable(message: string): string {
  const m = TYPE_MISMATCH.exec(message);
  if (!m) return message;
  const [, expected, received] = m;
  if (received === 'undefined') return `required (${expected === 'array' ? 'an' : 'a'} ${expected})`;
  if (received === 'NaN') return `must be a ${expected}`;
  return `must be ${expected === 'array' || expected === 'object' ? 'an' : 'a'} ${expected}, not ${received}`;
}

/** Parses with a contracts schema; failures are INVALID_INPUT naming every offending field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: readable(i.message) }));
  const detail = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
  throw new VetboxError('INVALID_INPUT', `invalid ${what}: ${detail}`, { details: { errors } });
}
