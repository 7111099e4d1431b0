import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VetboxError } from '@vetbox/contracts';
import { parseLockfile } from './index.js';

const FIXTURES = new URL('../../../test/fixtures/lockfiles/', import.meta.url);
const fixtures = ['npm', 'yarn', 'pnpm', 'python', 'allowlist'].flatMap((dir) =>
  readdirSync(new URL(`${dir}/`, FIXTURES))
    .filter((f) => !f.includes('malformed') && !f.endsWith('for-reference'))
    .map((f) => readFileSync(new URL(`${dir}/${f}`, FIXTURES), 'utf8')),
);

/** Parsing hostile input either succeeds or throws our INVALID_INPUT, never anything else. */
function parsesOrRejectsCleanly(text: string): void {
  try {
    const parsed = parseLockfile(text);
    for (const entry of parsed.entries) expect(entry.line).toBeGreaterThanOrEqual(1);
  } catch (err) {
    if (!(err instanceof VetboxError) || err.code !== 'INVALID_INPUT') throw err;
  }
}

describe('hostile input', () => {
  it('arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), parsesOrRejectsCleanly), { numRuns: 500 });
  });

  it('real fixtures with lines deleted, duplicated or cut', () => {
    const mutated = fc
      .tuple(fc.constantFrom(...fixtures), fc.nat(), fc.nat(), fc.constantFrom('delete', 'duplicate', 'truncate'))
      .map(([text, a, b, op]) => {
        const lines = text.split('\n');
        const i = a % lines.length;
        if (op === 'delete') lines.splice(i, 1 + (b % 3));
        else if (op === 'duplicate') lines.splice(i, 0, lines[b % lines.length]);
        else lines[i] = lines[i].slice(0, b % (lines[i].length + 1));
        return lines.join('\n');
      });
    fc.assert(fc.property(mutated, parsesOrRejectsCleanly), { numRuns: 400 });
  });
});
