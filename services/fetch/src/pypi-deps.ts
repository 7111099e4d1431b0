import path from 'node:path';
import { explain, maxSatisfying, valid as pep440Valid } from '@renovatebot/pep440';
import { isVetboxError, VetboxError } from '@vetbox/contracts';
import { downloadVerifyInspect, safeFileName } from './download.js';
import { getJson } from './http.js';
import { normalizePypiName } from './metadata.js';
import { isPureWheel, isSandboxCompatibleWheel, pypiBase, type PypiFile } from './pypi.js';
import { applicable, type Requirement } from './requirements.js';
import { DEFAULTS, type FetchedArtifact, type PypiFetchOptions } from './types.js';

/** How far dependency staging goes: a deep or huge tree is cut, and the cut is said. */
export interface DependencyBounds {
  maxDepth: number;
  maxCount: number;
  maxBytes: number;
}

export const DEFAULT_DEPENDENCY_BOUNDS: DependencyBounds = { maxDepth: 4, maxCount: 40, maxBytes: 200 * 1024 * 1024 };

export interface StagedDependencies {
  /** Archive paths relative to the staged dir (dist/…), in resolution order. */
  archives: string[];
  /** Every applicable requirement was staged (pip may resolve them itself). */
  complete: boolean;
  /** Why something was left out (not found, no compatible file, a bound reached). */
  notes: string[];
}

/**
 * Resolves a PyPI distribution's declared requirements the way pip would in the sandbox (markers
 * evaluated for its CPython 3.11 on Linux, the newest non-yanked final release matching each
 * specifier) and downloads them into `dir/dist`, each checked against PyPI's sha256 and inspected
 * as hostile input; their own requirements are read from their metadata, breadth first. Nothing
 * is run: an sdist dependency is built by pip in the sandbox, under the trace.
 */
export async function stagePypiDependencies(
  root: FetchedArtifact,
  dir: string,
  opts: PypiFetchOptions & { bounds?: Partial<DependencyBounds> } = {},
): Promise<StagedDependencies> {
  const bounds = { ...DEFAULT_DEPENDENCY_BOUNDS, ...opts.bounds };
  const seen = new Set([normalizePypiName(root.name)]);
  const queue: Array<{ req: Requirement; depth: number }> = applicable(root.requires ?? []).map((req) => ({ req, depth: 1 }));
  const out: StagedDependencies = { archives: [], complete: true, notes: [] };
  let bytes = 0;
  while (queue.length > 0) {
    const { req, depth } = queue.shift()!;
    const key = normalizePypiName(req.name);
    if (seen.has(key)) continue;
    seen.add(key);
    const cut = depth > bounds.maxDepth ? `depth ${bounds.maxDepth}` : out.archives.length >= bounds.maxCount ? `${bounds.maxCount} dependencies` : undefined;
    if (cut) {
      out.complete = false;
      out.notes.push(`${req.name}: not staged (limit of ${cut} reached)`);
      continue;
    }
    try {
      const dep = await fetchRequirement(req, dir, opts, bounds.maxBytes - bytes);
      if (!dep) {
        out.complete = false;
        out.notes.push(`${req.name}${req.specifier}: no release with a file the sandbox can install`);
        continue;
      }
      bytes += dep.size;
      out.archives.push(path.posix.join('dist', path.basename(dep.path)));
      for (const next of applicable(dep.requires ?? [], req.extras)) queue.push({ req: next, depth: depth + 1 });
    } catch (err) {
      if (!isVetboxError(err) || err.code === 'CANCELLED') throw err;
      out.complete = false;
      out.notes.push(`${req.name}${req.specifier}: ${err.message.split('\n')[0].slice(0, 300)}`);
      if (err.code === 'REGISTRY_UNAVAILABLE') {
        out.notes.push(`the index is unavailable: ${queue.length} more requirement(s) not tried`);
        break;
      }
    }
  }
  return out;
}

interface PypiProject {
  releases?: Record<string, PypiFile[]>;
}

/** A dependency prefers any wheel it can install (no build) over an sdist (pip builds it). */
function chooseDependencyFile(files: PypiFile[]): (PypiFile & { filename: string; url: string }) | undefined {
  const usable = files.filter((f): f is PypiFile & { filename: string; url: string } => typeof f.filename === 'string' && typeof f.url === 'string' && !f.yanked);
  const rank = (f: { filename: string }): number =>
    isPureWheel(f.filename) ? 0 : isSandboxCompatibleWheel(f.filename) ? 1 : f.filename.endsWith('.tar.gz') ? 2 : f.filename.endsWith('.zip') ? 3 : Infinity;
  return usable.filter((f) => rank(f) !== Infinity).sort((a, b) => rank(a) - rank(b))[0];
}

async function fetchRequirement(req: Requirement, dir: string, opts: PypiFetchOptions, bytesLeft: number): Promise<FetchedArtifact | undefined> {
  const what = `PyPI dependency ${req.name}`;
  const project = (await getJson(`${pypiBase(opts)}/pypi/${encodeURIComponent(req.name)}/json`, {
    what,
    timeoutMs: opts.metadataTimeoutMs ?? DEFAULTS.metadataTimeoutMs,
    signal: opts.signal,
    maxBytes: DEFAULTS.maxMetadataBytes,
  })) as PypiProject;
  const releases = project?.releases ?? {};
  const candidates = Object.keys(releases).filter((v) => pep440Valid(v) && !explain(v)?.is_prerelease && chooseDependencyFile(releases[v] ?? []));
  const version = req.specifier ? maxSatisfying(candidates, req.specifier) : maxSatisfying(candidates, '>=0');
  if (!version) return undefined;
  const file = chooseDependencyFile(releases[version]!)!;
  const expected = file.digests?.sha256?.toLowerCase();
  const fileName = safeFileName(file.filename, `${normalizePypiName(req.name)}-${version}.download`);
  return downloadVerifyInspect(
    {
      url: file.url,
      fileName,
      what: `${what}==${version}`,
      algorithms: ['sha256'],
      kinds: ['sdist', 'wheel'],
      verify: (download) => {
        const actual = download.digests.sha256!.toString('hex');
        if (!expected || actual !== expected) {
          throw new VetboxError('INTEGRITY_MISMATCH', `${file.filename}: sha256 ${actual} does not match PyPI's ${expected ?? '(none)'}`);
        }
      },
    },
    { ...opts, destDir: path.join(dir, 'dist'), maxDownloadBytes: Math.max(0, Math.min(opts.maxDownloadBytes ?? DEFAULTS.maxDownloadBytes, bytesLeft)) },
  );
}
