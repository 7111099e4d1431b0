/** Longest snippet kept per signal: enough to read the construct, never a whole minified line. */
export const SNIPPET_CHARS = 240;
/** Characters of a decoded layer kept as its preview. */
export const PREVIEW_CHARS = 2000;

/**
 * Makes hostile text safe to show anywhere (terminal, HTML, JSON): control characters, escape
 * sequences, bidi overrides and every non-ASCII code point become visible escapes.
 */
export function escapeText(text: string, max: number): string {
  let out = '';
  for (const ch of text) {
    if (out.length >= max) return `${out}…`;
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (code >= 0x20 && code < 0x7f) out += ch;
    else if (code <= 0xff) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\u{${code.toString(16)}}`;
  }
  return out;
}

/** Bytes as text for a preview: UTF-8 when it decodes cleanly, otherwise Latin-1 (each byte escaped). */
export function bytesToText(bytes: Buffer): string {
  const utf8 = bytes.toString('utf8');
  return utf8.includes('\ufffd') ? bytes.toString('latin1') : utf8;
}

/** Whether decoded bytes read as source text (worth parsing again) rather than binary. */
export function looksLikeText(bytes: Buffer): boolean {
  const sample = bytes.subarray(0, 4096);
  if (sample.length === 0) return false;
  let odd = 0;
  for (const b of sample) if (b === 0 || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) odd += 1;
  return odd / sample.length < 0.02;
}

/**
 * Offsets → 1-based line numbers. Line starts are found only as far as asked: a bundle's few
 * located constructs rarely need the whole of its megabytes split into lines.
 */
export class Lines {
  private readonly starts = [0];
  /** Where the search for the next newline resumes: every line start before it is known. */
  private scanned = 0;
  constructor(private readonly text: string) {}

  at(offset: number): number {
    const starts = this.startsThrough(offset);
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** The line starts, known at least through `offset` (the line holding it starts among them). */
  private startsThrough(offset: number): number[] {
    while (this.scanned <= offset && this.scanned !== -1) {
      const newline = this.text.indexOf('\n', this.scanned);
      if (newline !== -1) this.starts.push(newline + 1);
      this.scanned = newline === -1 ? -1 : newline + 1;
    }
    return this.starts;
  }
}

/** The source text of a construct for a snippet: its own text, cut, escaped. */
export function snippetOf(text: string, from: number, to: number): string {
  return escapeText(text.slice(from, Math.min(to, from + SNIPPET_CHARS * 2)), SNIPPET_CHARS);
}
