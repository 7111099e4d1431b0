/**
 * Text-level helpers for reading a large file sparsely: where its sink tokens are, the windows
 * of code around them, and where a name is declared or called. Pure functions over the text; no
 * parsing here (javascript.ts parses the windows).
 */

/** A half-open range of the text, `[start, end)`. */
export interface Range {
  start: number;
  end: number;
}

export interface WindowShape {
  /** Bytes of context kept before a token (the enclosing function's network call, the binding). */
  before: number;
  /** Bytes kept after it (the call's arguments). */
  after: number;
  /** Windows analyzed per file at most; the rest are counted, never silently dropped. */
  max: number;
  /** Length a window may grow to by merging with its neighbours. */
  maxLength: number;
}

/** Offsets of every match of a global token pattern (at most `cap` + 1, so a caller can tell the cap was hit). */
export function tokenOffsets(text: string, tokens: RegExp, cap: number): number[] {
  const out: number[] = [];
  const re = new RegExp(tokens.source, tokens.flags.includes('g') ? tokens.flags : `${tokens.flags}g`);
  for (let m = re.exec(text); m !== null && out.length <= cap; m = re.exec(text)) {
    out.push(m.index);
    if (m[0].length === 0) re.lastIndex++;
  }
  return out;
}

/** Statement-ish boundaries a window may start or end at, so it rarely begins inside a token. */
const BOUNDARY = /[;\n}]/g;
/** How far a window edge may move to reach a boundary. */
const SNAP = 512;

function snapStart(text: string, at: number, limit: number): number {
  if (at <= 0) return 0;
  BOUNDARY.lastIndex = at;
  const m = BOUNDARY.exec(text);
  return m && m.index < Math.min(limit, at + SNAP) ? m.index + 1 : at;
}

function snapEnd(text: string, at: number): number {
  if (at >= text.length) return text.length;
  BOUNDARY.lastIndex = at;
  const m = BOUNDARY.exec(text);
  return m && m.index < at + SNAP ? m.index + 1 : at;
}

/**
 * Windows around the given offsets, snapped to boundaries and merged where they overlap.
 * Returns the windows kept (at most `shape.max`) and how many offsets fell outside them.
 */
export function windowsAround(text: string, offsets: readonly number[], shape: WindowShape): { windows: Range[]; dropped: number } {
  const sorted = [...offsets].sort((a, b) => a - b);
  const windows: Range[] = [];
  let dropped = 0;
  for (const at of sorted) {
    const last = windows.at(-1);
    if (last && at < last.end && last.end - last.start < shape.maxLength) {
      last.end = Math.max(last.end, snapEnd(text, at + shape.after));
      continue;
    }
    if (windows.length >= shape.max) {
      dropped++;
      continue;
    }
    const start = Math.max(snapStart(text, Math.max(0, at - shape.before), at), last?.end ?? 0);
    windows.push({ start, end: snapEnd(text, at + shape.after) });
  }
  return { windows, dropped };
}

function escapeName(name: string): string {
  return name.replace(/\$/g, '\\$');
}

/**
 * Where `name` is given a value (`var name = …`, `name = …`, `, name = …`): the offset of the
 * name in the declaration nearest before `use` within `near` bytes, else the first one within
 * `near` bytes after it (a hoisted function-level `var`). Bounded so a lookup never rescans a
 * whole bundle; a binding farther away stays unresolved. The caller parses the assignment there.
 */
export function declarationOf(text: string, name: string, use: number, near = 64 * 1024): number | undefined {
  if (!/^[\w$]+$/.test(name)) return undefined;
  // The name leads and what must precede it is checked behind it: V8 then searches for the name
  // itself instead of trying the prefix alternation at every position of the region. The same
  // positions as with the prefix written first (sparse.test.ts): a declaration's prefix can never
  // overlap the previous match, which ends in `=`.
  const escaped = escapeName(name);
  const re = new RegExp(`${escaped}(?<=${DECLARATION_PREFIX}${escaped})\\s*=(?![=>])`, 'g');
  const region = text.slice(Math.max(0, use - near), Math.min(text.length, use + near));
  const base = Math.max(0, use - near);
  let before: number | undefined;
  for (let m = re.exec(region); m !== null; m = re.exec(region)) {
    const at = base + m.index;
    if (at < use) before = at;
    else return before ?? at;
  }
  return before;
}

/** What precedes a name given a value: a declaration keyword, or a statement, block, list or call boundary. */
export const DECLARATION_PREFIX = '(?:\\b(?:var|let|const)\\s+|[,;{}(\\n]\\s*)';

/**
 * Offsets of calls through a name (`name(`, or `name.method(` for the given methods), at most
 * `cap` + 1: the offsets the pattern run globally finds. The name leads every match, so it is
 * found with a plain string search and the pattern tried there (sticky): run globally, a pattern
 * that opens with a lookbehind is tried at every position (3x slower on a 2.8 MB bundle with 9 aliases).
 */
export function callSites(text: string, name: string, methods: readonly string[] | undefined, cap: number): number[] {
  if (!/^[\w$]+$/.test(name)) return [];
  const member = methods ? `\\s*\\.\\s*(?:${methods.join('|')})` : '';
  const call = new RegExp(`(?<![\\w$.])${escapeName(name)}${member}\\s*\\(`, 'y');
  const out: number[] = [];
  for (let at = text.indexOf(name); at !== -1 && out.length <= cap; ) {
    call.lastIndex = at;
    const m = call.exec(text);
    if (m) out.push(at);
    at = text.indexOf(name, m ? at + m[0].length : at + 1);
  }
  return out;
}
