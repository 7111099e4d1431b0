/**
 * The bad-input suite of the API: each malformed, hostile or unauthorized request gets the
 * right 4xx with a clear reason, and nothing is stored in the database, queued, or left on disk.
 * Real app, real Redis and PostgreSQL, real archive inspection (@vetbox/fetch).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gzipBomb, npmTarball, tarGz } from '../fixtures/api/archives.js';
import { ApiHarness } from '../fixtures/api/harness.js';

let api: ApiHarness;
let currentName = '';

beforeAll(async () => {
  api = await new ApiHarness({ uploadMaxBytes: 2 * 1024 * 1024, maxUnpackedBytes: 8 * 1024 * 1024 }).start();
});
afterAll(async () => {
  await api.close();
});

/** Nothing of the rejected request may remain anywhere. */
afterEach(async () => {
  if (currentName) expect(await api.h.prisma.package.count({ where: { name: currentName } })).toBe(0);
  expect(await api.jobCount()).toBe(0);
  expect(api.files('uploads')).toEqual([]);
  expect(api.files('artifacts')).toEqual([]);
  currentName = '';
});

function problemOf(res: request.Response, status: number, code: string, detail: RegExp) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code });
  expect(res.body.type).toMatch(/^https:\/\//);
  expect(res.body.title).toBeTruthy();
  expect(res.body.detail).toMatch(detail);
  // No internals: no stack frames, no server paths.
  expect(JSON.stringify(res.body)).not.toMatch(/\bat .+\.(ts|js):\d+|\/work\/|node_modules|vetbox-api-/);
  return res.body as { errors?: Array<{ path: string; message: string }> };
}

const submit = (body: unknown, role: 'submit' | 'read' = 'submit') =>
  request(api.app).post('/v1/analyses').set(api.auth(role)).set('Content-Type', 'application/json').send(typeof body === 'string' ? body : JSON.stringify(body));

const upload = (file: Buffer, name = 'pkg.tgz') => request(api.app).post('/v1/analyses').set(api.auth('submit')).attach('file', file, name);

describe('api bad input: registry submissions', () => {
  it('malformed JSON → 400 naming the parse error', async () => {
    problemOf(await submit('{"ecosystem": "npm", "name": '), 400, 'INVALID_INPUT', /malformed JSON body/);
  });

  it('unknown ecosystem → 400 naming the field', async () => {
    currentName = api.h.name();
    const body = problemOf(await submit({ ecosystem: 'rubygems', name: currentName, version: '1.0.0' }), 400, 'INVALID_INPUT', /ecosystem/);
    expect(body.errors?.map((e) => e.path)).toEqual(['ecosystem']);
  });

  it.each([
    ['a path', '../../etc/passwd'],
    ['control characters', 'left\u0000pad\u001b[31m'],
    ['upper case and spaces', 'Left Pad'],
  ])('a name that is %s → 400 "not a valid npm package name"', async (_what, name) => {
    const body = problemOf(await submit({ ecosystem: 'npm', name, version: '1.0.0' }), 400, 'INVALID_INPUT', /name: not a valid npm package name/);
    expect(body.errors).toEqual([{ path: 'name', message: 'not a valid npm package name' }]);
    // PostgreSQL cannot even hold a NUL byte, so that name is looked for by what follows it (a
    // prefix such as "left" would also find real packages other tests analyzed, like left-pad).
    const stored = name.includes('\u0000') ? { contains: name.split('\u0000')[1] } : { equals: name };
    expect(await api.h.prisma.package.count({ where: { name: stored } })).toBe(0);
  });

  it('a 10 KB name → 400 about its length (and the name is not echoed back)', async () => {
    const name = 'a'.repeat(10_240);
    const res = await submit({ ecosystem: 'npm', name, version: '1.0.0' });
    problemOf(res, 400, 'INVALID_INPUT', /name: .*214/);
    expect(JSON.stringify(res.body).length).toBeLessThan(2_000);
  });

  it('a PyPI name with a path in it → 400', async () => {
    problemOf(await submit({ ecosystem: 'pypi', name: 'requests/../../x', version: '2.0.0' }), 400, 'INVALID_INPUT', /not a valid pypi package name/);
  });

  it('a malformed version → 400; a version that does not exist → 404 from the registry check', async () => {
    currentName = api.h.name();
    problemOf(await submit({ ecosystem: 'npm', name: currentName, version: '1.0.0; rm -rf /' }), 400, 'INVALID_INPUT', /version/);
    api.registry.add('npm', currentName, '1.0.0');
    problemOf(await submit({ ecosystem: 'npm', name: currentName, version: '9.9.9' }), 404, 'PACKAGE_NOT_FOUND', new RegExp(`${currentName}@9.9.9 does not exist`));
    // A dist-tag or a range is not a version: refused before the registry is asked.
    problemOf(await submit({ ecosystem: 'npm', name: currentName, version: 'latest' }), 400, 'INVALID_INPUT', /"latest" is not an exact semver version: name the release/);
    problemOf(await submit({ ecosystem: 'npm', name: currentName, version: '1.x' }), 400, 'INVALID_INPUT', /not an exact semver version/);
    problemOf(await submit({ ecosystem: 'pypi', name: 'requests', version: 'latest' }), 400, 'INVALID_INPUT', /not an exact PEP 440 version/);
  });

  it('registry down → 502 REGISTRY_UNAVAILABLE, nothing stored', async () => {
    currentName = api.h.name();
    api.registry.failWith = 503;
    try {
      problemOf(await submit({ ecosystem: 'npm', name: currentName, version: '1.0.0' }), 502, 'REGISTRY_UNAVAILABLE', /registry answered 503/);
    } finally {
      api.registry.failWith = null;
    }
  });

  it('a body that is neither JSON nor multipart → 415', async () => {
    const res = await request(api.app).post('/v1/analyses').set(api.auth('submit')).set('Content-Type', 'text/plain').send('npm:left-pad@1.0.0');
    problemOf(res, 415, 'UNSUPPORTED_MEDIA_TYPE', /application\/json .* multipart\/form-data/);
  });

  it('a 200 MB JSON body → 413 before it is read', async () => {
    const res = await rawRequest('application/json', 200 * 1024 * 1024);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'ARCHIVE_TOO_LARGE', detail: expect.stringMatching(/over the 1 MB allowed for JSON/) });
  });
});

describe('api bad input: uploads', () => {
  it('a file that is not an archive → 422 BAD_ARCHIVE', async () => {
    problemOf(await upload(Buffer.from('#!/bin/sh\necho not an archive\n'), 'evil.tgz'), 422, 'BAD_ARCHIVE', /bad archive/);
  });

  it('a tarball with ../ entries → 422 naming the unsafe path', async () => {
    currentName = api.h.name();
    const tgz = await npmTarball(currentName, '1.0.0', [{ name: 'package/../../../etc/cron.d/x', content: '* * * * * root true\n' }]);
    problemOf(await upload(tgz), 422, 'BAD_ARCHIVE', /\.\./);
  });

  it('a tarball with a symlink → 422', async () => {
    currentName = api.h.name();
    const tgz = await npmTarball(currentName, '1.0.0', [{ name: 'package/passwd', type: 'symlink', linkname: '/etc/passwd' }]);
    problemOf(await upload(tgz), 422, 'BAD_ARCHIVE', /link/);
  });

  it('a tarball with a hard link out of the package → 422', async () => {
    currentName = api.h.name();
    const tgz = await npmTarball(currentName, '1.0.0', [{ name: 'package/shadow', type: 'link', linkname: '../../etc/shadow' }]);
    problemOf(await upload(tgz), 422, 'BAD_ARCHIVE', /link/);
  });

  it('a gzip bomb (small upload, huge unpacked) → 413 ARCHIVE_TOO_LARGE', async () => {
    currentName = api.h.name();
    const bomb = await gzipBomb(currentName, 64 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(200 * 1024);
    problemOf(await upload(bomb), 413, 'ARCHIVE_TOO_LARGE', /unpacked/);
  });

  it('an upload over UPLOAD_MAX_BYTES sent chunked (no Content-Length) → 413 while streaming', async () => {
    currentName = api.h.name();
    const big = await tarGz([
      { name: 'package/package.json', content: JSON.stringify({ name: currentName, version: '1.0.0' }) },
      // Random bytes do not compress: the upload really is over the limit.
      { name: 'package/noise.bin', content: randomBytes(3 * 1024 * 1024) },
    ]);
    expect(big.length).toBeGreaterThan(2 * 1024 * 1024);
    problemOf(await upload(big), 413, 'ARCHIVE_TOO_LARGE', /over the 2\.0 MB/);
  });

  it('a declared 200 MB multipart body → 413 at once, without reading it', async () => {
    const t0 = Date.now();
    const res = await rawRequest('multipart/form-data; boundary=x', 200 * 1024 * 1024);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'ARCHIVE_TOO_LARGE', detail: expect.stringMatching(/200\.0 MB is over the 2\.0 MB upload limit/) });
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('multipart without a "file" part → 400', async () => {
    const res = await request(api.app).post('/v1/analyses').set(api.auth('submit')).field('force', 'true');
    problemOf(res, 400, 'INVALID_INPUT', /no "file" part/);
  });

  it('an archive under another field name → 400', async () => {
    currentName = api.h.name();
    const res = await request(api.app).post('/v1/analyses').set(api.auth('submit')).attach('archive', await npmTarball(currentName, '1.0.0'), 'x.tgz');
    problemOf(res, 400, 'INVALID_INPUT', /unexpected file field "archive"/);
  });
});

describe('api bad input: keys and roles', () => {
  it('no key → 401 with WWW-Authenticate', async () => {
    const res = await request(api.app).get('/v1/analyses');
    problemOf(res, 401, 'UNAUTHORIZED', /missing Authorization header/);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('a wrong key, a revoked key, a malformed header → 401', async () => {
    problemOf(await request(api.app).get('/v1/analyses').set('Authorization', 'Bearer vbx_not-a-real-key-000000000000'), 401, 'UNAUTHORIZED', /unknown or revoked/);
    problemOf(await request(api.app).get('/v1/analyses').set(api.auth('revoked')), 401, 'UNAUTHORIZED', /unknown or revoked/);
    problemOf(await request(api.app).get('/v1/analyses').set('Authorization', `Basic ${api.keys.admin}`), 401, 'UNAUTHORIZED', /malformed Authorization/);
  });

  it('a read key submitting → 403, and nothing is stored', async () => {
    currentName = api.h.name();
    api.registry.add('npm', currentName, '1.0.0');
    problemOf(await submit({ ecosystem: 'npm', name: currentName, version: '1.0.0' }, 'read'), 403, 'FORBIDDEN', /role "read"; this request needs "submit"/);
  });

  it('a read key uploading → 403 before the body is stored', async () => {
    currentName = api.h.name();
    const res = await request(api.app).post('/v1/analyses').set(api.auth('read')).attach('file', await npmTarball(currentName, '1.0.0'), 'x.tgz');
    problemOf(res, 403, 'FORBIDDEN', /needs "submit"/);
  });

  it('unknown ids and paths → 404 problems; ids that are not uuids → 404, never 500', async () => {
    problemOf(await request(api.app).get('/v1/analyses/00000000-0000-4000-8000-000000000000').set(api.auth('read')), 404, 'NOT_FOUND', /no analysis/);
    problemOf(await request(api.app).get('/v1/analyses/..%2F..%2Fetc%2Fpasswd').set(api.auth('read')), 404, 'NOT_FOUND', /no analysis/);
    problemOf(await request(api.app).get('/v1/analyses/x/report').set(api.auth('read')), 404, 'NOT_FOUND', /no analysis/);
    problemOf(await request(api.app).get('/v1/nothing-here').set(api.auth('read')), 404, 'NOT_FOUND', /no route/);
  });

  it('list filters are validated', async () => {
    problemOf(await request(api.app).get('/v1/analyses?verdict=evil').set(api.auth('read')), 400, 'INVALID_INPUT', /verdict/);
    problemOf(await request(api.app).get('/v1/analyses?since=yesterday').set(api.auth('read')), 400, 'INVALID_INPUT', /since/);
    problemOf(await request(api.app).get('/v1/analyses?limit=100000').set(api.auth('read')), 400, 'INVALID_INPUT', /limit/);
    problemOf(await request(api.app).get('/v1/analyses?cursor=abc').set(api.auth('read')), 400, 'INVALID_INPUT', /cursor/);
  });
});

/** A request whose declared Content-Length is huge; only a few bytes are ever sent. */
async function rawRequest(contentType: string, declared: number): Promise<{ status: number; body: string }> {
  const server = api.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    return await new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: (server.address() as AddressInfo).port,
          method: 'POST',
          path: '/v1/analyses',
          headers: { ...api.auth('submit'), 'content-type': contentType, 'content-length': String(declared) },
        },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.write(Buffer.alloc(64 * 1024, 0x61));
    });
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}
