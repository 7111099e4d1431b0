import semver from 'semver';
import type { EntryCollector } from '../collector.js';
import { splitNameAndRange } from '../npm-spec.js';
import { splitLines } from '../text-lines.js';

/**
 * The plain allowlist: one package version a line, `#` comments, blank lines ignored.
 * Samples: `npm:left-pad@1.3.0`, `npm:@types/node@20.11.5`, `pypi:requests==2.31.0  # reviewed`
 */
export function parseAllowlist(text: string, out: EntryCollector): void {
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = stripComment(lines[i]).trim();
    if (line === '') continue;
    readAllowlistLine(line, i + 1, out);
  }
}

function stripComment(line: string): string {
  const match = /(^|\s)#/.exec(line);
  return match === null ? line : line.slice(0, match.index);
}

function readAllowlistLine(line: string, lineNo: number, out: EntryCollector): void {
  if (line.startsWith('npm:')) {
    const { name, range } = splitNameAndRange(line.slice(4).trim());
    if (range === '') return out.skip(line, lineNo, 'not-pinned', 'no version; write npm:<name>@<version>', name);
    if (semver.valid(range) === null) {
      const reason = semver.validRange(range) !== null ? 'not-pinned' : 'invalid-version';
      return out.skip(line, lineNo, reason, reason === 'not-pinned' ? `"${range}" is a range; pin one version` : `"${range}" is not a valid semver version`, name);
    }
    return out.add('npm', name, range, lineNo, line);
  }
  if (line.startsWith('pypi:')) {
    const match = /^pypi:\s*([^=<>~!\s]+)\s*(?:(==)\s*(\S+)|(.*))$/.exec(line);
    if (match === null) return out.skip(line, lineNo, 'malformed', 'expected pypi:<name>==<version>');
    const [, name, pinned, version, other] = match;
    if (pinned === undefined) {
      return out.skip(line, lineNo, 'not-pinned', other?.trim() ? `not pinned to one version (${other.trim()}); write pypi:<name>==<version>` : 'no version; write pypi:<name>==<version>', name);
    }
    if (version.includes('*')) return out.skip(line, lineNo, 'not-pinned', `"==${version}" is a wildcard; pin one version`, name);
    return out.add('pypi', name, version, lineNo, line);
  }
  out.skip(line, lineNo, 'malformed', 'expected npm:<name>@<version> or pypi:<name>==<version>');
}
