import { describe, expect, it } from 'vitest';
import { Lines } from './escape.js';

/** The line of an offset, counted the plain way. */
const lineOf = (text: string, offset: number): number => text.slice(0, offset).split('\n').length;

describe('Lines', () => {
  it('numbers every offset as counting newlines does, whatever order the offsets are asked in', () => {
    for (const text of ['', '\n', 'a', 'a\nb', '\n\n\nx\n', 'abc\ndef\n\nghi', `${'x'.repeat(50)}${'\n'.repeat(5)}y`]) {
      const offsets = [...Array(text.length + 2).keys()];
      for (const order of [offsets, [...offsets].reverse(), [3, 0, 7, 1, 100, 2]]) {
        const lines = new Lines(text);
        for (const o of order) expect(lines.at(o), `${JSON.stringify(text)}@${o}`).toBe(lineOf(text, Math.min(o, text.length)));
      }
    }
  });
});
