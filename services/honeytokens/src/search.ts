/**
 * Multi-needle search in one pass: a Rabin–Karp rolling hash over 8-byte windows, a bitset
 * prefilter, and a byte compare on candidate positions. Scanning tens of MB once beats one
 * indexOf scan per needle (~200 needles for a full canary set).
 */
const WINDOW = 8;
const BASE = 257;
const BASE_POW = (() => {
  let p = 1;
  for (let i = 0; i < WINDOW - 1; i++) p = Math.imul(p, BASE);
  return p;
})();
const FILTER_BITS = 22;

function hashAt(buf: Uint8Array, i: number): number {
  let h = 0;
  for (let k = 0; k < WINDOW; k++) h = (Math.imul(h, BASE) + buf[i + k]!) | 0;
  return h;
}

/** Every occurrence of every needle (each at least 8 bytes): `[needleIndex, position]` pairs. */
export function findAllNeedles(haystack: Buffer, needles: Uint8Array[]): [number, number][] {
  const out: [number, number][] = [];
  const table = new Map<number, number[]>();
  const filter = new Uint32Array(1 << (FILTER_BITS - 5));
  needles.forEach((n, idx) => {
    if (n.length < WINDOW) throw new Error('needles must be at least 8 bytes');
    const h = hashAt(n, 0);
    const list = table.get(h);
    if (list) list.push(idx);
    else table.set(h, [idx]);
    const k = h >>> (32 - FILTER_BITS);
    filter[k >>> 5]! |= 1 << (k & 31);
  });
  const n = haystack.length;
  if (n < WINDOW || needles.length === 0) return out;
  let h = hashAt(haystack, 0);
  for (let i = 0; ; i++) {
    const k = h >>> (32 - FILTER_BITS);
    if (filter[k >>> 5]! & (1 << (k & 31))) {
      const list = table.get(h);
      if (list) {
        for (const idx of list) {
          const needle = needles[idx]!;
          if (i + needle.length <= n && haystack.compare(needle, 0, needle.length, i, i + needle.length) === 0) out.push([idx, i]);
        }
      }
    }
    if (i + WINDOW >= n) break;
    h = (Math.imul((h - Math.imul(haystack[i]!, BASE_POW)) | 0, BASE) + haystack[i + WINDOW]!) | 0;
  }
  return out;
}
