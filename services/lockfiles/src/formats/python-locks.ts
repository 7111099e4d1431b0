import { parse as parseToml } from 'smol-toml';
import { VetboxError } from '@vetbox/contracts';
import type { EntryCollector } from '../collector.js';
import { jsonKeyLines, keyPath } from '../json-lines.js';
import { splitLines } from '../text-lines.js';
import type { SkipReason } from '../types.js';

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseTomlOrThrow(text: string, what: string): Table {
  try {
    return parseToml(text) as Table;
  } catch (err) {
    throw new VetboxError('INVALID_INPUT', `${what} could not be parsed as TOML: ${(err as Error).message}`, { cause: err });
  }
}

/** Lines of the `[[package]]` headers, in order: the i-th belongs to the i-th package. */
function packageHeaderLines(text: string): number[] {
  const lines = splitLines(text);
  const found: number[] = [];
  for (let i = 0; i < lines.length; i++) if (/^\s*\[\[\s*package\s*\]\]\s*(?:#.*)?$/.test(lines[i])) found.push(i + 1);
  return found;
}

function packagesOf(doc: Table, what: string): unknown[] {
  const packages = doc.package ?? [];
  if (!Array.isArray(packages)) throw new VetboxError('INVALID_INPUT', `${what}: \`package\` is not an array of tables`);
  return packages;
}

/**
 * poetry.lock. Sample:
 *   [[package]]
 *   name = "requests"
 *   version = "2.31.0"
 *   [package.source]          # only for non-PyPI packages
 *   type = "git"              # git | url | file | directory | legacy (a private index)
 */
export function parsePoetryLock(text: string, out: EntryCollector): string | undefined {
  const doc = parseTomlOrThrow(text, 'poetry.lock');
  const lines = packageHeaderLines(text);
  packagesOf(doc, 'poetry.lock').forEach((pkg, i) => {
    const line = lines[i] ?? 1;
    if (!isTable(pkg) || typeof pkg.name !== 'string') {
      out.skip(`[[package]] #${i + 1}`, line, 'malformed', 'package table has no name');
      return;
    }
    const raw = `${pkg.name} ${String(pkg.version ?? '')}`.trim();
    const source = isTable(pkg.source) ? pkg.source : undefined;
    const sourceType = typeof source?.type === 'string' ? source.type : undefined;
    if (sourceType !== undefined && sourceType !== 'legacy') {
      const reason: SkipReason = sourceType === 'git' ? 'git' : sourceType === 'url' ? 'url' : sourceType === 'file' || sourceType === 'directory' ? 'file' : 'unsupported';
      out.skip(raw, line, reason, `${sourceType} source (${String(source?.url ?? '')}), not a registry package`, pkg.name);
      return;
    }
    if (typeof pkg.version !== 'string' || pkg.version === '') {
      out.skip(raw, line, 'malformed', 'package has no version', pkg.name);
      return;
    }
    out.add('pypi', pkg.name, pkg.version, line, raw);
  });
  const meta = isTable(doc.metadata) ? doc.metadata : undefined;
  return typeof meta?.['lock-version'] === 'string' ? meta['lock-version'] : undefined;
}

/**
 * uv.lock. Sample:
 *   [[package]]
 *   name = "anyio"
 *   version = "4.6.2"
 *   source = { registry = "https://pypi.example/simple" }   # or git / url / path / directory / editable / virtual
 */
export function parseUvLock(text: string, out: EntryCollector): string | undefined {
  const doc = parseTomlOrThrow(text, 'uv.lock');
  const lines = packageHeaderLines(text);
  packagesOf(doc, 'uv.lock').forEach((pkg, i) => {
    const line = lines[i] ?? 1;
    if (!isTable(pkg) || typeof pkg.name !== 'string') {
      out.skip(`[[package]] #${i + 1}`, line, 'malformed', 'package table has no name');
      return;
    }
    const raw = `${pkg.name} ${String(pkg.version ?? '')}`.trim();
    const source = isTable(pkg.source) ? pkg.source : {};
    const skip = uvSourceSkip(source);
    if (skip !== null) {
      out.skip(raw, line, skip.reason, skip.message, pkg.name);
      return;
    }
    if (typeof pkg.version !== 'string' || pkg.version === '') {
      out.skip(raw, line, 'malformed', 'package has no version', pkg.name);
      return;
    }
    out.add('pypi', pkg.name, pkg.version, line, raw);
  });
  return doc.version === undefined ? undefined : String(doc.version);
}

function uvSourceSkip(source: Table): { reason: SkipReason; message: string } | null {
  if (typeof source.registry === 'string') return null;
  if (typeof source.git === 'string') return { reason: 'git', message: `git source (${source.git}), not a registry package` };
  if (typeof source.url === 'string') return { reason: 'url', message: `URL source (${source.url}), not a registry package` };
  if (typeof source.path === 'string') return { reason: 'file', message: `local path source (${source.path}), not a registry package` };
  if (typeof source.directory === 'string') return { reason: 'file', message: `local directory source (${source.directory}), not a registry package` };
  if (typeof source.editable === 'string' || typeof source.virtual === 'string') {
    return { reason: 'workspace', message: `the project itself or a workspace member (${String(source.editable ?? source.virtual)})` };
  }
  return { reason: 'unsupported', message: 'unknown package source' };
}

/**
 * Pipfile.lock (JSON). Sample:
 *   "default": { "requests": { "hashes": ["sha256:..."], "version": "==2.31.0" },
 *                "mylib": { "editable": true, "path": "." } },
 *   "develop": { ... }
 */
export function parsePipfileLock(text: string, doc: Table, out: EntryCollector): string | undefined {
  const lines = jsonKeyLines(text, (path) => path.length === 1 && (path[0] === 'default' || path[0] === 'develop'));
  for (const section of ['default', 'develop'] as const) {
    const packages = doc[section];
    if (packages === undefined) continue;
    if (!isTable(packages)) throw new VetboxError('INVALID_INPUT', `Pipfile.lock: "${section}" is not an object`);
    for (const [name, value] of Object.entries(packages)) {
      const line = lines.get(keyPath(section, name)) ?? 1;
      readPipfileEntry(name, value, line, out);
    }
  }
  const meta = isTable(doc._meta) ? doc._meta : {};
  return meta['pipfile-spec'] === undefined ? undefined : String(meta['pipfile-spec']);
}

function readPipfileEntry(name: string, value: unknown, line: number, out: EntryCollector): void {
  if (!isTable(value)) {
    out.skip(name, line, 'malformed', 'entry is not an object', name);
    return;
  }
  if (typeof value.git === 'string') return out.skip(name, line, 'git', `git source (${value.git}), not a registry package`, name);
  if (value.editable === true) return out.skip(name, line, 'editable', `editable local project (${String(value.path ?? value.file ?? '')})`, name);
  if (typeof value.path === 'string') return out.skip(name, line, 'file', `local path (${value.path}), not a registry package`, name);
  if (typeof value.file === 'string') {
    const reason: SkipReason = /^https?:/.test(value.file) ? 'url' : 'file';
    return out.skip(name, line, reason, `${reason === 'url' ? 'URL' : 'local file'} (${value.file}), not a registry package`, name);
  }
  const version = typeof value.version === 'string' ? value.version.trim() : '';
  const pinned = /^===?\s*([^\s,*]+)$/.exec(version);
  if (pinned === null) {
    out.skip(`${name} ${version}`.trim(), line, 'not-pinned', version === '' || version === '*' ? 'no exact version recorded' : `not pinned to one version (${version})`, name);
    return;
  }
  out.add('pypi', name, pinned[1], line, `${name}${version}`);
}
