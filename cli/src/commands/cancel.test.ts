import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { loadEnv } from '@vetbox/config';
import { buildProgram } from '../program.js';
import { runCancel } from './cancel.js';

function context() {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c.toString()));
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c.toString()));
  return { ctx: { env: loadEnv({ VETBOX_API_KEY: 'vbx_test' }), stdout, stderr }, out: () => out.join(''), err: () => err.join('') };
}

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

const summary = (id: string, status: string) => ({
  id,
  status,
  stage: 'done',
  progress: 100,
  verdict: null,
  score: null,
  summary: null,
  analyzerVersion: 'test',
  package: { ecosystem: 'npm', name: 'slow', version: '1.0.0', source: 'registry', sha256: null },
  createdAt: '2026-11-27T05:00:00.000Z',
  startedAt: null,
  finishedAt: '2026-11-27T05:01:00.000Z',
  timings: null,
});

/** DELETE /v1/analyses/{id} as the API answers it: q-1 queued (cancelled now), d-1 already ended, else 404. */
async function fakeApi(seen: Array<{ method: string; url: string; auth?: string }>): Promise<string> {
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization });
    const problem = (status: number, code: string, detail: string) =>
      res.writeHead(status, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ type: 'about:blank', title: code, status, code, detail }));
    if (req.method !== 'DELETE') return problem(405, 'METHOD_NOT_ALLOWED', 'DELETE only');
    if (req.url === '/v1/analyses/q-1') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(summary('q-1', 'cancelled')));
    if (req.url === '/v1/analyses/d-1') return problem(409, 'CONFLICT', 'analysis d-1 already ended (completed); only queued or running analyses can be cancelled');
    problem(404, 'NOT_FOUND', `no analysis ${decodeURIComponent(req.url!.split('/').pop()!)}`);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('vetbox cancel', () => {
  it('DELETEs the analysis with the API key and prints its status; exit 0', async () => {
    const seen: Array<{ method: string; url: string; auth?: string }> = [];
    const server = await fakeApi(seen);
    const { ctx, out, err } = context();
    expect(await runCancel(ctx, 'q-1', { server }), err()).toBe(0);
    expect(seen).toEqual([{ method: 'DELETE', url: '/v1/analyses/q-1', auth: 'Bearer vbx_test' }]);
    expect(out()).toBe('analysis q-1 (npm:slow@1.0.0): cancelled\n');

    const json = context();
    expect(await runCancel(json.ctx, 'q-1', { server, json: true })).toBe(0);
    expect(JSON.parse(json.out())).toMatchObject({ id: 'q-1', status: 'cancelled' });
  });

  it('an ended analysis (409) or an unknown one (404): exit 3 with the server\'s detail', async () => {
    const server = await fakeApi([]);
    const ended = context();
    expect(await runCancel(ended.ctx, 'd-1', { server })).toBe(3);
    expect(ended.out()).toBe('');
    expect(ended.err()).toBe('vetbox cancel: DELETE /v1/analyses/d-1 answered 409: CONFLICT: analysis d-1 already ended (completed); only queued or running analyses can be cancelled\n');
    const missing = context();
    expect(await runCancel(missing.ctx, 'nope', { server })).toBe(3);
    expect(missing.err()).toContain('answered 404: NOT_FOUND: no analysis nope');
  });

  it('a --server without a scheme exits 3 with what it must be', async () => {
    const { ctx, err } = context();
    expect(await runCancel(ctx, 'q-1', { server: '127.0.0.1:3100' })).toBe(3);
    expect(err()).toContain('--server must be an http(s) URL, e.g. http://127.0.0.1:3000');
  });

  it('is listed in vetbox --help', async () => {
    const { ctx } = context();
    const program = await buildProgram(ctx);
    expect(program.helpInformation()).toMatch(/cancel \[options\] <analysisId>\s+cancel a queued or running analysis/);
  });
});
