import { isVetboxError, type Ecosystem } from '@vetbox/contracts';
import { getJson } from './http.js';
import { checkNpmRequest, getPackument, resolveNpmVersion } from './npm.js';
import { checkPypiRequest, pypiBase } from './pypi.js';
import { DEFAULTS, type NpmFetchOptions, type PypiFetchOptions } from './types.js';

/**
 * Does this exact version exist on its registry? For the API, before anything is queued.
 * false for an unknown package or version; throws INVALID_INPUT for a malformed name or
 * version and REGISTRY_UNAVAILABLE when the registry cannot tell.
 */
export async function versionExists(
  ecosystem: Ecosystem,
  name: string,
  version: string,
  opts: NpmFetchOptions & PypiFetchOptions = {},
): Promise<boolean> {
  try {
    if (ecosystem === 'npm') {
      checkNpmRequest(name, version);
      resolveNpmVersion(await getPackument(name, opts), name, version);
    } else {
      checkPypiRequest(name, version);
      await getJson(`${pypiBase(opts)}/pypi/${encodeURIComponent(name)}/${encodeURIComponent(version)}/json`, {
        what: `PyPI package ${name}==${version}`,
        timeoutMs: opts.metadataTimeoutMs ?? DEFAULTS.metadataTimeoutMs,
        signal: opts.signal,
        maxBytes: DEFAULTS.maxMetadataBytes,
      });
    }
    return true;
  } catch (err) {
    if (isVetboxError(err) && err.code === 'PACKAGE_NOT_FOUND') return false;
    throw err;
  }
}
