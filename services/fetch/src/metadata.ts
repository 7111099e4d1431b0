import { valid as pep440Valid } from '@renovatebot/pep440';
import { PYPI_NAME_RE } from '@vetbox/contracts';
import hostedGitInfo from 'hosted-git-info';
import semver from 'semver';
import { parse as parseToml } from 'smol-toml';
import validateNpmName from 'validate-npm-package-name';
import { badArchive } from './limits.js';

// Pure helpers over metadata already read from an archive: no I/O here.

/** Headers of an RFC 822 style metadata file (PKG-INFO, METADATA, WHEEL); repeated keys keep every value. */
export function parseRfc822(text: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  let last: string[] | undefined;
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (line === '') break; // the body (long description) follows the first blank line
    if (/^[ \t]/.test(line) && last) {
      last[last.length - 1] += `\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const values = headers.get(key) ?? [];
    values.push(line.slice(colon + 1).trim());
    headers.set(key, values);
    last = values;
  }
  return headers;
}

export function firstHeader(headers: Map<string, string[]>, key: string): string | undefined {
  return headers.get(key.toLowerCase())?.[0];
}

export function checkNpmIdentity(name: unknown, version: unknown, where: string): { name: string; version: string } {
  if (typeof name !== 'string' || name === '') throw badArchive(`${where} has no "name"`);
  if (typeof version !== 'string' || version === '') throw badArchive(`${where} has no "version"`);
  const verdict = validateNpmName(name);
  if (!verdict.validForOldPackages) {
    const why = [...(verdict.errors ?? []), ...(verdict.warnings ?? [])].join('; ');
    throw badArchive(`${where} name ${JSON.stringify(name.slice(0, 100))} is not a valid npm package name (${why})`);
  }
  if (!semver.valid(version)) {
    throw badArchive(`${where} version ${JSON.stringify(version.slice(0, 100))} is not a valid semver version`);
  }
  return { name, version };
}

export function checkPypiIdentity(name: unknown, version: unknown, where: string): { name: string; version: string } {
  if (typeof name !== 'string' || name === '') throw badArchive(`${where} has no Name`);
  if (typeof version !== 'string' || version === '') throw badArchive(`${where} has no Version`);
  if (name.length > 214 || !PYPI_NAME_RE.test(name)) {
    throw badArchive(`${where} name ${JSON.stringify(name.slice(0, 100))} is not a valid Python project name`);
  }
  if (!pep440Valid(version)) {
    throw badArchive(`${where} version ${JSON.stringify(version.slice(0, 100))} is not a valid PEP 440 version`);
  }
  return { name, version };
}

export function parseJsonObject(buf: Buffer, where: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw badArchive(`${where} is not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badArchive(`${where} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** `[project] name / version` of a pyproject.toml; a dynamic version is undefined. */
export function pyprojectIdentity(buf: Buffer): { name?: string; version?: string } {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(buf.toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw badArchive(`pyproject.toml is not valid TOML (${(err as Error).message.split('\n')[0]})`);
  }
  const project = doc.project as Record<string, unknown> | undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { name: str(project?.name), version: str(project?.version) };
}

/** `foo-bar-1.2.3` → { name: 'foo-bar', version: '1.2.3' } (sdist directory convention). */
export function splitNameVersion(dirName: string): { name?: string; version?: string } {
  const m = /^(.+)-([^-]+)$/.exec(dirName);
  return m ? { name: m[1], version: m[2] } : {};
}

/** npm entry points declared by package.json: main, every path in exports, every bin. */
export function npmEntryPoints(pkg: Record<string, unknown>, files: ReadonlySet<string>, root: string): string[] {
  const out = new Set<string>();
  const add = (p: unknown) => {
    if (typeof p === 'string' && p.length > 0 && p.length < 1024) out.add(p);
  };
  add(pkg.main);
  const walk = (v: unknown, depth: number): void => {
    if (depth > 8) return;
    if (typeof v === 'string') add(v);
    else if (Array.isArray(v)) v.forEach((x) => walk(x, depth + 1));
    else if (v && typeof v === 'object') Object.values(v).forEach((x) => walk(x, depth + 1));
  };
  walk(pkg.exports, 0);
  if (typeof pkg.bin === 'string') add(pkg.bin);
  else if (pkg.bin && typeof pkg.bin === 'object') Object.values(pkg.bin).forEach(add);
  // Node's own default when nothing is declared.
  if (out.size === 0 && files.has(`${root}/index.js`)) out.add('index.js');
  return [...out];
}

const MAX_DECLARED_HOSTS = 10;

/**
 * The host part of a URL or a repository spec (`github:user/repo`, `user/repo`,
 * `git@host:user/repo.git`, `git+https://...`). Only DNS names: IP literals, `localhost` and
 * single-label names are never a project's public home.
 */
export function hostOfUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return undefined;
  let host: string | undefined;
  try {
    host = hostedGitInfo.fromUrl(value)?.domain;
  } catch {
    host = undefined; // hosted-git-info throws on some malformed specs; try it as a URL instead
  }
  if (!host) {
    const ssh = /^[\w.-]+@([\w.-]+):/.exec(value);
    try {
      host = ssh ? ssh[1] : new URL(value.replace(/^git\+/, '')).hostname;
    } catch {
      return undefined;
    }
  }
  const name = host.toLowerCase().replace(/\.$/, '');
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(name) || /^[\d.]+$/.test(name) || name.length > 253) return undefined;
  return name;
}

function uniqueHosts(values: unknown[]): string[] {
  const hosts = new Set<string>();
  for (const v of values) {
    const host = hostOfUrl(v);
    if (host) hosts.add(host);
    if (hosts.size >= MAX_DECLARED_HOSTS) break;
  }
  return [...hosts];
}

const urlField = (v: unknown): unknown => (v && typeof v === 'object' && 'url' in v ? (v as { url: unknown }).url : v);

/**
 * Hosts an npm package names as its own home: repository, homepage, bugs, and node-pre-gyp's
 * `binary.host` (where prebuilt addons are published). The package wrote these itself, so the
 * rules only let them lower a download of a release artifact, never an upload.
 */
export function npmDeclaredHosts(pkg: Record<string, unknown>): string[] {
  const binary = pkg.binary && typeof pkg.binary === 'object' ? (pkg.binary as Record<string, unknown>) : {};
  return uniqueHosts([urlField(pkg.repository), pkg.homepage, urlField(pkg.bugs), binary.host, binary.staging_host, binary.production_host]);
}

/** The same for a PyPI distribution: Home-page, Download-URL and every Project-URL of its metadata. */
export function pypiDeclaredHosts(headers: Map<string, string[]>): string[] {
  const projectUrls = (headers.get('project-url') ?? []).map((v) => v.slice(v.indexOf(',') + 1).trim());
  return uniqueHosts([...(headers.get('home-page') ?? []), ...(headers.get('download-url') ?? []), ...projectUrls]);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NOT_IMPORTED = new Set(['setup', 'conftest', 'noxfile', 'tasks', 'fabfile', 'manage', 'test', 'tests', 'docs', 'doc', 'examples', 'example', 'benchmarks', 'scripts', 'build', 'dist']);

/** Module name of a top-level Python file: `foo.py`, `foo.pyi`-less, or an extension `foo.cpython-311-x86_64-linux-gnu.so`. */
function moduleOfFile(file: string): string | undefined {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:\.py|(?:\.[A-Za-z0-9_-]+)?\.(?:so|pyd))$/.exec(file);
  return m?.[1];
}

/**
 * Top-level importable names of a wheel, from top_level.txt when present, else from the
 * files the wheel actually carries (what RECORD lists, without trusting RECORD).
 */
export function wheelImportNames(files: readonly string[], topLevelTxt?: Buffer): string[] {
  if (topLevelTxt) {
    const names = topLevelTxt
      .toString('utf8')
      .split(/\r?\n/)
      .map((l) => l.trim().split('/')[0])
      .filter((l) => IDENTIFIER.test(l));
    if (names.length > 0) return [...new Set(names)].sort();
  }
  const names = new Set<string>();
  for (const f of files) {
    const [top, ...rest] = f.split('/');
    if (top.endsWith('.dist-info') || top.endsWith('.data')) continue;
    if (rest.length === 0) {
      const mod = moduleOfFile(top);
      if (mod) names.add(mod);
    } else if (IDENTIFIER.test(top) && rest.some((r) => /\.(py|so)$/.test(r))) {
      names.add(top);
    }
  }
  return [...names].sort();
}

/**
 * Best-effort guess of an sdist's top-level modules from its layout (`pkg/__init__.py`,
 * `src/pkg/__init__.py`, `module.py`). May be empty: the sandbox resolves them after install.
 */
export function sdistImportNames(files: readonly string[], root: string): string[] {
  const names = new Set<string>();
  const prefix = `${root}/`;
  for (const f of files) {
    if (!f.startsWith(prefix)) continue;
    let parts = f.slice(prefix.length).split('/');
    if (parts[0] === 'src' && parts.length >= 2) parts = parts.slice(1);
    if (parts.length === 1) {
      const mod = moduleOfFile(parts[0]);
      if (mod && !NOT_IMPORTED.has(mod)) names.add(mod);
    } else if (parts.length === 2 && parts[1] === '__init__.py' && IDENTIFIER.test(parts[0]) && !NOT_IMPORTED.has(parts[0])) {
      names.add(parts[0]);
    }
  }
  return [...names].sort();
}

/** PEP 503 normalization: what PyPI and pip compare names by. */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Wheel/sdist file-name form of a project name (PEP 427 / PEP 625): runs of -_. become one underscore. */
export function pypiFileStem(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '_');
}

/** `py3-none-any` tags of a WHEEL file compressed into the file-name form `py2.py3-none-any`. */
export function wheelTagSuffix(wheelHeaders: Map<string, string[]>): string {
  const tags = wheelHeaders.get('tag') ?? [];
  const py: string[] = [];
  const abi: string[] = [];
  const plat: string[] = [];
  const push = (list: string[], v: string) => {
    if (!list.includes(v)) list.push(v);
  };
  for (const tag of tags) {
    const parts = tag.split('-');
    if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_.]+$/.test(p))) throw badArchive(`WHEEL has a malformed Tag ${JSON.stringify(tag.slice(0, 100))}`);
    push(py, parts[0]);
    push(abi, parts[1]);
    push(plat, parts[2]);
  }
  if (py.length === 0) throw badArchive('WHEEL declares no Tag');
  return `${py.join('.')}-${abi.join('.')}-${plat.join('.')}`;
}

/** Canonical archive file name for staging (pip and npm both read meaning into file names). */
export function npmTarballName(name: string, version: string): string {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}
