import type { EntryCollector } from '../collector.js';
import { splitLines } from '../text-lines.js';

/** A logical requirements line: continuation lines joined, comment removed. */
interface LogicalLine {
  text: string;
  line: number;
}

// pip options that configure the whole install and name no package.
const GLOBAL_OPTIONS = new Set([
  '-i', '--index-url', '--extra-index-url', '--no-index', '-f', '--find-links', '--pre',
  '--trusted-host', '--prefer-binary', '--require-hashes', '--only-binary', '--no-binary', '--use-feature',
]);
const INCLUDE_OPTIONS = new Set(['-r', '--requirement', '-c', '--constraint']);
const EDITABLE_OPTIONS = new Set(['-e', '--editable']);

// `Name[extra1,extra2] <rest>`: PEP 508 name, optional extras. Sample: `uvicorn[standard]==0.30.1`
const REQUIREMENT_RE = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*(.*)$/s;
// One exact pin. Samples: `==2.31.0`, `=== 1.0-custom`, `(==1.0)`
const PINNED_RE = /^\(?\s*(===?)\s*([^\s,;()]+)\s*\)?$/;

/**
 * requirements.txt as pip reads it: `\` joins lines, `#` after whitespace starts a comment,
 * `--hash=` and other per-requirement options follow the requirement.
 * Only exact `==` pins name an artifact; everything else is listed as skipped.
 */
export function parseRequirements(text: string, out: EntryCollector): void {
  for (const logical of logicalLines(text)) {
    const trimmed = logical.text.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('-')) readOption(trimmed, logical.line, out);
    else readRequirement(trimmed, logical.line, out);
  }
}

function logicalLines(text: string): LogicalLine[] {
  const physical = splitLines(text);
  const result: LogicalLine[] = [];
  let buffer = '';
  let start = 0;
  for (let i = 0; i < physical.length; i++) {
    let line = physical[i];
    if (buffer === '') start = i + 1;
    // A comment line inside a continuation ends nothing; pip drops it the same way.
    if (/^\s*#/.test(line)) line = '';
    if (line.endsWith('\\')) {
      buffer += `${line.slice(0, -1)} `;
      continue;
    }
    buffer += line;
    result.push({ text: stripComment(buffer), line: start });
    buffer = '';
  }
  if (buffer !== '') result.push({ text: stripComment(buffer), line: start });
  return result;
}

/** pip: `#` at the start or after whitespace starts a comment (`#egg=` in URLs does not). */
function stripComment(line: string): string {
  const match = /(^|\s)#/.exec(line);
  return match === null ? line : line.slice(0, match.index);
}

function readOption(text: string, line: number, out: EntryCollector): void {
  const split = /^(-{1,2}[A-Za-z-]+)[\s=]*(.*)$/.exec(text);
  const flag = split?.[1] ?? text;
  const value = split?.[2].trim() ?? '';
  if (INCLUDE_OPTIONS.has(flag)) {
    out.skip(text, line, 'include', `includes another file (${value}); submit that file on its own`);
  } else if (EDITABLE_OPTIONS.has(flag)) {
    out.skip(text, line, 'editable', `editable install of a local project or VCS checkout (${value}), not a registry package`);
  } else if (!GLOBAL_OPTIONS.has(flag)) {
    out.skip(text, line, 'unsupported', `unknown pip option ${flag}`);
  }
}

function readRequirement(text: string, line: number, out: EntryCollector): void {
  // Per-requirement options (`--hash=sha256:...`, `--config-settings`) come after the requirement.
  const optionAt = text.search(/\s--?[a-z]/);
  const requirement = (optionAt < 0 ? text : text.slice(0, optionAt)).trim();
  const direct = directReference(requirement);
  if (direct !== null) {
    out.skip(requirement, line, direct.reason, direct.message);
    return;
  }
  const match = REQUIREMENT_RE.exec(requirement);
  if (match === null) {
    out.skip(requirement, line, 'malformed', 'not a requirement pip would accept');
    return;
  }
  const name = match[1];
  let rest = match[2].trim();
  if (rest.startsWith('@')) {
    const url = rest.slice(1).trim().split(/\s+;|\s/)[0];
    const ref = directReference(url);
    out.skip(requirement, line, ref?.reason ?? 'url', ref?.message ?? `direct reference (${url}), not a registry package`, name);
    return;
  }
  rest = rest.split(';')[0].trim(); // environment markers do not change which artifact is pinned
  if (rest === '') {
    out.skip(requirement, line, 'not-pinned', 'no version given; pin it with ==', name);
    return;
  }
  const pinned = PINNED_RE.exec(rest);
  if (pinned === null || pinned[2].includes('*')) {
    out.skip(requirement, line, 'not-pinned', `not pinned to one version (${rest}); pin it with ==`, name);
    return;
  }
  out.add('pypi', name, pinned[2], line, requirement);
}

/** VCS, URL and local-path requirements. Samples: `git+https://host.example/a/b.git#egg=b`, `./dist/x.whl` */
function directReference(text: string): { reason: 'git' | 'url' | 'file'; message: string } | null {
  if (/^(?:git|hg|svn|bzr)\+/.test(text)) return { reason: 'git', message: `VCS requirement (${text}), not a registry package` };
  if (/^https?:\/\//.test(text)) return { reason: 'url', message: `URL requirement (${text}), not a registry package` };
  if (/^file:/.test(text) || /^\.{0,2}\//.test(text) || /^[^\s@;]+\.(?:whl|tar\.gz|zip|tgz)$/.test(text)) {
    return { reason: 'file', message: `local file requirement (${text}), not a registry package` };
  }
  return null;
}
