import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '@vetbox/config';
import { createApp } from './app.js';

const logger = createLogger('api-test', { level: 'silent' });
const dist = mkdtempSync(path.join(os.tmpdir(), 'vetbox-web-'));
mkdirSync(path.join(dist, 'assets'));
writeFileSync(path.join(dist, 'index.html'), '<!doctype html><div id="root"></div><script type="module" src="/assets/index-abc.js"></script>');
writeFileSync(path.join(dist, 'assets', 'index-abc.js'), 'console.log(1)');
writeFileSync(path.join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
afterAll(() => rmSync(dist, { recursive: true, force: true }));

const app = createApp({ logger, readiness: [], webDistDir: dist });

describe('web UI at /', () => {
  it.each(['/', '/analyses', '/analyses/5b0c3f0e-0000-4000-8000-000000000000', '/packages/npm/lodash.merge', '/packages/npm/@scope/pkg', '/packages/pypi/Django', '/batches/abc'])(
    'GET %s answers index.html (SPA fallback)',
    async (p) => {
      const res = await request(app).get(p).set('Accept', 'text/html');
      expect(res.status).toBe(200);
      expect(res.type).toBe('text/html');
      expect(res.text).toContain('<div id="root">');
      expect(res.headers['cache-control']).toBe('no-cache');
    },
  );

  it('CSP allows the app\'s own scripts and styles and nothing from elsewhere', async () => {
    const res = await request(app).get('/');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).not.toContain('https:');
    expect(csp).not.toContain('upgrade-insecure-requests');
  });

  it('serves hashed assets with a long cache; a missing asset is a problem+json 404', async () => {
    const js = await request(app).get('/assets/index-abc.js');
    expect(js.status).toBe(200);
    expect(js.headers['cache-control']).toContain('immutable');
    expect((await request(app).get('/favicon.svg')).type).toBe('image/svg+xml');
    const missing = await request(app).get('/assets/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.type).toBe('application/problem+json');
  });

  it('leaves API paths alone: unknown /v1 paths and other paths stay problem+json 404', async () => {
    for (const p of ['/v1/nope', '/v1/analyses/x/y/z', '/favicon.ico', '/healthzz']) {
      const res = await request(app).get(p);
      expect(res.status, p).toBe(404);
      expect(res.type, p).toBe('application/problem+json');
    }
    expect((await request(app).get('/healthz')).body).toMatchObject({ status: 'ok' });
    expect((await request(app).post('/analyses')).status).toBe(404);
  });

  it('a browser navigating to an unknown page gets the UI (its not-found page) with status 404', async () => {
    const browserAccept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    for (const p of ['/nope', '/analyses/x/y', '/packages/cargo/serde', '/some/deep/path']) {
      const res = await request(app).get(p).set('Accept', browserAccept);
      expect(res.status, p).toBe(404);
      expect(res.type, p).toBe('text/html');
      expect(res.text, p).toContain('<div id="root">');
    }
    // API paths keep problem+json even for a browser, and so does anything asked for as JSON.
    for (const p of ['/v1/nope', '/openapi.json/x', '/docs/nope', '/healthz/x', '/readyz/x', '/assets/nope.js']) {
      const res = await request(app).get(p).set('Accept', browserAccept);
      expect(res.status, p).toBe(404);
      expect(res.type, p).toBe('application/problem+json');
    }
    for (const accept of ['application/json', '*/*', 'application/problem+json']) {
      const res = await request(app).get('/nope').set('Accept', accept);
      expect(res.status, accept).toBe(404);
      expect(res.type, accept).toBe('application/problem+json');
    }
    expect((await request(app).post('/nope').set('Accept', browserAccept)).type).toBe('application/problem+json');
  });

  it('says how to build the UI when web/dist is missing', async () => {
    const bare = createApp({ logger, readiness: [], webDistDir: path.join(dist, 'missing') });
    const res = await request(bare).get('/');
    expect(res.status).toBe(503);
    expect(res.text).toContain('npm run setup');
    expect(res.text).toContain('turbo run build --filter=@vetbox/web');
  });

  it('webDistDir: false serves no UI', async () => {
    const res = await request(createApp({ logger, readiness: [], webDistDir: false })).get('/');
    expect(res.status).toBe(404);
  });
});
