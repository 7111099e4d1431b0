import { createRequire } from 'node:module';
import type * as YarnLockfile from '@yarnpkg/lockfile';
import { parseSyml } from '@yarnpkg/parsers';
import { VetboxError } from '@vetbox/contracts';
import type { EntryCollector } from '../collector.js';
import { classifyNpmSpec, classifyResolved, splitNameAndRange } from '../npm-spec.js';
import { splitLines, splitYarnPatterns } from '../text-lines.js';

// A webpack-bundled CommonJS module whose default export bundlers disagree on; require it plainly.
const lockfile = createRequire(import.meta.url)('@yarnpkg/lockfile') as typeof YarnLockfile;

interface YarnHeader {
  /** The header as written, without the trailing colon. */
  text: string;
  line: number;
}

/** Top-level entry headers: unindented, not comments, ending with `:`. */
function entryHeaders(text: string): YarnHeader[] {
  const headers: YarnHeader[] = [];
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trimEnd();
    if (line === '' || line[0] === ' ' || line[0] === '#' || !line.endsWith(':')) continue;
    headers.push({ text: line.slice(0, -1), line: i + 1 });
  }
  return headers;
}

/**
 * yarn.lock v1 (classic). Example entry:
 *   "@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
 *     version "7.12.13"
 *     resolved "https://registry.example/@babel/code-frame/-/code-frame-7.12.13.tgz#sha1"
 */
export function parseYarnClassic(text: string, out: EntryCollector): void {
  let parsed: ReturnType<typeof lockfile.parse>;
  try {
    parsed = lockfile.parse(text);
  } catch (err) {
    throw new VetboxError('INVALID_INPUT', `yarn.lock (classic) could not be parsed: ${(err as Error).message}`, { cause: err });
  }
  if (parsed.type === 'conflict') throw new VetboxError('INVALID_INPUT', 'yarn.lock contains unresolved merge conflicts');
  const entries = parsed.object as Record<string, { version?: unknown; resolved?: unknown } | null | undefined>;
  for (const header of entryHeaders(text)) {
    const patterns = splitYarnPatterns(header.text);
    const first = patterns[0] ?? '';
    const entry = Object.hasOwn(entries, first) ? entries[first] : undefined;
    const { name, range } = splitNameAndRange(first);
    if (entry === undefined || entry === null || typeof entry !== 'object') {
      out.skip(header.text, header.line, 'malformed', 'entry could not be read', name);
      continue;
    }
    const spec = classifyNpmSpec(range);
    if (spec.kind === 'skip') {
      out.skip(header.text, header.line, spec.reason, spec.message, name);
      continue;
    }
    if (typeof entry.resolved === 'string') {
      const resolved = classifyResolved(entry.resolved);
      if (resolved?.kind === 'skip') {
        out.skip(header.text, header.line, resolved.reason, resolved.message, name);
        continue;
      }
    }
    if (typeof entry.version !== 'string') {
      out.skip(header.text, header.line, 'malformed', 'entry has no version', name);
      continue;
    }
    out.add('npm', spec.kind === 'alias' ? spec.name : name, entry.version, header.line, header.text);
  }
}

/**
 * yarn.lock from yarn 2+ (berry), a YAML subset. Example entry:
 *   "ms@npm:2.1.3, ms@npm:^2.1.1":
 *     version: 2.1.3
 *     resolution: "ms@npm:2.1.3"
 * The `resolution` locator names the real package and protocol (aliases resolve to the target).
 */
export function parseYarnBerry(text: string, out: EntryCollector): void {
  let doc: Record<string, unknown>;
  try {
    doc = parseSyml(text);
  } catch (err) {
    throw new VetboxError('INVALID_INPUT', `yarn.lock (berry) could not be parsed: ${(err as Error).message}`, { cause: err });
  }
  for (const header of entryHeaders(text)) {
    const key = splitYarnPatterns(header.text).join(', ');
    if (key === '__metadata') continue;
    const entry = (Object.hasOwn(doc, key) ? doc[key] : undefined) as { version?: unknown; resolution?: unknown } | null | undefined;
    const fallbackName = splitNameAndRange(splitYarnPatterns(header.text)[0] ?? '').name;
    if (entry === undefined || entry === null || typeof entry !== 'object' || typeof entry.resolution !== 'string') {
      out.skip(header.text, header.line, 'malformed', 'entry has no resolution', fallbackName);
      continue;
    }
    const { name, range: reference } = splitNameAndRange(entry.resolution);
    if (!reference.startsWith('npm:')) {
      const spec = classifyNpmSpec(reference);
      if (spec.kind === 'skip') out.skip(entry.resolution, header.line, spec.reason, spec.message, name);
      else out.skip(entry.resolution, header.line, 'unsupported', `unsupported resolution protocol in "${entry.resolution}"`, name);
      continue;
    }
    const version = typeof entry.version === 'string' ? entry.version : reference.slice(4);
    out.add('npm', name, version, header.line, entry.resolution);
  }
}
