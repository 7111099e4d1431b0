import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ArchiveQuirk, Ecosystem } from '@vetbox/contracts';
import { badArchive, defaultArchiveLimits, formatBytes, tooLarge, type ArchiveLimits } from './limits.js';
import {
  checkNpmIdentity,
  checkPypiIdentity,
  firstHeader,
  npmDeclaredHosts,
  npmEntryPoints,
  npmTarballName,
  parseJsonObject,
  parseRfc822,
  pypiDeclaredHosts,
  pypiFileStem,
  pyprojectIdentity,
  sdistImportNames,
  splitNameVersion,
  wheelImportNames,
  wheelTagSuffix,
} from './metadata.js';
import { baseName, depthOf, topSegment } from './paths.js';
import type { FetchedArtifact } from './types.js';
import { scanArchive, type ArchiveFormat, type ArchiveScan } from './scan.js';
import { eggInfoRequires, pyprojectRequires, requiresDist, setuptoolsRequires, type Requirement } from './requirements.js';
import { parse as parseToml } from 'smol-toml';

export type ArchiveKind = 'npm-tarball' | 'sdist' | 'wheel';

/** What an archive is, read from its own metadata after a full validating pass. */
export interface InspectedArchive {
  ecosystem: Ecosystem;
  kind: ArchiveKind;
  format: ArchiveFormat;
  name: string;
  version: string;
  /** Canonical file name for staging (pip reads name, version and tags from it). */
  fileName: string;
  sha256: string;
  size: number;
  entryCount: number;
  unpackedBytes: number;
  /** npm: [name]; wheel: top-level modules; sdist: best-effort guess (may be empty). */
  importNames: string[];
  /** npm: main / exports / bin from package.json. */
  entryPoints: string[];
  /** Hosts the package's metadata names as its home (repository, homepage, binary host). */
  declaredHosts: string[];
  /** PyPI: the distribution's declared requirements, read from its metadata (never by running setup.py). */
  requires?: Requirement[];
  /** What the installer accepts but a reviewer reading the archive could be misled by. */
  quirks: ArchiveQuirk[];
  /** npm: the tarball's own package.json has preinstall/install/postinstall, or it ships a binding.gyp (npm builds it). */
  installScript?: boolean;
  /** npm: those lifecycle scripts as the tarball's package.json declares them (name → command). */
  installHooks?: Record<string, string>;
  /** npm: names in the tarball's package.json dependencies and optionalDependencies. */
  dependencyNames?: string[];
}

export interface InspectOptions {
  limits?: Partial<ArchiveLimits>;
}

// Only these, one directory deep, are held in memory; everything else is counted and drained.
const METADATA_FILES = new Set(['package.json', 'PKG-INFO', 'pyproject.toml', 'METADATA', 'WHEEL', 'top_level.txt', 'setup.cfg', 'setup.py']);
const isMetadata = (path: string) =>
  (depthOf(path) === 2 && METADATA_FILES.has(baseName(path))) || (depthOf(path) === 3 && /\.egg-info\/requires\.txt$/.test(path));

/**
 * Validates an uploaded archive (npm .tgz, sdist .tar.gz/.zip, wheel) and identifies it from
 * its content. `originalName` (the client's file name) is never used as a path; it only
 * appears in error messages.
 */
export async function inspectUpload(filePath: string, originalName?: string, opts: InspectOptions = {}): Promise<FetchedArtifact> {
  try {
    return { ...(await inspectArchive(filePath, opts)), source: 'upload', path: path.resolve(filePath) };
  } catch (err) {
    if (originalName && err instanceof Error && 'code' in err) {
      err.message = `${err.message} [${JSON.stringify(originalName.slice(0, 200))}]`;
    }
    throw err;
  }
}

export async function inspectArchive(filePath: string, opts: InspectOptions = {}): Promise<InspectedArchive> {
  const limits = defaultArchiveLimits(opts.limits);
  const { size } = await stat(filePath);
  if (size > limits.maxCompressedBytes) throw tooLarge(`${formatBytes(size)} is over the ${formatBytes(limits.maxCompressedBytes)} limit`);
  const scan = await scanArchive(filePath, limits, isMetadata);
  return scan.format === 'zip' ? identifyZip(scan) : identifyTarball(scan);
}

function base(scan: ArchiveScan) {
  return { format: scan.format, sha256: scan.sha256, size: scan.size, entryCount: scan.entryCount, unpackedBytes: scan.unpackedBytes, quirks: quirksOf(scan) };
}

function quirksOf(scan: ArchiveScan): ArchiveQuirk[] {
  const installer = scan.format === 'zip' ? 'pip' : 'npm and pip';
  return scan.duplicates.map((path) => ({
    kind: 'duplicate-entry' as const,
    path,
    detail: `${JSON.stringify(path)} appears more than once in the archive; ${installer} install the last copy, which a reviewer reading the first never sees`,
  }));
}

/** npm tarballs and sdists both keep everything under one top-level directory. */
function singleTopDir(scan: ArchiveScan): string {
  const tops = new Set(scan.files.map(topSegment));
  const loose = scan.files.find((f) => depthOf(f) < 2);
  if (scan.files.length === 0) throw badArchive('the archive holds no files');
  if (tops.size !== 1 || loose) {
    const shown = [...tops].slice(0, 3).map((t) => JSON.stringify(t)).join(', ');
    throw badArchive(`entries are not under a single top-level directory (found ${shown}${tops.size > 3 ? ', ...' : ''})`);
  }
  return [...tops][0];
}

function identifyTarball(scan: ArchiveScan): InspectedArchive {
  const root = singleTopDir(scan);
  const has = (f: string) => scan.captured.has(`${root}/${f}`);
  const files = new Set(scan.files);
  const python = has('PKG-INFO') || has('pyproject.toml') || files.has(`${root}/setup.py`);
  // npm always packs under package/; an sdist is <name>-<version>/ and may ship a package.json too.
  if (has('package.json') && (root === 'package' || !python)) return identifyNpm(scan, root, files);
  if (python) return identifySdist(scan, root);
  throw badArchive(
    'no package metadata: expected package/package.json (npm) or PKG-INFO, pyproject.toml or setup.py at the top of a PyPI sdist',
  );
}

function identifyNpm(scan: ArchiveScan, root: string, files: Set<string>): InspectedArchive {
  const pkg = parseJsonObject(scan.captured.get(`${root}/package.json`)!, 'package.json');
  const { name, version } = checkNpmIdentity(pkg.name, pkg.version, 'package.json');
  const hooks = npmInstallHooks(pkg);
  return {
    ...base(scan),
    ecosystem: 'npm',
    kind: 'npm-tarball',
    name,
    version,
    fileName: npmTarballName(name, version),
    importNames: [name],
    entryPoints: npmEntryPoints(pkg, files, root),
    declaredHosts: npmDeclaredHosts(pkg),
    installScript: Object.keys(hooks).length > 0 || files.has(`${root}/binding.gyp`),
    installHooks: hooks,
    dependencyNames: ['dependencies', 'optionalDependencies'].flatMap((k) => (typeof pkg[k] === 'object' && pkg[k] !== null ? Object.keys(pkg[k]) : [])),
  };
}

/** The lifecycle scripts npm runs at install (besides building a binding.gyp: `node-gyp rebuild`). */
function npmInstallHooks(pkg: Record<string, unknown>): Record<string, string> {
  const scripts = (typeof pkg.scripts === 'object' && pkg.scripts !== null ? pkg.scripts : {}) as Record<string, unknown>;
  return Object.fromEntries(['preinstall', 'install', 'postinstall'].flatMap((k) => (typeof scripts[k] === 'string' ? [[k, scripts[k] as string]] : [])));
}

function identifySdist(scan: ArchiveScan, root: string): InspectedArchive {
  const pkgInfo = scan.captured.get(`${root}/PKG-INFO`);
  const pyproject = scan.captured.get(`${root}/pyproject.toml`);
  let found: { name?: string; version?: string } = {};
  let where = 'PKG-INFO';
  let declaredHosts: string[] = [];
  if (pkgInfo) {
    const h = parseRfc822(pkgInfo.toString('utf8'));
    found = { name: firstHeader(h, 'Name'), version: firstHeader(h, 'Version') };
    declaredHosts = pypiDeclaredHosts(h);
  } else {
    // No PKG-INFO (a hand-made sdist): pyproject's [project] table, then the <name>-<version> directory.
    const fromToml = pyproject ? pyprojectIdentity(pyproject) : {};
    const fromDir = splitNameVersion(root);
    found = { name: fromToml.name ?? fromDir.name, version: fromToml.version ?? fromDir.version };
    where = `sdist ${JSON.stringify(root)} (no PKG-INFO)`;
  }
  const { name, version } = checkPypiIdentity(found.name, found.version, where);
  const ext = scan.format === 'zip' ? 'zip' : 'tar.gz';
  const text = (f: string) => scan.captured.get(`${root}/${f}`)?.toString('utf8');
  return {
    ...base(scan),
    ecosystem: 'pypi',
    kind: 'sdist',
    name,
    version,
    fileName: `${pypiFileStem(name)}-${version}.${ext}`,
    importNames: sdistImportNames(scan.files, root),
    entryPoints: [],
    declaredHosts,
    requires: sdistRequires(scan, root, text),
  };
}

function identifyZip(scan: ArchiveScan): InspectedArchive {
  const distInfos = [...scan.captured.keys()].filter((k) => /^[^/]+\.dist-info\/METADATA$/.test(k));
  if (distInfos.length > 1) throw badArchive(`the wheel has ${distInfos.length} .dist-info directories`);
  if (distInfos.length === 1) return identifyWheel(scan, distInfos[0].slice(0, -'/METADATA'.length));
  const tops = new Set(scan.files.map(topSegment));
  if (tops.size === 1) {
    const root = [...tops][0];
    const files = new Set(scan.files);
    if (scan.captured.has(`${root}/PKG-INFO`) || scan.captured.has(`${root}/pyproject.toml`) || files.has(`${root}/setup.py`)) {
      singleTopDir(scan);
      return identifySdist(scan, root);
    }
  }
  throw badArchive(
    'the zip is neither a wheel (no *.dist-info/METADATA) nor a PyPI sdist (no PKG-INFO, pyproject.toml or setup.py under one top-level directory)',
  );
}

function identifyWheel(scan: ArchiveScan, distInfo: string): InspectedArchive {
  const meta = parseRfc822(scan.captured.get(`${distInfo}/METADATA`)!.toString('utf8'));
  const { name, version } = checkPypiIdentity(firstHeader(meta, 'Name'), firstHeader(meta, 'Version'), 'wheel METADATA');
  const wheelFile = scan.captured.get(`${distInfo}/WHEEL`);
  if (!wheelFile) throw badArchive(`the wheel has no ${distInfo}/WHEEL file`);
  const tags = wheelTagSuffix(parseRfc822(wheelFile.toString('utf8')));
  return {
    ...base(scan),
    ecosystem: 'pypi',
    kind: 'wheel',
    name,
    version,
    fileName: `${pypiFileStem(name)}-${version.replace(/-/g, '_')}-${tags}.whl`,
    importNames: wheelImportNames(scan.files, scan.captured.get(`${distInfo}/top_level.txt`)),
    entryPoints: [],
    declaredHosts: pypiDeclaredHosts(meta),
    requires: requiresDist(meta),
  };
}

/**
 * An sdist's requirements, from the first source that has them: PKG-INFO's Requires-Dist
 * (metadata 2.2+), egg-info's requires.txt, pyproject's [project] dependencies, setup.cfg's
 * install_requires, a literal install_requires list in setup.py.
 */
function sdistRequires(scan: ArchiveScan, root: string, text: (f: string) => string | undefined): Requirement[] {
  const pkgInfo = text('PKG-INFO');
  const fromPkgInfo = pkgInfo ? requiresDist(parseRfc822(pkgInfo)) : [];
  if (fromPkgInfo.length > 0) return fromPkgInfo;
  const eggInfo = [...scan.captured.keys()].find((k) => k.startsWith(`${root}/`) && k.endsWith('.egg-info/requires.txt'));
  if (eggInfo) return eggInfoRequires(scan.captured.get(eggInfo)!.toString('utf8'));
  const pyproject = text('pyproject.toml');
  if (pyproject) {
    try {
      const deps = pyprojectRequires(parseToml(pyproject) as Record<string, unknown>);
      if (deps.length > 0) return deps;
    } catch {
      // identity parsing already reported a broken pyproject.toml where it matters
    }
  }
  return setuptoolsRequires(text('setup.cfg'), text('setup.py'));
}
