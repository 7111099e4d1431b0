import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseOrThrow } from './validate.js';

const Body = z.object({ name: z.string(), version: z.string(), limit: z.coerce.number().optional(), force: z.boolean().optional() });

function detailOf(value: unknown): string {
  try {
    parseOrThrow(Body, value, 'analysis request');
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('parsed');
}

describe('parseOrThrow', () => {
  it('says what to send instead of zod type jargon', () => {
    expect(detailOf({ name: 'x' })).toBe('invalid analysis request: version: required (a string)');
    expect(detailOf({ name: 'x', version: 1 })).toBe('invalid analysis request: version: must be a string, not number');
    expect(detailOf({ name: 'x', version: '1', limit: 'ten' })).toBe('invalid analysis request: limit: must be a number');
  });

  it('keeps every other message as the schema wrote it', () => {
    const Named = z.object({ name: z.string().regex(/^[a-z]+$/, 'not a valid package name') });
    expect(() => parseOrThrow(Named, { name: 'A!' }, 'request')).toThrow('invalid request: name: not a valid package name');
  });
});
