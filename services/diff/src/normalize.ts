import type { SandboxInfo } from '@vetbox/contracts';

/**
 * Rewrites the parts of a path or argument that differ between two runs of the same
 * package (random user and home, temp names, pids, timestamps, random ids) into stable
 * placeholders, so that only real behavior changes show up in a diff.
 */
export interface NormalizeContext {
  home?: string;
  workdir?: string;
  user?: string;
  hostname?: string;
  /** The analyzed package's own version: release URLs and paths embed it (`.../v5.1.1/...`). */
  version?: string;
}

export function contextFromSandbox(sandbox: SandboxInfo | undefined): NormalizeContext {
  if (!sandbox) return {};
  return { home: sandbox.home, workdir: sandbox.workdir, user: sandbox.user, hostname: sandbox.hostname };
}

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
// Hex runs of 8+ that contain at least one digit and one letter: hashes, random suffixes.
const HEX_ID = /\b(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi;
// Temp names as mkdtemp/mktemp/tempfile produce them: a prefix, then 6+ random characters.
const TMP_NAME = /(\/(?:tmp|var\/tmp|dev\/shm)\/)[^/\s]+/g;
const PROC_PID = /\/proc\/\d+\//g;
// Long digit runs: timestamps, pids embedded in names, ports chosen at random.
const LONG_NUMBER = /\d{5,}/g;
// A short letters-and-digits path segment, the shape mkstemp-style random names take.
const SHORT_SEGMENT = /(?<=\/)[A-Za-z0-9]{6,10}(?=$|[/\s])/g;
// Words as people write them: camelCase, PascalCase, ALLCAPS, optionally numbered.
const WORDLIKE = /^(?:[A-Z]+|[A-Z]*(?:[A-Z]?[a-z]+)+)[0-9]*$/;

/** `stmUjdN`, `st5e0acI`: mixed case that no naming convention (camelCase, Pascal, CAPS) produces. */
function looksRandom(segment: string): boolean {
  return /[A-Z]/.test(segment.slice(1)) && /[a-z]/.test(segment) && !WORDLIKE.test(segment);
}

/** Versions like `1.2.3` or `5.1.1`; a bare `1` would match far too much. */
function versionPlaceholder(text: string, version: string | undefined): string {
  if (!version || !/\d+\.\d+/.test(version)) return text;
  return text.split(version).join('<version>');
}

function replaceLiteral(text: string, literal: string | undefined, placeholder: string): string {
  if (!literal || literal.length < 2) return text;
  return text.split(literal).join(placeholder);
}

export function normalizeText(text: string, ctx: NormalizeContext): string {
  let out = text;
  // Order matters: the workdir usually lives under the home.
  out = replaceLiteral(out, ctx.workdir, '<workdir>');
  out = replaceLiteral(out, ctx.home, '~');
  out = replaceLiteral(out, ctx.user, '<user>');
  out = replaceLiteral(out, ctx.hostname, '<hostname>');
  out = versionPlaceholder(out, ctx.version);
  out = out.replace(UUID, '<uuid>');
  out = out.replace(TMP_NAME, '$1<tmp>');
  out = out.replace(SHORT_SEGMENT, (seg) => (looksRandom(seg) ? '<tmp>' : seg));
  out = out.replace(PROC_PID, '/proc/<pid>/');
  out = out.replace(HEX_ID, '<id>');
  out = out.replace(LONG_NUMBER, '<n>');
  return out;
}

export function normalizeArgv(argv: readonly string[], ctx: NormalizeContext): string {
  return argv.map((a) => normalizeText(a, ctx)).join(' ');
}
