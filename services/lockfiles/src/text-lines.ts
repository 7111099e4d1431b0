/** Helpers for line-oriented formats (yarn.lock, pnpm-lock.yaml, TOML, requirements). */

export function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}

/** Strips one layer of YAML/yarn quoting from a key: `"a"` (JSON escapes), `'a'` (`''` escapes). */
export function unquoteKey(key: string): string {
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) {
    try {
      return JSON.parse(key) as string;
    } catch {
      return key.slice(1, -1);
    }
  }
  if (key.length >= 2 && key.startsWith("'") && key.endsWith("'")) return key.slice(1, -1).replace(/''/g, "'");
  return key;
}

/**
 * The key of a `key:` or `key: value` line whose key starts at `indent`, or null.
 * Handles quoted keys containing `:` (`'foo@file:lib':`) and plain keys like `/a@1.0.0:`.
 */
export function mappingKeyAt(line: string, indent: number): string | null {
  for (let i = 0; i < indent; i++) if (line.charCodeAt(i) !== 32) return null;
  const first = line[indent];
  if (first === undefined || first === ' ' || first === '#' || first === '-') return null;
  let end: number;
  if (first === '"' || first === "'") {
    end = closingQuote(line, indent, first);
    if (end < 0 || line[end + 1] !== ':') return null;
    return unquoteKey(line.slice(indent, end + 1));
  }
  end = line.indexOf(':', indent);
  while (end >= 0 && end + 1 < line.length && line[end + 1] !== ' ') end = line.indexOf(':', end + 1);
  if (end < 0) return null;
  return line.slice(indent, end).trimEnd();
}

function closingQuote(line: string, start: number, quote: string): number {
  for (let i = start + 1; i < line.length; i++) {
    if (quote === '"' && line[i] === '\\') {
      i++;
      continue;
    }
    if (line[i] === quote) {
      if (quote === "'" && line[i + 1] === "'") {
        i++;
        continue;
      }
      return i;
    }
  }
  return -1;
}

/** Splits a yarn classic header `a@^1, "b@^2"` into its patterns, unquoted. */
export function splitYarnPatterns(header: string): string[] {
  const patterns: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const ch = header[i];
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      patterns.push(unquoteKey(current.trim()));
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim() !== '') patterns.push(unquoteKey(current.trim()));
  return patterns;
}
