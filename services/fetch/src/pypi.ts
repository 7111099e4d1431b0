import { valid as pep440Valid } from '@renovatebot/pep440';
import { loadEnv } from '@vetbox/config';
import { PYPI_NAME_RE, VetboxError } from '@vetbox/contracts';
import { downloadVerifyInspect, safeFileName } from './download.js';
import { getJson } from './http.js';
import { normalizePypiName } from './metadata.js';
import { DEFAULTS, type FetchedArtifact, type PypiFetchOptions } from './types.js';

// Subset of PyPI's JSON API (https://docs.pypi.org/api/json/).
export interface PypiFile {
  filename?: string;
  url?: string;
  packagetype?: string;
  digests?: { sha256?: string };
  yanked?: boolean;
  upload_time_iso_8601?: string;
  upload_time?: string;
}
interface PypiRelease {
  info?: { name?: string; version?: string };
  urls?: PypiFile[];
}
interface PypiProject {
  info?: { name?: string };
  releases?: Record<string, PypiFile[]>;
}

// The sandbox image runs Debian bookworm's CPython 3.11 on x86_64 with glibc 2.36.
const SANDBOX_PYTHON_MINOR = 11;
const SANDBOX_GLIBC_MINOR = 36;

export function checkPypiRequest(name: string, version: string): void {
  if (name.length > 214 || !PYPI_NAME_RE.test(name)) {
    throw new VetboxError('INVALID_INPUT', `not a valid PyPI project name: ${JSON.stringify(name.slice(0, 100))}`);
  }
  if (!pep440Valid(version)) throw new VetboxError('INVALID_INPUT', `not a valid PEP 440 version: ${JSON.stringify(version.slice(0, 100))}`);
}

export function pypiBase(opts: { pypiUrl?: string }): string {
  return (opts.pypiUrl ?? loadEnv().PYPI_URL).replace(/\/+$/, '');
}

/** `{dist}-{ver}[-{build}]-{py}-{abi}-{plat}.whl` → its compressed tag sets. */
export function wheelTags(fileName: string): { py: string[]; abi: string[]; plat: string[] } | undefined {
  const parts = fileName.replace(/\.whl$/, '').split('-');
  if (!fileName.endsWith('.whl') || parts.length < 5) return undefined;
  const [py, abi, plat] = parts.slice(-3).map((p) => p.split('.'));
  return { py, abi, plat };
}

export function isPureWheel(fileName: string): boolean {
  const t = wheelTags(fileName);
  return !!t && t.abi.includes('none') && t.plat.includes('any') && t.py.some((p) => p === 'py3' || /^py3\d+$/.test(p));
}

/** A binary wheel the sandbox's CPython 3.11 / manylinux x86_64 would accept. */
export function isSandboxCompatibleWheel(fileName: string): boolean {
  const t = wheelTags(fileName);
  if (!t) return false;
  const platOk = t.plat.some((p) => {
    if (/^(manylinux1|manylinux2010|manylinux2014|linux)_x86_64$/.test(p)) return true;
    const m = /^manylinux_2_(\d+)_x86_64$/.exec(p);
    return !!m && Number(m[1]) <= SANDBOX_GLIBC_MINOR;
  });
  const pyOk = t.py.some((p) => {
    const m = /^(?:cp|py)3(\d*)$/.exec(p);
    if (!m) return false;
    const minor = m[1] === '' ? 0 : Number(m[1]);
    return minor === SANDBOX_PYTHON_MINOR || ((t.abi.includes('abi3') || t.abi.includes('none')) && minor <= SANDBOX_PYTHON_MINOR);
  });
  const abiOk = t.abi.some((a) => a === 'none' || a === 'abi3' || a === `cp3${SANDBOX_PYTHON_MINOR}`);
  return platOk && pyOk && abiOk;
}

/**
 * Which file of a release to analyze: a pure-Python wheel first (installs without building),
 * else an sdist (.tar.gz before .zip; setup.py runs in the sandbox), else a binary wheel the
 * sandbox can install. Non-yanked files are preferred within each class.
 */
export function choosePypiFile(files: PypiFile[]): PypiFile | undefined {
  const named = files.filter((f): f is PypiFile & { filename: string } => typeof f.filename === 'string' && typeof f.url === 'string');
  const rank = (f: PypiFile & { filename: string }): number => {
    const yanked = f.yanked ? 10 : 0;
    if (isPureWheel(f.filename)) return 0 + yanked;
    if (f.filename.endsWith('.tar.gz')) return 1 + yanked;
    if (f.filename.endsWith('.zip')) return 2 + yanked;
    if (isSandboxCompatibleWheel(f.filename)) return 3 + yanked;
    return Infinity;
  };
  const ranked = named.map((f) => ({ f, r: rank(f) })).filter((x) => x.r !== Infinity);
  ranked.sort((a, b) => a.r - b.r);
  return ranked[0]?.f;
}

function jsonOpts(what: string, opts: PypiFetchOptions) {
  return { what, timeoutMs: opts.metadataTimeoutMs ?? DEFAULTS.metadataTimeoutMs, signal: opts.signal, maxBytes: DEFAULTS.maxMetadataBytes };
}

/**
 * Downloads name==version from PyPI's JSON API (PYPI_URL) and the file URL it lists,
 * checks `digests.sha256` and inspects the archive. Only the package itself is fetched:
 * its dependencies are out of scope offline (the sandbox runs pip with --no-deps).
 */
export async function fetchPypi(name: string, version: string, opts: PypiFetchOptions = {}): Promise<FetchedArtifact> {
  checkPypiRequest(name, version);
  const what = `PyPI package ${name}==${version}`;
  const url = `${pypiBase(opts)}/pypi/${encodeURIComponent(name)}/${encodeURIComponent(version)}/json`;
  const release = (await getJson(url, jsonOpts(what, opts))) as PypiRelease;
  const files = Array.isArray(release?.urls) ? release.urls : [];
  const chosen = choosePypiFile(files);
  if (!chosen) {
    throw new VetboxError('PACKAGE_NOT_FOUND', `${what}: no pure-Python wheel, sdist or compatible wheel among ${files.length} file(s)`);
  }
  const expected = chosen.digests?.sha256?.toLowerCase();
  if (!expected || !/^[0-9a-f]{64}$/.test(expected)) throw new VetboxError('INTEGRITY_MISMATCH', `${what}: PyPI lists no sha256 for ${chosen.filename}`);
  const projectName = typeof release.info?.name === 'string' && PYPI_NAME_RE.test(release.info.name) ? release.info.name : name;
  const artifact = await downloadVerifyInspect(
    {
      url: chosen.url!,
      fileName: safeFileName(chosen.filename, `${normalizePypiName(name)}-${version}.download`),
      what,
      algorithms: ['sha256'],
      kinds: ['sdist', 'wheel'],
      verify: (download) => {
        const actual = download.digests.sha256!.toString('hex');
        if (actual !== expected) {
          throw new VetboxError('INTEGRITY_MISMATCH', `${what}: ${chosen.filename} sha256 ${actual} does not match PyPI's ${expected}`, {
            details: { expected, actual },
          });
        }
      },
    },
    opts,
  );
  return { ...artifact, name: projectName, version, fileName: safeFileName(chosen.filename, artifact.fileName) };
}

/** Versions of a project that still have at least one non-yanked file. */
export async function pypiReleases(name: string, opts: PypiFetchOptions = {}): Promise<string[]> {
  const url = `${pypiBase(opts)}/pypi/${encodeURIComponent(name)}/json`;
  const project = (await getJson(url, jsonOpts(`PyPI project ${name}`, opts))) as PypiProject;
  return Object.entries(project?.releases ?? {})
    .filter(([, files]) => Array.isArray(files) && files.some((f) => !f.yanked))
    .map(([version]) => version);
}
