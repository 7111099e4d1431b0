import type { EntryCollector } from '../collector.js';
import { jsonKeyLines, keyPath } from '../json-lines.js';
import { classifyNpmSpec, classifyResolved } from '../npm-spec.js';

/** The fields of a package-lock entry that decide what it is (v1 `dependencies` or v2/v3 `packages`). */
interface NpmLockEntry {
  name?: unknown;
  version?: unknown;
  resolved?: unknown;
  link?: unknown;
  inBundle?: unknown;
  bundled?: unknown;
  dependencies?: unknown;
}

type Json = Record<string, unknown>;

const MAX_V1_DEPTH = 256;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * package-lock.json / npm-shrinkwrap.json. v2 and v3 are read from `packages` (keys are
 * install paths like `node_modules/a/node_modules/@s/b`); v1 (and v2 files without
 * `packages`) from the nested `dependencies` tree.
 */
export function parseNpmLock(text: string, doc: Json, out: EntryCollector): void {
  if (isObject(doc.packages)) parsePackagesSection(text, doc.packages, out);
  else if (isObject(doc.dependencies)) parseDependenciesTree(text, doc.dependencies, out);
}

function parsePackagesSection(text: string, packages: Json, out: EntryCollector): void {
  const lines = jsonKeyLines(text, (path) => path.length === 1 && path[0] === 'packages');
  const root = isObject(packages['']) ? packages[''] : {};
  for (const [installPath, value] of Object.entries(packages)) {
    if (installPath === '') continue; // the project itself
    const line = lines.get(keyPath('packages', installPath)) ?? 1;
    const marker = installPath.lastIndexOf('node_modules/');
    // Keys without node_modules/ are link targets (workspace folders, file: deps); the
    // node_modules/<name> entry that links to them is listed as skipped instead.
    if (marker < 0) continue;
    if (!isObject(value)) {
      out.skip(installPath, line, 'malformed', 'package entry is not an object');
      continue;
    }
    const entry = value as NpmLockEntry;
    const pathName = installPath.slice(marker + 'node_modules/'.length);
    const name = typeof entry.name === 'string' ? entry.name : pathName;
    const raw = installPath;
    if (entry.link === true) {
      out.skip(raw, line, 'link', `links to the local folder "${String(entry.resolved ?? '')}", not a registry package`, name);
      continue;
    }
    if (entry.inBundle === true) {
      out.skip(raw, line, 'bundled', 'bundled inside its parent package, whose tarball is analysed with it', name);
      continue;
    }
    // Top-level dependencies declared as git/file/URL specs in the root package.json.
    if (marker === 0 && !pathName.includes('/node_modules/')) {
      const declared = declaredSpec(root, pathName);
      if (declared !== undefined) {
        const kind = classifyNpmSpec(declared);
        if (kind.kind === 'skip') {
          out.skip(raw, line, kind.reason, kind.message, name);
          continue;
        }
      }
    }
    if (typeof entry.resolved === 'string') {
      const kind = classifyResolved(entry.resolved);
      if (kind?.kind === 'skip') {
        out.skip(raw, line, kind.reason, kind.message, name);
        continue;
      }
    }
    if (typeof entry.version !== 'string' || entry.version === '') {
      out.skip(raw, line, 'malformed', 'entry has no version', name);
      continue;
    }
    out.add('npm', name, entry.version, line, raw);
  }
}

function declaredSpec(root: Json, name: string): string | undefined {
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
    const deps = root[field];
    if (isObject(deps) && typeof deps[name] === 'string') return deps[name];
  }
  return undefined;
}

function parseDependenciesTree(text: string, dependencies: Json, out: EntryCollector): void {
  const lines = jsonKeyLines(text, (path) => path.length % 2 === 1 && path[path.length - 1] === 'dependencies');
  const walk = (deps: Json, parentPath: string[]): void => {
    // npm never nests this deep; a file that does is hostile or broken, not a dependency tree.
    if (parentPath.length / 2 >= MAX_V1_DEPTH) {
      out.skip(parentPath.join('/'), lines.get(keyPath(...parentPath)) ?? 1, 'malformed', `dependencies nested deeper than ${MAX_V1_DEPTH} levels`);
      return;
    }
    for (const [name, value] of Object.entries(deps)) {
      const path = [...parentPath, 'dependencies', name];
      const line = lines.get(keyPath(...path)) ?? 1;
      if (!isObject(value)) {
        out.skip(name, line, 'malformed', 'dependency entry is not an object', name);
        continue;
      }
      readV1Dependency(name, value as NpmLockEntry, line, out);
      if (isObject(value.dependencies)) walk(value.dependencies, path);
    }
  };
  walk(dependencies, []);
}

/** One v1 entry: `version` holds a semver, or `npm:real@1.0.0` for aliases, or the git/file/URL spec. */
function readV1Dependency(name: string, entry: NpmLockEntry, line: number, out: EntryCollector): void {
  if (entry.bundled === true) {
    out.skip(name, line, 'bundled', 'bundled inside its parent package, whose tarball is analysed with it', name);
    return;
  }
  if (typeof entry.version !== 'string' || entry.version === '') {
    out.skip(name, line, 'malformed', 'entry has no version', name);
    return;
  }
  const raw = `${name}@${entry.version}`;
  const kind = classifyNpmSpec(entry.version);
  if (kind.kind === 'skip') {
    out.skip(raw, line, kind.reason, kind.message, name);
    return;
  }
  if (typeof entry.resolved === 'string') {
    const resolvedKind = classifyResolved(entry.resolved);
    if (resolvedKind?.kind === 'skip') {
      out.skip(raw, line, resolvedKind.reason, resolvedKind.message, name);
      return;
    }
  }
  if (kind.kind === 'alias') out.add('npm', kind.name, kind.range, line, raw);
  else out.add('npm', name, kind.range, line, raw);
}
