import { describe, expect, it } from 'vitest';
import { VetboxError } from '@vetbox/contracts';
import { canonicalPackageName, dedupKey } from './artifacts.js';
import { isUuid } from './analyses.js';
import { toVetboxError } from './errors.js';
import { decodeCursor, encodeCursor } from './queries.js';
import { hashApiKey } from './keys.js';
import { expiryFor } from './raw.js';

describe('cursors', () => {
  it('round-trip and reject anything we did not issue', () => {
    const c = { createdAt: new Date('2026-11-26T21:00:00.123Z'), id: '0b6c1c8e-8f0a-4c1e-9f3e-2a7d5b9c1d2e' };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    for (const bad of ['', 'abc', Buffer.from('[1,2]').toString('base64url'), Buffer.from('["x","y"]').toString('base64url'), Buffer.from('["2026-01-01T00:00:00Z","../../etc"]').toString('base64url')]) {
      expect(decodeCursor(bad)).toBeNull();
    }
  });
});

describe('names and keys', () => {
  it('PyPI names fold to their PEP 503 form; npm names are left alone', () => {
    expect(canonicalPackageName('pypi', 'Foo.Bar__baz-QUX')).toBe('foo-bar-baz-qux');
    expect(canonicalPackageName('npm', '@scope/left-pad')).toBe('@scope/left-pad');
  });

  it('dedup keys: registry releases by name and version, uploads also by digest', () => {
    const reg = { ecosystem: 'pypi' as const, name: 'Django', version: '5.0', source: 'registry' as const };
    expect(dedupKey(reg)).toBe(dedupKey({ ...reg, name: 'django', sha256: 'a'.repeat(64) }));
    const up = { ...reg, source: 'upload' as const, sha256: 'a'.repeat(64) };
    expect(dedupKey(up)).not.toBe(dedupKey({ ...up, sha256: 'b'.repeat(64) }));
    expect(dedupKey(up)).not.toContain('\u0000');
  });

  it('uuid check, key hashing, retention expiry', () => {
    expect(isUuid('0b6c1c8e-8f0a-4c1e-9f3e-2a7d5b9c1d2e')).toBe(true);
    expect(isUuid('../etc/passwd')).toBe(false);
    expect(hashApiKey('vbx_x')).toMatch(/^[0-9a-f]{64}$/);
    const now = new Date('2026-01-01T00:00:00Z');
    expect(expiryFor(30, now)?.toISOString()).toBe('2026-01-31T00:00:00.000Z');
    expect(expiryFor(0, now)).toBeNull();
  });
});

describe('toVetboxError: one classification of library errors', () => {
  const cases: Array<[string, unknown, string]> = [
    ['a VetboxError passes through', new VetboxError('BAD_ARCHIVE', 'x'), 'BAD_ARCHIVE'],
    ['Prisma cannot reach the server', Object.assign(new Error("Can't reach database server"), { name: 'PrismaClientKnownRequestError', code: 'P1001' }), 'DATABASE_UNAVAILABLE'],
    ['Prisma initialization', Object.assign(new Error('init'), { name: 'PrismaClientInitializationError' }), 'DATABASE_UNAVAILABLE'],
    ['a Prisma constraint violation is a bug', Object.assign(new Error('Unique constraint failed'), { name: 'PrismaClientKnownRequestError', code: 'P2002' }), 'INTERNAL'],
    ['ioredis gave up', Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' }), 'REDIS_UNAVAILABLE'],
    ['the Docker socket refuses', Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), { code: 'ECONNREFUSED' }), 'DOCKER_UNAVAILABLE'],
    ['anything else', new TypeError('undefined is not a function'), 'INTERNAL'],
    ['not even an Error', 'boom', 'INTERNAL'],
  ];
  it.each(cases)('%s', (_what, err, code) => {
    const v = toVetboxError(err);
    expect(v.code).toBe(code);
    expect(v.message.split('\n')).toHaveLength(1);
  });
});
