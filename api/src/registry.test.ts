import { describe, expect, it } from 'vitest';
import { roleAllows } from './auth.js';
import { httpRegistryLookup } from './registry.js';

function fakeFetch(routes: Record<string, { status: number; body?: unknown } | Error>) {
  const seen: string[] = [];
  const impl = (async (url: string | URL) => {
    const key = String(url);
    seen.push(key);
    const r = routes[key];
    if (r instanceof Error) throw r;
    if (!r) return new Response('{}', { status: 404 });
    return new Response(JSON.stringify(r.body ?? {}), { status: r.status });
  }) as typeof fetch;
  return { impl, seen };
}

describe('registry lookups', () => {
  it('npm: the exact version manifest; scoped names encoded; dist-tags are not versions', async () => {
    const f = fakeFetch({
      'http://npm.test/left-pad/1.3.0': { status: 200, body: { version: '1.3.0' } },
      'http://npm.test/left-pad/latest': { status: 200, body: { version: '1.3.0' } },
      'http://npm.test/@scope%2fpkg/2.0.0': { status: 200, body: { version: '2.0.0' } },
    });
    const r = httpRegistryLookup({ npmRegistryUrl: 'http://npm.test/', pypiUrl: 'http://pypi.test', fetchImpl: f.impl });
    expect(await r.versionExists('npm', 'left-pad', '1.3.0')).toBe(true);
    expect(await r.versionExists('npm', 'left-pad', 'latest')).toBe(false);
    expect(await r.versionExists('npm', 'left-pad', '9.9.9')).toBe(false);
    expect(await r.versionExists('npm', '@scope/pkg', '2.0.0')).toBe(true);
    // Positive answers are cached.
    await r.versionExists('npm', 'left-pad', '1.3.0');
    expect(f.seen.filter((u) => u.endsWith('/left-pad/1.3.0'))).toHaveLength(1);
  });

  it('PyPI: the release JSON; outages are REGISTRY_UNAVAILABLE, not "missing"', async () => {
    const f = fakeFetch({
      'http://pypi.test/pypi/requests/2.32.3/json': { status: 200, body: { info: { version: '2.32.3' } } },
      'http://pypi.test/pypi/down/1.0/json': { status: 503 },
      'http://pypi.test/pypi/gone/1.0/json': new TypeError('fetch failed'),
    });
    const r = httpRegistryLookup({ npmRegistryUrl: 'http://npm.test', pypiUrl: 'http://pypi.test', fetchImpl: f.impl });
    expect(await r.versionExists('pypi', 'requests', '2.32.3')).toBe(true);
    expect(await r.versionExists('pypi', 'requests', '0.0.0')).toBe(false);
    await expect(r.versionExists('pypi', 'down', '1.0')).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE' });
    await expect(r.versionExists('pypi', 'gone', '1.0')).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE' });
  });
});

describe('roles', () => {
  it('admin ⊃ submit ⊃ read', () => {
    expect(roleAllows('admin', 'submit')).toBe(true);
    expect(roleAllows('submit', 'read')).toBe(true);
    expect(roleAllows('read', 'submit')).toBe(false);
    expect(roleAllows('submit', 'admin')).toBe(false);
  });
});
