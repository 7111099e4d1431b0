/**
 * Finds the 1-based line of object keys in JSON text, which JSON.parse throws away.
 * One pass over the characters; `wanted(path, key)` picks the keys to record, where `path`
 * holds the enclosing containers' keys from the root (array members appear as `[]`).
 * Returned map keys are `[...path, key].join(PATH_SEP)`.
 * Assumes the text already passed JSON.parse, so it does not validate anything itself.
 */
export const PATH_SEP = '\u0000';

const QUOTE = 34;
const BACKSLASH = 92;
const NEWLINE = 10;
const OPEN_OBJ = 123;
const CLOSE_OBJ = 125;
const OPEN_ARR = 91;
const CLOSE_ARR = 93;
const COMMA = 44;

export function jsonKeyLines(text: string, wanted: (path: readonly string[], key: string) => boolean): Map<string, number> {
  const found = new Map<string, number>();
  const path: string[] = [];
  const containers: number[] = []; // OPEN_OBJ or OPEN_ARR per open container
  let line = 1;
  let expectKey = false;
  let lastKey = '[]';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === NEWLINE) {
      line++;
    } else if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (expectKey) {
        const rawKey = text.slice(i + 1, end);
        lastKey = rawKey.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : rawKey;
        if (wanted(path, lastKey)) found.set(path.length === 0 ? lastKey : `${path.join(PATH_SEP)}${PATH_SEP}${lastKey}`, line);
        expectKey = false;
      }
      i = end;
    } else if (c === OPEN_OBJ || c === OPEN_ARR) {
      if (containers.length > 0) path.push(containers[containers.length - 1] === OPEN_OBJ ? lastKey : '[]');
      containers.push(c);
      expectKey = c === OPEN_OBJ;
    } else if (c === CLOSE_OBJ || c === CLOSE_ARR) {
      containers.pop();
      if (containers.length > 0) path.pop();
      expectKey = false;
    } else if (c === COMMA) {
      expectKey = containers[containers.length - 1] === OPEN_OBJ;
    }
  }
  return found;
}

/** Index of the closing quote of the string that opens at `start`. */
function stringEnd(text: string, start: number): number {
  let j = start + 1;
  for (;;) {
    const q = text.indexOf('"', j);
    if (q < 0) return text.length - 1;
    // Count the backslashes right before the quote: an odd number escapes it.
    let backslashes = 0;
    for (let k = q - 1; k > start && text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return q;
    j = q + 1;
  }
}

export function keyPath(...parts: string[]): string {
  return parts.join(PATH_SEP);
}
