/**
 * A fast search for a token pattern (an alternation of words such as `\beval\b|child_process|…`)
 * over a whole file. V8 runs such an alternation at about 200 MB/s, trying every alternative at
 * almost every position; the pass scans every byte of the install/import closure with it, and
 * that scan was its largest single cost on the bench tree. Every alternative starts with at least
 * three literal characters, so a position is tried with the pattern itself (sticky, at that
 * position) only when its three characters begin some alternative: the matches, their order and
 * their lengths are exactly those of the pattern run globally.
 *
 * Several such patterns are searched in one pass: each pattern's matches are exactly those it
 * finds run globally (each resumes after its own last match), reported in text order. A file is
 * read for the modules it loads and for sink tokens: one loop instead of a scan plus a regex run
 * over every byte (the regex was about a quarter of the scanning on the bench tree).
 */
export class MultiScanner {
  private readonly sticky: RegExp[];
  /** Character pairs (both ASCII) that begin some alternative, as `c0 << 7 | c1`: bit p for pattern p. */
  private readonly pairs = new Uint8Array(128 * 128);
  /** For each pattern and pair, the third characters that follow it in some alternative (a 128-bit set). */
  private readonly thirds: Uint32Array;

  constructor(patterns: readonly RegExp[]) {
    if (patterns.length > 8) throw new Error('MultiScanner: at most 8 patterns');
    this.thirds = new Uint32Array(patterns.length * 128 * 128 * 4);
    this.sticky = patterns.map((pattern, p) => {
      if (/[iuv]/.test(pattern.flags)) throw new Error(`MultiScanner: case-sensitive, non-unicode patterns only: /${pattern.source}/${pattern.flags}`);
      for (const prefix of literalPrefixes(pattern.source)) {
        const [c0, c1, c2] = [prefix.charCodeAt(0), prefix.charCodeAt(1), prefix.charCodeAt(2)];
        if (c0 >= 128 || c1 >= 128 || c2 >= 128) throw new Error(`MultiScanner: ASCII prefixes only: ${prefix}`);
        const pair = (c0 << 7) | c1;
        this.pairs[pair]! |= 1 << p;
        const word = (p * 128 * 128 + pair) * 4 + (c2 >> 5);
        this.thirds[word] = (this.thirds[word] ?? 0) | (1 << (c2 & 31));
      }
      return new RegExp(pattern.source, 'y');
    });
  }

  /**
   * Calls `found(p, match)` for every match of every pattern, in text order (a position is tried
   * with a pattern itself, sticky, only when its three characters begin one of its alternatives).
   * `found` says whether to look for `more` of that pattern, whether that pattern is `done`, or
   * whether the whole scan should `end`; it ends anyway when every pattern is done.
   */
  scan(text: string, found: (pattern: number, match: RegExpExecArray) => 'more' | 'done' | 'end'): void {
    const resume = this.sticky.map(() => 0);
    let live = (1 << this.sticky.length) - 1;
    const last = text.length - 2;
    let c1 = text.charCodeAt(0);
    for (let i = 0; i < last; i++) {
      const c0 = c1;
      c1 = text.charCodeAt(i + 1);
      if (c0 >= 128 || c1 >= 128) continue;
      const pair = (c0 << 7) | c1;
      const starts = this.pairs[pair]! & live;
      if (starts === 0) continue;
      const c2 = text.charCodeAt(i + 2);
      if (c2 >= 128) continue;
      for (let p = 0; p < this.sticky.length; p++) {
        if ((starts & (1 << p)) === 0 || i < resume[p]! || (this.thirds[(p * 128 * 128 + pair) * 4 + (c2 >> 5)]! & (1 << (c2 & 31))) === 0) continue;
        const re = this.sticky[p]!;
        re.lastIndex = i;
        const m = re.exec(text);
        if (!m) continue;
        resume[p] = i + m[0].length;
        const next = found(p, m);
        if (next === 'end') return;
        if (next === 'done') {
          live &= ~(1 << p);
          if (live === 0) return;
        }
      }
    }
  }
}

/**
 * The first three literal characters of each top-level alternative of a pattern source: `\b` is
 * skipped, `\.` and `\/` are literal, a leading group `(?:a|b)` is expanded. Throws for an
 * alternative that does not start with three literal characters (the scanner could miss it).
 */
export function literalPrefixes(source: string): string[] {
  const out: string[] = [];
  for (const alternative of topLevel(source)) {
    let rest = alternative.replace(/^\\b/, '');
    if (rest.startsWith('(?:')) {
      const close = groupEnd(rest);
      const after = rest.slice(close + 1);
      if (/^[?*{]/.test(after)) throw new Error(`literalPrefixes: optional leading group in ${alternative}`);
      for (const branch of topLevel(rest.slice(3, close))) out.push(...literalPrefixes(`${branch}${after}`));
      continue;
    }
    let literal = '';
    while (literal.length < 3 && rest.length > 0) {
      let ch: string;
      let width: number;
      if (rest[0] === '\\') {
        if (!/^\\[./\\\-_ :'"@#%&=~`<>,;!]/.test(rest)) break;
        ch = rest[1]!;
        width = 2;
      } else if (/^[\w \-:'"@#%&=~`<>,;!/]/.test(rest)) {
        ch = rest[0]!;
        width = 1;
      } else break;
      // A quantified character is not certain to be there.
      if (/^[?*{]/.test(rest.slice(width))) break;
      literal += ch;
      if (rest[width] === '+') break;
      rest = rest.slice(width);
    }
    if (literal.length < 3) throw new Error(`literalPrefixes: an alternative without three literal leading characters: ${alternative}`);
    out.push(literal);
  }
  return out;
}

/**
 * The characters of a pattern source that shape it (outside escapes and character classes), each
 * with its offset and the group depth after it.
 */
function* structure(source: string): Generator<{ i: number; ch: string; depth: number }> {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === '\\') i++;
    else if (inClass) inClass = ch !== ']';
    else if (ch === '[') inClass = true;
    else {
      if (ch === '(') depth++;
      else if (ch === ')') depth--;
      yield { i, ch, depth };
    }
  }
}

/** A pattern source split at its top-level `|` (not inside groups, classes or escapes). */
function topLevel(source: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (const { i, ch, depth } of structure(source)) {
    if (ch !== '|' || depth !== 0) continue;
    parts.push(source.slice(start, i));
    start = i + 1;
  }
  parts.push(source.slice(start));
  return parts;
}

/** The index of the `)` closing the group that opens `source`. */
function groupEnd(source: string): number {
  for (const { i, ch, depth } of structure(source)) if (ch === ')' && depth === 0) return i;
  throw new Error(`literalPrefixes: unbalanced group in ${source}`);
}
