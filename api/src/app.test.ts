import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Router } from 'express';
import { createLogger } from '@vetbox/config';
import { ERROR_CODES, VetboxError } from '@vetbox/contracts';
import { createApp, httpStatusFor, type ReadinessProbe } from './app.js';

const logger = createLogger('api-test', { level: 'silent' });
const servers: Server[] = [];

async function serve(readiness: ReadinessProbe[], routers: Router[] = [], readinessTimeoutMs?: number) {
  const server = createApp({ logger, readiness, routers, readinessTimeoutMs }).listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

const up = (name: ReadinessProbe['name']): ReadinessProbe => ({ name, check: async () => {} });
const down = (name: ReadinessProbe['name'], message: string): ReadinessProbe => ({
  name,
  check: async () => {
    throw new Error(message);
  },
});

describe('health routes', () => {
  it('GET /healthz answers without touching dependencies', async () => {
    const base = await serve([down('redis', 'never called')]);
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('GET /readyz is 200 when every probe passes', async () => {
    const base = await serve([up('redis'), up('postgres'), up('docker')]);
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(Object.keys(body.checks).sort()).toEqual(['docker', 'postgres', 'redis']);
  });

  it('GET /readyz is a 503 problem naming each failing dependency', async () => {
    const base = await serve([down('redis', 'ECONNREFUSED'), up('postgres'), down('docker', 'ENOENT')]);
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = await res.json();
    expect(body.failing).toEqual(['redis', 'docker']);
    expect(body.detail).toContain('redis: ECONNREFUSED');
    expect(body.checks.postgres.ok).toBe(true);
  });

  it('a probe that hangs fails at the time limit', async () => {
    const hang: ReadinessProbe = { name: 'postgres', check: () => new Promise(() => {}) };
    const base = await serve([hang], [], 100);
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect((await res.json()).checks.postgres.error).toMatch(/within 100 ms/);
  });
});

describe('problem+json errors', () => {
  it('unknown routes are 404 problems', async () => {
    const base = await serve([]);
    const res = await fetch(`${base}/nope`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('VetboxErrors keep their code and map to a status', async () => {
    const router = Router().get('/boom', () => {
      throw new VetboxError('PACKAGE_NOT_FOUND', 'no such package left-pad-zzz');
    });
    const base = await serve([], [router]);
    const res = await fetch(`${base}/boom`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'PACKAGE_NOT_FOUND', detail: 'no such package left-pad-zzz' });
  });

  it('malformed JSON bodies are 400 problems, other errors 500 without internals', async () => {
    const router = Router()
      .post('/echo', (req, res) => {
        res.json(req.body);
      })
      .get('/crash', () => {
        throw new Error('secret internals');
      });
    const base = await serve([], [router]);
    const bad = await fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).code).toBe('INVALID_INPUT');
    const crash = await fetch(`${base}/crash`);
    expect(crash.status).toBe(500);
    expect(JSON.stringify(await crash.json())).not.toContain('secret');
  });

  it('every error code has an HTTP status', () => {
    for (const code of ERROR_CODES) expect(httpStatusFor(code)).toBeGreaterThanOrEqual(400);
  });
});
