import type { StaticReach } from '@vetbox/contracts';

/**
 * Where Python code runs at install, import or start-up: `setup.py` (pip runs it to build an
 * sdist), every `__init__.py` and `__main__.py` (importing a package runs them), `.pth` files
 * (`import` lines in them run at every interpreter start), and console-script entry points.
 */
export function pypiEntries(files: readonly string[], texts: (file: string) => string | undefined): Array<{ file: string; reach: StaticReach }> {
  const out: Array<{ file: string; reach: StaticReach }> = [];
  for (const f of files) {
    if (f === 'setup.py') out.push({ file: f, reach: 'install' });
    else if (/(^|\/)__init__\.py$/.test(f) && !isTestPath(f)) out.push({ file: f, reach: 'import' });
    else if (/(^|\/)__main__\.py$/.test(f)) out.push({ file: f, reach: 'execute' });
    else if (/\.pth$/.test(f)) out.push({ file: f, reach: 'import' });
  }
  for (const f of files) {
    if (!/(^|\/)entry_points\.txt$/.test(f)) continue;
    for (const module of entryPointModules(texts(f) ?? '')) {
      const file = resolvePython(files, module);
      if (file) out.push({ file, reach: 'execute' });
    }
  }
  return out;
}

function isTestPath(f: string): boolean {
  return /(^|\/)(tests?|testing|docs|examples?)\//.test(f);
}

/** `name = module.sub:func` lines of entry_points.txt → module names. */
export function entryPointModules(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*[\w.-]+\s*=\s*([\w.]+)\s*(:|$)/.exec(line);
    if (m) out.push(m[1]!);
  }
  return out.slice(0, 50);
}

/** Source roots a module path may live under (sdist layouts: flat, `src/`, `lib/`). */
const ROOTS = ['', 'src/', 'lib/'];

/** `pkg.sub` → `pkg/sub.py` or `pkg/sub/__init__.py` within the package, if it is there. */
export function resolvePython(files: readonly string[] | ReadonlySet<string>, module: string): string | undefined {
  const set = files instanceof Set ? files : new Set(files as readonly string[]);
  const rel = module.replace(/\./g, '/');
  for (const root of ROOTS) {
    for (const candidate of [`${root}${rel}.py`, `${root}${rel}/__init__.py`]) if (set.has(candidate)) return candidate;
  }
  return undefined;
}

/** A relative import (`.helpers`, `..util`) resolved against the importing file's package. */
export function absoluteModule(fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return specifier;
  const dots = /^\.+/.exec(specifier)![0].length;
  const parts = fromFile.replace(/\.py$/, '').split('/');
  parts.pop(); // the module itself (or __init__)
  for (let i = 1; i < dots; i++) parts.pop();
  const rest = specifier.slice(dots);
  const root = ROOTS.find((r) => r && parts.join('/').startsWith(r.slice(0, -1)));
  const pkg = (root ? parts.slice(1) : parts).join('.');
  const full = [pkg, rest].filter(Boolean).join('.');
  return full || undefined;
}
