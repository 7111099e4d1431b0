/** GET /v1/analyses?q=: the UI's name search (part of a name, any case), next to the exact `name`. */
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiHarness } from '../fixtures/api/harness.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await new ApiHarness().start();
});
afterAll(async () => {
  await api.close();
});

it('q matches part of a package name in any case; combines with the other filters', async () => {
  const stem = api.h.name('vbx-Search').toLowerCase();
  const names = [`${stem}-alpha`, `${stem}-beta`, `other-${stem.slice(-8)}`].map((n) => api.h.track(n));
  for (const name of names) {
    api.registry.add('npm', name, '1.0.0');
    const res = await request(api.app).post('/v1/analyses').set(api.auth('submit')).send({ ecosystem: 'npm', name, version: '1.0.0' });
    expect(res.status).toBe(202);
  }
  const list = async (query: Record<string, string>) => {
    const res = await request(api.app).get('/v1/analyses').query(query).set(api.auth('read'));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return (res.body.items as Array<{ package: { name: string } }>).map((a) => a.package.name).sort();
  };
  expect(await list({ q: stem.toUpperCase() })).toEqual([`${stem}-alpha`, `${stem}-beta`]);
  expect(await list({ q: stem.slice(-8) })).toEqual([...names].sort());
  expect(await list({ q: `${stem}-al`, ecosystem: 'npm' })).toEqual([`${stem}-alpha`]);
  expect(await list({ q: stem, ecosystem: 'pypi' })).toEqual([]);
  expect(await list({ q: stem, status: 'completed' })).toEqual([]);
  // `name` stays exact.
  expect(await list({ name: stem })).toEqual([]);
  const bad = await request(api.app).get('/v1/analyses').query({ q: 'a\u0001b' }).set(api.auth('read'));
  expect(bad.status).toBe(400);
});
