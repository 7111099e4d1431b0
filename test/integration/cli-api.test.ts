/**
 * `npx vetbox` usage errors, `cancel`, following a cancelled analysis, `analyze --baseline previous`
 * on a version already analyzed without a baseline, and the `diff --json` shape, against the real
 * app on the real Redis and PostgreSQL. No worker runs: analyses stay queued until cancelled, or
 * are completed here with the stand-in analyzer's reports (as in api-diff-baseline.test.ts).
 */
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Report, SubmitAnalysisResponse } from '@vetbox/contracts';
import { completeAnalysis, getAnalysis, jobFor, markRunning } from '@vetbox/store';
import { ApiHarness } from '../fixtures/api/harness.js';
import { fakeReport } from '../fixtures/pipeline/fake-analyzer.js';
import { runVetbox } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/processes.js';

let api: ApiHarness;
let server: Server;
let url = '';

beforeAll(async () => {
  api = await new ApiHarness().start();
  server = api.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await api?.close();
});

const vetbox = (args: string[]) => runVetbox(args, { env: { VETBOX_API_KEY: api.keys.submit }, timeoutMs: 60_000 });

async function submit(name: string, version: string): Promise<string> {
  api.registry.add('npm', name, version);
  const res = await request(api.app).post('/v1/analyses').set(api.auth('submit')).send({ ecosystem: 'npm', name, version });
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
  return SubmitAnalysisResponse.parse(res.body).id;
}

/** Submitted without a baseline and completed with the stand-in report of this verdict. */
async function analyzed(name: string, version: string, verdict: Report['verdict']): Promise<string> {
  const id = await submit(name, version);
  const analysis = (await getAnalysis(api.h.prisma, id))!;
  expect(await markRunning(api.h.prisma, id, 1)).toBe(true);
  expect(await completeAnalysis(api.h.prisma, id, { report: fakeReport(jobFor(analysis), verdict), raw: [], retentionDays: 1 })).toBe(true);
  return id;
}

describe('usage errors exit with the command\'s error code', () => {
  it.each([
    [['analyze'], 3, "missing required argument 'target'"],
    [['analyze', 'npm:ms@2.1.3', '--bogus'], 3, "unknown option '--bogus'"],
    [['diff', 'npm:ms@2.1.2'], 3, "missing required argument 'targetB'"],
    [['cancel'], 3, "missing required argument 'analysisId'"],
    [['vet'], 2, "missing required argument 'lockfile'"],
  ])('npx vetbox %j exits %i', async (args, code, message) => {
    const result = await vetbox(args);
    expect(result.code, result.stderr).toBe(code);
    expect(result.stderr).toContain(`error: ${message}`);
    expect(result.stdout).toBe('');
  }, 60_000);

  it('--server without a scheme: what it must be, exit 3', async () => {
    const result = await vetbox(['analyze', 'npm:ms@2.1.3', '--server', '127.0.0.1:3100']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('--server must be an http(s) URL, e.g. http://127.0.0.1:3000');
    expect(result.stderr).not.toContain('Invalid URL');
  }, 60_000);
});

describe('vetbox cancel', () => {
  it('cancels a queued analysis (exit 0); a second time is 409 and an unknown id 404 (exit 3)', async () => {
    const name = api.h.name('vbx-cli-cancel');
    const id = await submit(name, '1.0.0');
    const first = await vetbox(['cancel', id, '--server', url]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(`analysis ${id} (npm:${name}@1.0.0): cancelled\n`);
    expect((await getAnalysis(api.h.prisma, id))?.status).toBe('cancelled');

    const again = await vetbox(['cancel', id, '--server', url]);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(new RegExp(`vetbox cancel: DELETE /v1/analyses/${id} answered 409: CONFLICT: analysis ${id} already ended \\(cancelled\\)`));

    const missing = await vetbox(['cancel', '00000000-0000-4000-8000-000000000000', '--server', url]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('answered 404');
  }, 60_000);

  it('an analysis cancelled while `vetbox analyze` follows it: one clean line, exit 3', async () => {
    const name = api.h.name('vbx-cli-follow');
    api.registry.add('npm', name, '1.0.0');
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'cli', 'dist', 'main.js'), 'analyze', `npm:${name}@1.0.0`, '--server', url], {
      cwd: REPO_ROOT,
      env: { ...process.env, VETBOX_API_KEY: api.keys.submit },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const submitted = new Promise<string>((resolve) =>
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        const m = /analysis ([0-9a-f-]{36})/.exec(stderr);
        if (m) resolve(m[1]);
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const id = await submitted;
    // Give the CLI a moment to open the event stream, then cancel as `vetbox cancel` would.
    await new Promise((r) => setTimeout(r, 500));
    expect((await request(api.app).delete(`/v1/analyses/${id}`).set(api.auth('submit'))).status).toBe(200);
    expect(await exited, stderr).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).not.toContain('done (100%)');
    expect(stderr.trimEnd().split('\n').at(-1)).toBe(`vetbox analyze: analysis ${id} was cancelled`);
  }, 60_000);
});

describe('vetbox analyze --baseline previous on a version already analyzed without a baseline', () => {
  it('prints the diff against the previous analyzed version after the report', async () => {
    const name = api.h.name('vbx-cli-dedup');
    const base = await analyzed(name, '1.0.0', 'benign');
    const target = await analyzed(name, '1.0.1', 'suspicious');
    const result = await vetbox(['analyze', `npm:${name}@1.0.1`, '--baseline', 'previous', '--server', url]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`analysis ${target} (already analyzed with this analyzer version)`);
    expect(result.stderr).not.toContain('no earlier version to compare with');
    expect(result.stdout).toContain(`Behavior compared with the previous analyzed version (analysis ${base}):\n${name}@1.0.0 → ${name}@1.0.1: `);
    expect(result.stdout).toMatch(/^\+ files {6}read .*\.npmrc/m);

    // --json: the bare report on stdout, the comparison on stderr.
    const json = await vetbox(['analyze', `npm:${name}@1.0.1`, '--baseline', 'previous', '--server', url, '--json']);
    expect(json.code, json.stderr).toBe(1);
    expect(Report.parse(JSON.parse(json.stdout)).analysisId).toBe(target);
    expect(json.stderr).toContain(`${name}@1.0.0 → ${name}@1.0.1: `);
  }, 60_000);

  it('says when the previous version was never analyzed and suggests --force', async () => {
    const name = api.h.name('vbx-cli-first');
    await analyzed(name, '2.0.0', 'benign');
    const result = await vetbox(['analyze', `npm:${name}@2.0.0`, '--baseline', 'previous', '--server', url]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`npm:${name}@2.0.0: the previous version was never analyzed on this server, so there is nothing to compare with; run again with --force`);
  }, 60_000);
});

describe('vetbox diff --json against a server: one shape', () => {
  it('one package (the server diff) and two packages (compared here) both name ecosystem and name on each side', async () => {
    const name = api.h.name('vbx-cli-shape');
    const other = api.h.name('vbx-cli-shape-other');
    const base = await analyzed(name, '1.0.0', 'benign');
    const target = await analyzed(name, '1.0.1', 'suspicious');
    const otherId = await analyzed(other, '3.0.0', 'benign');

    const served = await vetbox(['diff', `npm:${name}@1.0.0`, `npm:${name}@1.0.1`, '--server', url, '--json']);
    expect(served.code, served.stderr).toBe(0);
    const a = JSON.parse(served.stdout);
    expect(Object.keys(a)).toEqual(['package', 'base', 'target', 'added', 'removed', 'changes', 'empty']);
    expect(a.base).toEqual({ id: base, ecosystem: 'npm', name, version: '1.0.0', verdict: 'benign' });
    expect(a.target).toEqual({ id: target, ecosystem: 'npm', name, version: '1.0.1', verdict: 'suspicious' });

    const two = await vetbox(['diff', `npm:${other}@3.0.0`, `npm:${name}@1.0.1`, '--server', url, '--json']);
    expect(two.code, two.stderr).toBe(0);
    expect(two.stderr).toContain('the server did not diff these (422');
    const b = JSON.parse(two.stdout);
    expect(Object.keys(b)).toEqual(['base', 'target', 'added', 'removed', 'changes', 'empty']);
    expect(b.base).toEqual({ id: otherId, ecosystem: 'npm', name: other, version: '3.0.0', verdict: 'benign' });
    expect(b.target).toEqual({ id: target, ecosystem: 'npm', name, version: '1.0.1', verdict: 'suspicious' });
  }, 60_000);
});
