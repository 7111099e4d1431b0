import semver from 'semver';
import type { GateDecision } from './decide.js';
import type { ListedVersion } from './decide.js';

/** The parts of a full packument (`GET /<name>` with `Accept: application/json`) the gate reads. */
export interface NpmPackument {
  name?: unknown;
  'dist-tags'?: Record<string, unknown>;
  versions?: Record<string, NpmManifest>;
  time?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface NpmManifest {
  name?: unknown;
  version?: unknown;
  dist?: { tarball?: unknown; integrity?: unknown; shasum?: unknown; attestations?: { url?: unknown; [k: string]: unknown }; [k: string]: unknown };
  scripts?: Record<string, unknown>;
  [field: string]: unknown;
}

export const NPM_ABBREVIATED = 'application/vnd.npm.install-v1+json';

/** npm asks for the abbreviated form with `Accept: application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, *\/*`. */
export function wantsAbbreviated(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => {
    const [type, ...params] = part.trim().split(';').map((s) => s.trim());
    if (type?.toLowerCase() !== NPM_ABBREVIATED) return false;
    const q = params.find((p) => p.startsWith('q='));
    return !q || Number(q.slice(2)) > 0;
  });
}

/** Fields an abbreviated ("corgi") version keeps, as the npm registry documents them. */
const ABBREVIATED_FIELDS = [
  'name',
  'version',
  'deprecated',
  'dependencies',
  'optionalDependencies',
  'devDependencies',
  'bundleDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'acceptDependencies',
  'bin',
  'directories',
  'dist',
  'engines',
  'cpu',
  'os',
  'libc',
  'funding',
  'license',
  '_hasShrinkwrap',
  'hasInstallScript',
] as const;

const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'];

export function abbreviateManifest(manifest: NpmManifest): NpmManifest {
  const out: NpmManifest = {};
  for (const field of ABBREVIATED_FIELDS) if (manifest[field] !== undefined) (out as Record<string, unknown>)[field] = manifest[field];
  if (out.hasInstallScript === undefined && manifest.scripts && INSTALL_SCRIPTS.some((s) => typeof manifest.scripts![s] === 'string')) {
    out.hasInstallScript = true;
  }
  return out;
}

/** The versions of a packument with their publish times, for prefetching and cooldowns. */
export function listNpmVersions(doc: NpmPackument): ListedVersion[] {
  const time = doc.time ?? {};
  return Object.keys(doc.versions ?? {}).map((version) => {
    const at = typeof time[version] === 'string' ? new Date(time[version] as string) : null;
    return { version, publishedAt: at && !Number.isNaN(at.getTime()) ? at : null, prerelease: (semver.prerelease(version)?.length ?? 0) > 0 };
  });
}

export interface RenderPackumentOptions {
  abbreviated: boolean;
  /** A decision for every version of `doc.versions`. */
  decisions: ReadonlyMap<string, GateDecision>;
  /** The gate's URL of a version's tarball (npm writes it into lockfiles). */
  tarballUrl: (version: string, upstreamTarball: string) => string;
  /** The gate's "why" page of a version. */
  whyUrl: (version: string) => string;
  /** Upstream registry base and the gate's npm registry base: attestation URLs move from one to the other. */
  upstreamBase: string;
  gateBase: string;
  /** How many held versions the policy message names (the rest are counted). */
  messageLimit?: number;
}

function rewriteManifest(manifest: NpmManifest, version: string, opts: RenderPackumentOptions): NpmManifest {
  const base = opts.abbreviated ? abbreviateManifest(manifest) : { ...manifest };
  const dist = { ...(manifest.dist ?? {}) };
  // integrity, shasum and signatures stay exactly as the registry signed them.
  if (typeof dist.tarball === 'string') dist.tarball = opts.tarballUrl(version, dist.tarball);
  const attestations = dist.attestations;
  if (attestations && typeof attestations.url === 'string' && attestations.url.startsWith(`${opts.upstreamBase}/`)) {
    dist.attestations = { ...attestations, url: `${opts.gateBase}/${attestations.url.slice(opts.upstreamBase.length + 1)}` };
  }
  base.dist = dist;
  return base;
}

const bySemverDesc = (a: string, b: string) => (semver.valid(a) && semver.valid(b) ? semver.rcompare(a, b) : b.localeCompare(a));

/**
 * Dist-tags after hiding versions: a tag on a served version stays; one on a hidden version
 * moves to the newest served version at or below it (a stable one, unless the tag pointed at a
 * prerelease); `latest` falls back to the newest served stable version; other tags with no
 * candidate are dropped.
 */
export function recomputeDistTags(tags: Record<string, unknown>, served: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const servedSet = new Set(served);
  const valid = served.filter((v) => semver.valid(v));
  for (const [tag, target] of Object.entries(tags)) {
    if (typeof target !== 'string') continue;
    if (servedSet.has(target)) {
      out[tag] = target;
      continue;
    }
    const targetIsPre = semver.valid(target) ? (semver.prerelease(target)?.length ?? 0) > 0 : false;
    const eligible = valid.filter((v) => targetIsPre || !semver.prerelease(v)?.length);
    const below = semver.valid(target) ? eligible.filter((v) => semver.lte(v, target)) : [];
    const pick = semver.maxSatisfying(below, '*', { includePrerelease: true }) ?? (tag === 'latest' ? semver.maxSatisfying(eligible.filter((v) => !semver.prerelease(v)?.length), '*') : null);
    if (pick) out[tag] = pick;
  }
  return out;
}

/**
 * The one message npm prints for any held or blocked version (`policyRestrictions.message`):
 * a line per version with a reason of its own (malicious, suspicious, failed, queued, cooldown,
 * newest first), then the never-analyzed ones together.
 */
export function policyMessage(name: string, restricted: readonly string[], opts: RenderPackumentOptions): string {
  const limit = opts.messageLimit ?? 12;
  const ordered = [...restricted].sort(bySemverDesc);
  const unvetted = ordered.filter((v) => opts.decisions.get(v)?.state === 'unvetted');
  const explained = ordered.filter((v) => opts.decisions.get(v)?.state !== 'unvetted');
  const lines = explained.slice(0, limit).map((v) => `  ${name}@${v} ${opts.decisions.get(v)?.reason ?? 'held'} — ${opts.whyUrl(v)}`);
  if (explained.length > limit) lines.push(`  … and ${explained.length - limit} more held versions`);
  if (unvetted.length > 0) {
    const shown = unvetted.slice(0, 8).join(', ') + (unvetted.length > 8 ? `, … (${unvetted.length} in all)` : '');
    lines.push(`  not analyzed yet: ${shown}; downloading one, or opening ${opts.whyUrl('<version>')}, queues its analysis`);
  }
  return `vetbox serves only versions of ${name} that passed its policy. Not served:\n${lines.join('\n')}`;
}

/**
 * The packument a client sees: served versions in `versions`, `time` and the dist-tags; every
 * other version only under `policyRestrictions` with the reason, so npm never picks it while a
 * served one satisfies the range and, when only a held one does, fails with E403 and prints the
 * reason instead of a bare ETARGET. Tarball URLs point at the gate.
 */
export function renderPackument(doc: NpmPackument, opts: RenderPackumentOptions): Record<string, unknown> {
  const name = String(doc.name ?? '');
  const versions: Record<string, NpmManifest> = {};
  const restricted: Record<string, NpmManifest> = {};
  for (const [version, manifest] of Object.entries(doc.versions ?? {})) {
    const target = opts.decisions.get(version)?.served ? versions : restricted;
    target[version] = rewriteManifest(manifest, version, opts);
  }
  const served = Object.keys(versions);
  const distTags = recomputeDistTags(doc['dist-tags'] ?? {}, served);
  const upstreamTime = doc.time ?? {};
  const policyRestrictions = Object.keys(restricted).length > 0 ? { message: policyMessage(name, Object.keys(restricted), opts), versions: restricted } : undefined;
  if (opts.abbreviated) {
    return {
      name,
      ...(typeof upstreamTime.modified === 'string' ? { modified: upstreamTime.modified } : typeof doc.modified === 'string' ? { modified: doc.modified } : {}),
      'dist-tags': distTags,
      versions,
      ...(policyRestrictions ? { policyRestrictions } : {}),
    };
  }
  const time: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(upstreamTime)) {
    if (key === 'created' || key === 'modified' || versions[key]) time[key] = value;
  }
  // Upstream's own restrictions and staged versions would bypass the gate's: dropped.
  const { policyRestrictions: _upstreamRestrictions, stagedVersions: _staged, ...rest } = doc;
  return { ...rest, 'dist-tags': distTags, versions, time, ...(policyRestrictions ? { policyRestrictions } : {}) };
}
