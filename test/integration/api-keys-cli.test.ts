/** `vetbox keys create|list|revoke` against the real database, and the key then works on the API. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT } from '@vetbox/config';
import { ApiHarness } from '../fixtures/api/harness.js';

const run = promisify(execFile);
const cli = (...args: string[]) => run(process.execPath, ['--conditions=source', '--import', 'tsx', 'cli/src/main.ts', ...args], { cwd: REPO_ROOT });

let api: ApiHarness;
beforeAll(async () => {
  api = await new ApiHarness().start();
});
afterAll(async () => {
  await api.close();
});

it('creates a key of a role that the API accepts at that role; revoked, it is refused', async () => {
  const { stdout } = await cli('keys', 'create', '--role', 'read', '--name', 'cli-test', '--json');
  const created = JSON.parse(stdout) as { id: string; key: string; role: string };
  api.keyIds.push(created.id);
  expect(created).toMatchObject({ role: 'read', key: expect.stringMatching(/^vbx_/) });
  const auth = { Authorization: `Bearer ${created.key}` };
  expect((await request(api.app).get('/v1/analyses?limit=1').set(auth)).status).toBe(200);
  expect((await request(api.app).post('/v1/analyses').set(auth).send({ ecosystem: 'npm', name: 'x', version: '1.0.0' })).status).toBe(403);

  expect((await cli('keys', 'list')).stdout).toContain(created.id);
  expect((await cli('keys', 'revoke', created.id)).stdout).toContain('revoked');
  // A fresh app (no authentication cache) refuses it at once.
  const { createApp } = await import('@vetbox/api');
  const fresh = createApp({ logger: api.services.logger, readiness: [], services: api.services });
  expect((await request(fresh).get('/v1/analyses?limit=1').set(auth)).status).toBe(401);
  await expect(cli('keys', 'create', '--role', 'root')).rejects.toMatchObject({ code: 2 });
});
