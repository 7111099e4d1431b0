/**
 * A fast search for a token pattern (an alternation of words such as `\beval\b|child_process|…`)
 * over a whole file. V8 runs such an alternation at about 200 MB/s, trying every alternative at
 * almost every position; the pass scans every byte of the install/import closure with it, and
 * that scan was its largest single cost on the bench tree. Every alternative starts with at least
 * three literal characters, so a position is tried with the pattern itself (sticky, at that
 * position) only when its three characters begin some alternative: the matches, their order and
 * their lengths are exactly those of the pattern run globally.
 */
export class TokenScanner {
  private readonly sticky: RegExp;
  /** Character pairs (both ASCII) that begin some alternative, as `c0 << 7 | c1`. */
  private readonly pairs = new Uint8Array(128 * 128);
  /** For each pair, the third characters that follow it in some alternative (a 128-bit set). */
  private readonly thirds = new Uint32Array(128 * 128 * 4);

  constructor(pattern: RegExp) {
    if (/[iuv]/.test(pattern.flags)) throw new Error(`TokenScanner: case-sensitive, non-unicode patterns only: /${pattern.source}/${pattern.flags}`);
    this.sticky = new RegExp(pattern.source, 'y');
    for (const prefix of literalPrefixes(pattern.source)) {
      const [c0, c1, c2] = [prefix.charCodeAt(0), prefix.charCodeAt(1), prefix.charCodeAt(2)];
      if (c0 >= 128 || c1 >= 128 || c2 >= 128) throw new Error(`TokenScanner: ASCII prefixes only: ${prefix}`);
      const pair = (c0 << 7) | c1;
      this.pairs[pair] = 1;
      const word = pair * 4 + (c2 >> 5);
      this.thirds[word] = (this.thirds[word] ?? 0) | (1 << (c2 & 31));
    }
  }

  /** The first match starting at or after `from`: its offset and end; undefined when there is none. */
  next(text: string, from: number): { index: number; end: number } | undefined {
    const last = text.length - 2;
    let c1 = text.charCodeAt(from);
    for (let i = from; i < last; i++) {
      const c0 = c1;
      c1 = text.charCodeAt(i + 1);
      if (c0 >= 128 || c1 >= 128) continue;
      const pair = (c0 << 7) | c1;
      if (this.pairs[pair] === 0) continue;
      const c2 = text.charCodeAt(i + 2);
      if (c2 >= 128 || (this.thirds[pair * 4 + (c2 >> 5)]! & (1 << (c2 & 31))) === 0) continue;
      this.sticky.lastIndex = i;
      const m = this.sticky.exec(text);
      if (m) return { index: i, end: i + m[0].length };
    }
    return undefined;
  }

  /** Whether the pattern matches anywhere in `text` (as `pattern.test`). */
  test(text: string): boolean {
    return this.next(text, 0) !== undefined;
  }

  /** Offsets of the matches, as the pattern run globally finds them (at most `cap` + 1, like `tokenOffsets`). */
  offsets(text: string, cap: number): number[] {
    const out: number[] = [];
    for (let m = this.next(text, 0); m !== undefined && out.length <= cap; m = this.next(text, m.end)) out.push(m.index);
    return out;
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
