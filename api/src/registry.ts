import { VetboxError, type Ecosystem } from '@vetbox/contracts';
import { previousVersion } from '@vetbox/fetch';
import type { RegistryLookup } from './services.js';
import { formatPackage } from '@vetbox/lockfiles';

export interface HttpRegistryOptions {
  npmRegistryUrl: string;
  pypiUrl: string;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/**
 * Asks the registry about one exact version: npm `GET /<name>/<version>` (the version manifest),
 * PyPI `GET /pypi/<name>/<version>/json`. 404 → it does not exist; 5xx, timeouts and network
 * errors → REGISTRY_UNAVAILABLE. The answer must name the same version, so dist-tags such as
 * `latest` are not accepted as versions. Positive answers are cached (releases are immutable).
 */
export function httpRegistryLookup(opts: HttpRegistryOptions): RegistryLookup {
  const doFetch = opts.fetchImpl ?? fetch;
  const known = new Set<string>();
  return {
    async versionExists(ecosystem: Ecosystem, name: string, version: string, signal?: AbortSignal) {
      const cacheKey = `${ecosystem}:${name}@${version}`;
      const spec = formatPackage({ ecosystem, name, version });
      if (known.has(cacheKey)) return true;
      const url =
        ecosystem === 'npm'
          ? `${opts.npmRegistryUrl.replace(/\/+$/, '')}/${name.replace('/', '%2f')}/${encodeURIComponent(version)}`
          : `${opts.pypiUrl.replace(/\/+$/, '')}/pypi/${encodeURIComponent(name)}/${encodeURIComponent(version)}/json`;
      const timeout = AbortSignal.timeout(opts.timeoutMs ?? 10_000);
      let res: Response;
      try {
        res = await doFetch(url, {
          headers: { accept: 'application/json' },
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
          redirect: 'follow',
        });
      } catch (err) {
        throw new VetboxError('REGISTRY_UNAVAILABLE', `${ecosystem} registry did not answer for ${spec}`, { cause: err });
      }
      if (res.status === 404 || res.status === 405) {
        await res.body?.cancel();
        return false;
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new VetboxError('REGISTRY_UNAVAILABLE', `${ecosystem} registry answered ${res.status} for ${spec}`);
      }
      const body = (await res.json().catch(() => null)) as { version?: unknown; info?: { version?: unknown } } | null;
      const reported = ecosystem === 'npm' ? body?.version : body?.info?.version;
      const exists = typeof reported === 'string' && (reported === version || ecosystem === 'pypi');
      if (exists) known.add(cacheKey);
      return exists;
    },
    previousVersion(ecosystem: Ecosystem, name: string, version: string, signal?: AbortSignal) {
      return previousVersion(ecosystem, name, version, {
        registryUrl: opts.npmRegistryUrl,
        pypiUrl: opts.pypiUrl,
        metadataTimeoutMs: opts.timeoutMs ?? 10_000,
        ...(signal ? { signal } : {}),
      });
    },
  };
}
