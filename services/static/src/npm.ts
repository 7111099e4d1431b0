import path from 'node:path/posix';
import type { StaticReach } from '@vetbox/contracts';

/** Lifecycle scripts `npm install` (and the sandbox's `npm rebuild`) runs for an installed package. */
export const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'] as const;

export interface NpmEntries {
  /** Package-relative files and why they run. */
  files: Array<{ file: string; reach: StaticReach }>;
  /** Lifecycle script command lines, by script name. */
  scripts: Array<{ name: string; command: string }>;
}

/** Where install, import and execute start: lifecycle scripts' files, main/exports, bin. */
export function npmEntries(pkg: Record<string, unknown>, has: (file: string) => boolean): NpmEntries {
  const files: NpmEntries['files'] = [];
  const scripts: NpmEntries['scripts'] = [];
  const raw = (pkg.scripts ?? {}) as Record<string, unknown>;
  for (const name of INSTALL_SCRIPTS) {
    const command = raw[name];
    if (typeof command !== 'string') continue;
    scripts.push({ name, command });
    for (const token of shellWords(command)) {
      const file = resolveModule(has, '', token.replace(/^\.\//, ''));
      if (file) files.push({ file, reach: 'install' });
    }
  }
  const main = typeof pkg.main === 'string' ? pkg.main : 'index.js';
  const mainFile = resolveModule(has, '', main.replace(/^\.\//, '')) ?? resolveModule(has, '', 'index');
  if (mainFile) files.push({ file: mainFile, reach: 'import' });
  for (const target of exportTargets(pkg.exports)) {
    const file = resolveModule(has, '', target.replace(/^\.\//, ''));
    if (file) files.push({ file, reach: 'import' });
  }
  const bin = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values((pkg.bin ?? {}) as Record<string, unknown>);
  for (const b of bin) {
    if (typeof b !== 'string') continue;
    const file = resolveModule(has, '', b.replace(/^\.\//, ''));
    if (file) files.push({ file, reach: 'execute' });
  }
  return { files, scripts };
}

/** String targets of an `exports` map (conditions and subpaths), bounded. */
function exportTargets(exports: unknown, out: string[] = [], depth = 0): string[] {
  if (out.length >= 64 || depth > 6) return out;
  if (typeof exports === 'string') {
    if (!exports.includes('*')) out.push(exports);
  } else if (Array.isArray(exports)) for (const e of exports) exportTargets(e, out, depth + 1);
  else if (exports && typeof exports === 'object') for (const v of Object.values(exports)) exportTargets(v, out, depth + 1);
  return out;
}

/** Words of a lifecycle command: enough to find the files it names (`node scripts/install.js`). */
export function shellWords(command: string): string[] {
  return command
    .split(/[\s;&|()<>]+/)
    .map((w) => w.replace(/^['"]|['"]$/g, ''))
    .filter((w) => w.length > 0 && !w.startsWith('-'));
}

const EXTENSIONS = ['', '.js', '.cjs', '.mjs', '/index.js', '/index.cjs', '/index.mjs'];

/**
 * Node's resolution of a relative specifier inside the package (no node_modules lookup:
 * dependencies are read only when a phase opened them). Returns a package-relative path.
 */
export function resolveModule(has: (file: string) => boolean, fromDir: string, specifier: string): string | undefined {
  const base = path.normalize(path.join(fromDir, specifier));
  if (base.startsWith('..') || base.startsWith('/')) return undefined;
  for (const ext of EXTENSIONS) {
    const candidate = `${base}${ext}`.replace(/^\.\//, '');
    if (/\.(js|cjs|mjs)$/.test(candidate) || (ext === '' && has(candidate) && !/\.\w+$/.test(candidate))) {
      if (has(candidate)) return candidate;
    }
  }
  return undefined;
}

/** A require/import specifier that stays inside the package: relative, or the package's own name. */
export function localSpecifier(specifier: string, packageName: string): string | undefined {
  if (specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..') return specifier;
  if (specifier === packageName) return '.';
  if (specifier.startsWith(`${packageName}/`)) return `./${specifier.slice(packageName.length + 1)}`;
  return undefined;
}
