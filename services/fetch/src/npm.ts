import { loadEnv } from '@vetbox/config';
import { VetboxError } from '@vetbox/contracts';
import semver from 'semver';
import validateNpmName from 'validate-npm-package-name';
import { downloadVerifyInspect } from './download.js';
import { getJson, type DigestAlgorithm } from './http.js';
import { npmTarballName } from './metadata.js';
import { DEFAULTS, type FetchedArtifact, type NpmFetchOptions } from './types.js';

// Subset of a packument (https://github.com/npm/registry/blob/main/docs/responses/package-metadata.md).
interface NpmDist {
  tarball?: unknown;
  integrity?: unknown;
  shasum?: unknown;
}
interface Packument {
  name?: string;
  'dist-tags'?: Record<string, string>;
  versions?: Record<string, { dist?: NpmDist }>;
}

const DIST_TAG = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;

export function checkNpmRequest(name: string, version: string): void {
  const verdict = validateNpmName(name);
  // Old packages may break today's rules (capitals), never the 214-character limit.
  if (!verdict.validForOldPackages || name.length > 214) {
    throw new VetboxError('INVALID_INPUT', `not a valid npm package name: ${JSON.stringify(name.slice(0, 100))}`, {
      details: { errors: verdict.errors },
    });
  }
  if (!semver.valid(version) && !DIST_TAG.test(version)) {
    throw new VetboxError('INVALID_INPUT', `not an exact npm version or dist-tag: ${JSON.stringify(version.slice(0, 100))}`);
  }
}

export function registryBase(opts: { registryUrl?: string }): string {
  return (opts.registryUrl ?? loadEnv().NPM_REGISTRY_URL).replace(/\/+$/, '');
}

/** Scoped names keep their `@` and escape the slash: `@scope%2fname`. */
export function packumentUrl(registry: string, name: string): string {
  return `${registry}/${name.startsWith('@') ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name)}`;
}

export async function getPackument(name: string, opts: NpmFetchOptions): Promise<Packument> {
  const doc = await getJson(packumentUrl(registryBase(opts), name), {
    what: `npm package ${name}`,
    timeoutMs: opts.metadataTimeoutMs ?? DEFAULTS.metadataTimeoutMs,
    signal: opts.signal,
    maxBytes: DEFAULTS.maxMetadataBytes,
    // The abbreviated ("corgi") document: far smaller, and has every dist field needed.
    accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8',
  });
  if (!doc || typeof doc !== 'object') throw new VetboxError('REGISTRY_UNAVAILABLE', `npm package ${name}: malformed registry metadata`);
  const p = doc as Packument;
  if (!p.versions || Object.keys(p.versions).length === 0) {
    throw new VetboxError('PACKAGE_NOT_FOUND', `npm package ${name} has no published versions (unpublished?)`);
  }
  return p;
}

/** An exact version, or a dist-tag resolved to one. */
export function resolveNpmVersion(p: Packument, name: string, version: string): string {
  const exact = semver.valid(version) ? version : p['dist-tags']?.[version];
  if (!exact || !p.versions?.[exact]) {
    throw new VetboxError('PACKAGE_NOT_FOUND', `npm package ${name} has no version ${JSON.stringify(version)}`, { details: { name, version } });
  }
  return exact;
}

const STRENGTH: DigestAlgorithm[] = ['sha512', 'sha384', 'sha256', 'sha1'];

/** The strongest digest the registry vouches for: `dist.integrity` (SRI), else the legacy `dist.shasum`. */
export function expectedDigest(dist: NpmDist, what: string): { algorithm: DigestAlgorithm; digest: Buffer; text: string } {
  if (typeof dist.integrity === 'string') {
    const found = dist.integrity
      .trim()
      .split(/\s+/)
      .map((token) => /^(sha512|sha384|sha256|sha1)-([A-Za-z0-9+/]+={0,2})(?:\?.*)?$/.exec(token))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ algorithm: m[1] as DigestAlgorithm, digest: Buffer.from(m[2], 'base64'), text: m[0] }))
      .sort((a, b) => STRENGTH.indexOf(a.algorithm) - STRENGTH.indexOf(b.algorithm));
    if (found.length > 0) return found[0];
  }
  if (typeof dist.shasum === 'string' && /^[0-9a-f]{40}$/i.test(dist.shasum)) {
    return { algorithm: 'sha1', digest: Buffer.from(dist.shasum, 'hex'), text: `sha1:${dist.shasum}` };
  }
  throw new VetboxError('INTEGRITY_MISMATCH', `${what}: the registry gives no integrity or shasum to check the tarball against`);
}

/**
 * Downloads name@version from the npm registry (NPM_REGISTRY_URL), checks it against the
 * registry's digest and inspects it as hostile input. Nothing from the package is executed.
 */
export async function fetchNpm(name: string, version: string, opts: NpmFetchOptions = {}): Promise<FetchedArtifact> {
  checkNpmRequest(name, version);
  const packument = await getPackument(name, opts);
  const exact = resolveNpmVersion(packument, name, version);
  const what = `npm package ${name}@${exact}`;
  const dist = packument.versions![exact].dist ?? {};
  if (typeof dist.tarball !== 'string') throw new VetboxError('REGISTRY_UNAVAILABLE', `${what}: the registry metadata has no tarball URL`);
  const expected = expectedDigest(dist, what);
  const artifact = await downloadVerifyInspect(
    {
      url: dist.tarball,
      fileName: npmTarballName(name, exact),
      what,
      algorithms: [expected.algorithm, 'sha256'],
      kinds: ['npm-tarball'],
      verify: (download) => {
        const actual = download.digests[expected.algorithm]!;
        if (!actual.equals(expected.digest)) {
          throw new VetboxError('INTEGRITY_MISMATCH', `${what}: tarball ${expected.algorithm} does not match the registry's ${expected.text}`, {
            details: { expected: expected.text, actual: `${expected.algorithm}-${actual.toString('base64')}` },
          });
        }
      },
    },
    opts,
  );
  // The registry's identity wins over whatever the tarball's package.json claims.
  return { ...artifact, name, version: exact, fileName: npmTarballName(name, exact), importNames: [name] };
}
