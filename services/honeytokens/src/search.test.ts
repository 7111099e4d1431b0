import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { findAllNeedles } from './search.js';

function naive(hay: Buffer, needles: Buffer[]): [number, number][] {
  const out: [number, number][] = [];
  needles.forEach((n, idx) => {
    for (let p = hay.indexOf(n); p !== -1; p = hay.indexOf(n, p + 1)) out.push([idx, p]);
  });
  return out;
}
const sort = (x: [number, number][]) => [...x].sort((a, b) => a[1] - b[1] || a[0] - b[0]);

describe('findAllNeedles', () => {
  it('agrees with indexOf on random data with planted, overlapping and edge matches', () => {
    for (let round = 0; round < 20; round++) {
      const hay = Buffer.from(crypto.randomBytes(5000).toString('hex'));
      const needles = [8, 9, 20, 40].map((len) => {
        const at = crypto.randomInt(hay.length - len);
        return Buffer.from(hay.subarray(at, at + len));
      });
      needles.push(Buffer.from(hay.subarray(0, 12)), Buffer.from(hay.subarray(hay.length - 10)), Buffer.from('zzzzzzzzzz'));
      hay.write('aaaaaaaaaaaa', 100);
      needles.push(Buffer.from('aaaaaaaa'));
      expect(sort(findAllNeedles(hay, needles))).toEqual(sort(naive(hay, needles)));
    }
  });

  it('handles haystacks shorter than a window and no needles', () => {
    expect(findAllNeedles(Buffer.from('short'), [Buffer.from('12345678')])).toEqual([]);
    expect(findAllNeedles(Buffer.from('0123456789'), [])).toEqual([]);
    expect(findAllNeedles(Buffer.from('01234567'), [Buffer.from('01234567')])).toEqual([[0, 0]]);
  });
});
