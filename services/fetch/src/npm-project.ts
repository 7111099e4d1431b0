/**
 * The npm project a package is installed into, when that project's dependencies are already
 * installed elsewhere (the sandbox image's app project). Pure functions over lockfiles (v3).
 *
 * A full copy of the app's node_modules per analysis costs seconds; symlinks cost nothing, but
 * npm replaces any node_modules entry whose lockfile entry is not a link, and it prunes links
 * nothing depends on. So the staged lockfile says what the staged tree is: the app's installed
 * packages as nodes outside the project (where the image installed them), a link for
 * each one the project resolves at its top level, and the analyzed package with whatever npm
 * added for it as ordinary entries that `npm install` extracts from the staged cache.
 */

export interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  bin?: Record<string, string> | string;
  /** npm runs a package's install scripts (or its binding.gyp build) only when this is set. */
  hasInstallScript?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [key: string]: unknown;
}

export interface Lockfile {
  packages?: Record<string, LockEntry>;
  [key: string]: unknown;
}

/** Where an npm project's packages are already installed. */
export interface InstalledProject {
  /** Relative to the project root the package is staged into. */
  fromRoot: string;
  /** Absolute. */
  dir: string;
}

export interface LinkedProject {
  lock: Lockfile;
  /** node_modules/<name> → symlink target (the absolute installed directory), one per link entry. */
  links: Record<string, string>;
  /** node_modules/.bin/<bin> → relative target (as npm writes them) for the linked packages. */
  bins: Record<string, string>;
  /** Lockfile keys npm must still install (tarballs to cache). */
  installKeys: string[];
}

const NM = 'node_modules/';

/** The package name a lockfile key installs (`node_modules/a/node_modules/@s/b` → `@s/b`). */
export function nameOfKey(key: string): string {
  return key.slice(key.lastIndexOf(NM) + NM.length);
}

/** The key of the package whose node_modules holds `key` ('' for the project root). */
function parentKey(key: string): string {
  const at = key.lastIndexOf(NM);
  return at <= 0 ? '' : key.slice(0, at - 1);
}

/** Every package key from the top-level one down to `key` itself. */
function chain(key: string): string[] {
  const out: string[] = [];
  for (let k = key; k !== ''; k = parentKey(k)) out.unshift(k);
  return out;
}

/** Node's lookup: the nearest node_modules/<name> from `from` upwards. */
export function resolveKey(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let dir = from; ; dir = parentKey(dir)) {
    const candidate = dir === '' ? `${NM}${name}` : `${dir}/${NM}${name}`;
    if (packages[candidate]) return candidate;
    if (dir === '') return undefined;
  }
}

function sameEntry(a: LockEntry | undefined, b: LockEntry | undefined): boolean {
  if (!a || !b || a.version !== b.version) return false;
  return !a.integrity || !b.integrity || a.integrity === b.integrity;
}

function dependencyNames(entry: LockEntry): string[] {
  return [entry.dependencies, entry.optionalDependencies, entry.peerDependencies, entry.devDependencies].flatMap((d) => Object.keys(d ?? {}));
}

/**
 * Rewrites `lock` (npm's resolution of the app project plus the analyzed package) so that every
 * package already installed (described by `appLock`) is used from there: see the
 * module comment. `installed.fromRoot` is the installed project's directory relative to the project
 * root (npm resolves lockfile locations from there), `installed.dir` the same, absolute (symlink
 * targets: Docker refuses to copy in relative links that climb out of the copied tree). A top-level app package that npm changed, or put
 * something inside, is installed for real instead (its subtree stays ordinary entries).
 */
export function linkInstalledProject(lock: Lockfile, appLock: Lockfile, installed: InstalledProject): LinkedProject {
  const packages = lock.packages ?? {};
  const app = appLock.packages ?? {};
  const top = (key: string): string => chain(key)[0]!;

  // App packages whose installed directory is not what npm expects: something new inside them.
  const dirty = new Set<string>();
  for (const key of Object.keys(packages)) {
    if (key === '' || sameEntry(packages[key], app[key])) continue;
    if (top(key) !== key && app[top(key)]) dirty.add(top(key));
  }
  for (const key of Object.keys(app)) if (key !== '' && !packages[key] && top(key) !== key) dirty.add(top(key));
  const fromApp = (key: string): boolean => !dirty.has(top(key)) && chain(key).every((k) => sameEntry(packages[k], app[k]));

  const installKeys = Object.keys(packages).filter((k) => k !== '' && !fromApp(k));
  // Top-level app packages something resolves to: the root's dependencies and the new packages'.
  const linked = new Set<string>();
  for (const from of ['', ...installKeys]) {
    for (const name of dependencyNames(packages[from] ?? {})) {
      const key = resolveKey(packages, from, name);
      if (key && top(key) === key && fromApp(key)) linked.add(key);
    }
  }

  const out: Record<string, LockEntry> = {};
  if (packages['']) out[''] = packages[''];
  const links: Record<string, string> = {};
  const bins: Record<string, string> = {};
  for (const key of Object.keys(packages).sort()) {
    if (key === '') continue;
    if (linked.has(key)) {
      out[key] = { resolved: `${installed.fromRoot}/${key}`, link: true };
      links[key] = `${installed.dir}/${key}`;
      for (const [bin, file] of Object.entries(binsOf(app[key]!, nameOfKey(key)))) {
        bins[`${NM}.bin/${bin}`] = `../${nameOfKey(key)}/${file.replace(/^\.\//, '')}`;
      }
    } else if (!fromApp(key)) {
      out[key] = packages[key]!;
    }
  }
  for (const [key, entry] of Object.entries(app)) if (key !== '') out[`${installed.fromRoot}/${key}`] = entry;
  return { lock: { ...lock, packages: out }, links, bins, installKeys };
}

function binsOf(entry: LockEntry, name: string): Record<string, string> {
  if (typeof entry.bin === 'string') return { [name.split('/').pop()!]: entry.bin };
  return entry.bin ?? {};
}

/**
 * `name@version` of the registry tarballs `npm install` will extract for `keys`: links and
 * file: entries need none, and neither do optional packages for another platform (npm skips them).
 */
export function tarballSpecs(packages: Record<string, LockEntry>, keys: Iterable<string>, platform = { os: 'linux', cpu: 'x64' }): string[] {
  const specs = new Set<string>();
  for (const key of keys) {
    const entry = packages[key];
    if (!entry || entry.link || !entry.version) continue;
    if (entry.resolved !== undefined && !/^https?:/.test(entry.resolved)) continue;
    if (entry.optional && (!allows(entry.os, platform.os) || !allows(entry.cpu, platform.cpu))) continue;
    specs.add(`${entry.name ?? nameOfKey(key)}@${entry.version}`);
  }
  return [...specs].sort();
}

/** npm's os/cpu fields: a list of allowed values, `!value` excluded. */
function allows(list: string[] | undefined, value: string): boolean {
  if (!list || list.length === 0) return true;
  if (list.includes(`!${value}`)) return false;
  const allowed = list.filter((v) => !v.startsWith('!'));
  return allowed.length === 0 || allowed.includes(value);
}
