// The API process against the real Redis, PostgreSQL and Docker that `npm run setup` starts.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadEnv } from '@vetbox/config';
import { startServer, type RunningServer } from '@vetbox/api';
import { REPO_ROOT, freePort, startNode, type ChildService } from '../helpers/processes.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const API_ENTRY = path.join(REPO_ROOT, 'api', 'dist', 'main.js');

function listeningUrl(output: string): string {
  const line = output.split('\n').find((l) => l.includes('"api listening"'));
  if (!line) throw new Error(`no "api listening" line in:\n${output}`);
  return (JSON.parse(line) as { url: string }).url;
}

async function startApi(env: NodeJS.ProcessEnv = {}): Promise<{ service: ChildService; url: string }> {
  if (!fs.existsSync(API_ENTRY)) throw new Error(`${API_ENTRY} is missing: run npm run setup (it builds the API)`);
  const service = await startNode(API_ENTRY, { PORT: '0', HOST: '127.0.0.1', LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...env }, 'api listening');
  return { service, url: listeningUrl(service.output()) };
}

describe('built API process (api/dist/main.js)', () => {
  let api: { service: ChildService; url: string };
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(async () => {
    await api?.service.stop();
  });

  it('GET /healthz is 200', async () => {
    const res = await fetch(`${api.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('GET /readyz is 200 with Redis, PostgreSQL and Docker reachable', async () => {
    const res = await fetch(`${api.url}/readyz`);
    const body = (await res.json()) as Json;
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.checks).toMatchObject({ redis: { ok: true }, postgres: { ok: true }, docker: { ok: true } });
  });

  it('exits 0 on SIGTERM', async () => {
    const { service } = await startApi();
    expect(await service.stop()).toBe(0);
    expect(service.output()).toContain('api closed');
  });
});

describe('GET /readyz with an unreachable dependency', () => {
  it('is 503 naming redis when REDIS_URL points at a closed port', async () => {
    const closedPort = await freePort();
    const { service, url } = await startApi({ REDIS_URL: `redis://127.0.0.1:${closedPort}` });
    try {
      const res = await fetch(`${url}/readyz`);
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const body = (await res.json()) as Json;
      expect(body.failing).toEqual(['redis']);
      expect(body.detail).toMatch(/^not ready: redis: /);
      expect(body.checks.postgres.ok).toBe(true);
      expect(body.checks.docker.ok).toBe(true);
    } finally {
      await service.stop();
    }
  });

  describe('in-process server', () => {
    let server: RunningServer | undefined;
    afterAll(async () => {
      await server?.close();
    });

    it('is 503 naming postgres and docker when both are unreachable', async () => {
      const closedPort = await freePort();
      const env = loadEnv({
        ...process.env,
        PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: `postgresql://vetbox:vetbox@127.0.0.1:${closedPort}/vetbox`,
        DOCKER_SOCKET: path.join(REPO_ROOT, 'test-artifacts', 'no-such-docker.sock'),
      });
      server = await startServer(env, createLogger('api-test', { level: 'silent' }));
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as Json;
      expect(body.failing).toEqual(['postgres', 'docker']);
      expect(body.checks.redis.ok).toBe(true);
      expect(body.checks.docker.error).toMatch(/ENOENT/);
    });
  });
});
