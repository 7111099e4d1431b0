import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { loadEnv } from '@vetbox/config';
import { Report, VetboxError, type AnalysisDiff, type AnalysisJob, type AnalyzeContext } from '@vetbox/contracts';
import { diffReports } from '@vetbox/diff';
import { benignReport, maliciousReport } from '../format/__fixtures__/report.js';
import type { LocalPipeline } from '../local.js';
import { rescoreReport } from '../rescore.js';
import { npmPackage, writeTarGz } from '../../../services/fetch/src/__fixtures__/archives.js';
import { runAnalyze } from './analyze.js';
import { runDiff } from './diff.js';
import { runVet } from './vet.js';

function context(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c.toString()));
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c.toString()));
  return { ctx: { env: loadEnv(env), stdout, stderr }, out: () => out.join(''), err: () => err.join('') };
}

function fakePipeline(reports: Report[], calls: Array<{ job: AnalysisJob; ctx: AnalyzeContext }> = []): () => Promise<LocalPipeline> {
  return async () => ({
    version: 'test',
    analyze: async (job, ctx) => {
      calls.push({ job, ctx });
      ctx.onStage('fetch', 10);
      ctx.onStage('install', 40);
      const report = reports.shift();
      if (!report) throw new VetboxError('DOCKER_UNAVAILABLE', 'connect ENOENT /var/run/docker.sock');
      return { report: { ...report, analysisId: job.analysisId }, raw: [] };
    },
  });
}

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('vetbox analyze --local', () => {
  it('--json prints exactly the report and exits with the verdict code', async () => {
    const calls: Array<{ job: AnalysisJob; ctx: AnalyzeContext }> = [];
    const { ctx, out, err } = context();
    const code = await runAnalyze(ctx, 'npm:@scope/x@1.0.0', { local: true, json: true, phases: 'install', server: 'http://unused' }, { loadPipeline: fakePipeline([maliciousReport], calls) });
    expect(code).toBe(2);
    const printed = Report.parse(JSON.parse(out()));
    expect(printed.verdict).toBe('malicious');
    expect(calls[0].job).toMatchObject({ artifact: { ecosystem: 'npm', name: '@scope/x', version: '1.0.0', source: 'registry' }, phases: ['install'] });
    expect(calls[0].job.analysisId).toMatch(/^local-[0-9a-f-]{36}$/);
    expect(calls[0].ctx.signal.aborted).toBe(false);
    expect(err()).toContain('npm:@scope/x@1.0.0: install (40%)');
  });

  it('text mode prints the summary; benign exits 0', async () => {
    const { ctx, out } = context();
    const code = await runAnalyze(ctx, 'pypi:requests==2.32.3', { local: true, server: 'http://unused' }, { loadPipeline: fakePipeline([benignReport]) });
    expect(code).toBe(0);
    expect(out()).toMatch(/^BENIGN {2}score 0\/100/);
  });

  it('a failing pipeline exits 3 with the error code on stderr and nothing on stdout', async () => {
    const { ctx, out, err } = context();
    const code = await runAnalyze(ctx, 'npm:a@1.0.0', { local: true, json: true, server: 'http://unused' }, { loadPipeline: fakePipeline([]) });
    expect(code).toBe(3);
    expect(out()).toBe('');
    expect(err()).toContain('vetbox analyze: DOCKER_UNAVAILABLE: connect ENOENT');
  });

  it('bad targets and options exit 3 before anything runs', async () => {
    for (const [spec, opts, message] of [
      ['npm:left-pad', {}, /has no version/],
      ['npm:a@1.0.0', { phases: 'build' }, /unknown phase "build"/],
      ['npm:a@1.0.0', { baseline: 'latest' }, /--baseline accepts only "previous"/],
    ] as const) {
      const { ctx, out, err } = context();
      const code = await runAnalyze(ctx, spec, { local: true, server: 'http://unused', ...opts }, { loadPipeline: fakePipeline([benignReport]) });
      expect(code).toBe(3);
      expect(out()).toBe('');
      expect(err()).toMatch(message);
    }
  });

  it('rejects a file that is not a package archive', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vetbox-cli-'));
    const file = path.join(dir, 'junk.tgz');
    fs.writeFileSync(file, 'this is not gzip');
    try {
      const { ctx, err } = context();
      const code = await runAnalyze(ctx, file, { local: true, server: 'http://unused' }, { loadPipeline: fakePipeline([benignReport]) });
      expect(code).toBe(3);
      expect(err()).toMatch(/BAD_ARCHIVE: .*junk\.tgz is not a usable package archive/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an archive becomes an upload job with its stored path and digest', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vetbox-cli-'));
    const file = path.join(dir, 'x.tgz');
    await writeTarGz(file, npmPackage({ name: 'tiny-benign', version: '1.0.0' }));
    try {
      const calls: Array<{ job: AnalysisJob; ctx: AnalyzeContext }> = [];
      const ok = context();
      expect(await runAnalyze(ok.ctx, file, { local: true, server: 'http://unused' }, { loadPipeline: fakePipeline([benignReport], calls) })).toBe(0);
      expect(calls[0].job.artifact).toEqual({
        ecosystem: 'npm',
        name: 'tiny-benign',
        version: '1.0.0',
        source: 'upload',
        storedPath: file,
        sha256: createHash('sha256').update(fs.readFileSync(file)).digest('hex'),
      });

      const { ctx, err } = context();
      const code = await runAnalyze(ctx, file, { local: true, baseline: 'previous', server: 'http://unused' }, { loadPipeline: fakePipeline([benignReport]) });
      expect(code).toBe(3);
      expect(err()).toContain('--baseline previous works with registry targets in --local mode');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--baseline previous analyzes the previous release first and hands its report to the pipeline', async () => {
    const calls: Array<{ job: AnalysisJob; ctx: AnalyzeContext }> = [];
    const registry = await listen((req, res) => {
      // A minimal packument: previousVersion picks the highest lower stable release.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name: 'x', 'dist-tags': { latest: '1.0.1' }, versions: { '0.9.0': {}, '1.0.0': {}, '1.0.1': {}, '1.1.0-beta.1': {} } }));
    });
    {
      const { ctx, err } = context({ NPM_REGISTRY_URL: registry });
      const code = await runAnalyze(ctx, 'npm:x@1.0.1', { local: true, json: true, baseline: 'previous', server: 'http://unused' }, { loadPipeline: fakePipeline([benignReport, maliciousReport], calls) });
      expect(code, err()).toBe(2);
      expect(calls.map((c) => c.job.artifact.version)).toEqual(['1.0.0', '1.0.1']);
      expect(calls[1].ctx.baseline?.analysisId).toBe(calls[0].job.analysisId);
      expect(calls[1].job.baselineAnalysisId).toBe(calls[0].job.analysisId);
      expect(err()).toContain('baseline is 1.0.0');
    }
  });
});

/** What GET /v1/analyses/{id}/diff answers: contracts AnalysisDiff of two analyses of one package. */
function servedDiff(baseId: string, targetId: string): AnalysisDiff {
  const diff = diffReports(benignReport, maliciousReport);
  return {
    package: { ecosystem: 'npm', name: 'x' },
    base: { id: baseId, version: '1.0.0', verdict: 'benign' },
    target: { id: targetId, version: '1.0.1', verdict: 'malicious' },
    added: diff.added,
    removed: diff.removed,
    changes: diff.changes,
    empty: diff.empty,
  };
}

/**
 * A stand-in for the API: submit, SSE events, report (and optionally diff). `dedupedWithoutBaseline`
 * answers submissions like a reused analysis submitted without a baseline; `previous` is what
 * `diff?against=previous` answers.
 */
function fakeApi(
  reports: Record<string, Report>,
  opts: { sse?: boolean; diff?: boolean; dedupedWithoutBaseline?: boolean; previous?: 200 | 404 | 422 } = {},
) {
  const seen: Array<{ method: string; url: string; auth?: string; type?: string; body: string }> = [];
  let next = 0;
  const handler: http.RequestListener = (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('latin1')));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, type: req.headers['content-type'], body });
      const url = new URL(req.url!, 'http://x');
      const m = /^\/v1\/analyses\/([^/]+)(\/\w+)?$/.exec(url.pathname);
      if (req.method === 'POST' && url.pathname === '/v1/analyses') {
        const id = Object.keys(reports)[next++];
        const submitted = opts.dedupedWithoutBaseline ? { id, status: 'completed', deduplicated: true, links: {}, baseline: null } : { id, status: 'queued', deduplicated: false, links: {} };
        res.writeHead(opts.dedupedWithoutBaseline ? 200 : 202, { 'content-type': 'application/json' }).end(JSON.stringify(submitted));
        return;
      }
      if (!m || !reports[m[1]]) {
        res.writeHead(404, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ code: 'NOT_FOUND', detail: 'no such route' }));
        return;
      }
      const report = reports[m[1]];
      const summary = { id: m[1], status: 'completed', stage: 'done', progress: 100, verdict: report.verdict, error: null };
      if (m[2] === '/events' && opts.sse !== false) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(': hello\n\n');
        res.write(`event: progress\ndata: ${JSON.stringify({ analysisId: m[1], status: 'running', stage: 'install', percent: 40 })}\n\n`);
        res.end(`event: end\ndata: ${JSON.stringify(summary)}\n\n`);
      } else if (m[2] === '/events') {
        res.writeHead(503).end();
      } else if (m[2] === '/report') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(report));
      } else if (m[2] === '/diff' && url.searchParams.get('against') === 'previous' && opts.previous) {
        if (opts.previous === 200) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(servedDiff('p-0', m[1])));
        else res.writeHead(opts.previous, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ code: opts.previous === 404 ? 'NOT_FOUND' : 'NOT_COMPARABLE', detail: opts.previous === 404 ? 'no completed analysis of a version of npm:x below 1.0.1' : 'version cannot be ordered' }));
      } else if (m[2] === '/diff' && opts.diff) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(servedDiff(url.searchParams.get('against')!, m[1])));
      } else if (!m[2]) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(summary));
      } else {
        res.writeHead(404).end();
      }
    });
  };
  return { handler, seen };
}

describe('vetbox analyze (server)', () => {
  it('submits JSON with the API key, follows events, prints the report', async () => {
    const api = fakeApi({ 'a-1': maliciousReport });
    const server = await listen(api.handler);
    const { ctx, out, err } = context({ VETBOX_API_KEY: 'vbx_test' });
    const code = await runAnalyze(ctx, 'npm:imitation-stealer@1.0.1', { json: true, baseline: 'previous', server });
    expect(code, err()).toBe(2);
    expect(JSON.parse(out())).toEqual(maliciousReport);
    expect(api.seen[0]).toMatchObject({ method: 'POST', url: '/v1/analyses', auth: 'Bearer vbx_test', type: 'application/json' });
    expect(JSON.parse(api.seen[0].body)).toEqual({ ecosystem: 'npm', name: 'imitation-stealer', version: '1.0.1', baseline: 'previous' });
    expect(api.seen.map((s) => s.url)).toEqual(['/v1/analyses', '/v1/analyses/a-1/events', '/v1/analyses/a-1/report']);
    expect(err()).toContain('install (40%)');
  });

  it('uploads an archive as multipart "file" and polls when the event stream is unavailable', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vetbox-cli-'));
    const file = path.join(dir, 'x-1.0.0.tgz');
    fs.writeFileSync(file, 'ARCHIVE-BYTES');
    try {
      const api = fakeApi({ 'u-1': benignReport }, { sse: false });
      const server = await listen(api.handler);
      const { ctx, out, err } = context({ VETBOX_API_KEY: 'vbx_test' });
      const code = await runAnalyze(ctx, file, { server });
      expect(code, err()).toBe(0);
      expect(out()).toMatch(/^BENIGN/);
      expect(api.seen[0].type).toMatch(/^multipart\/form-data; boundary=/);
      expect(api.seen[0].body).toMatch(/name="file"; filename="x-1\.0\.0\.tgz"[\s\S]*ARCHIVE-BYTES/);
      expect(api.seen.map((s) => s.url)).toEqual(['/v1/analyses', '/v1/analyses/u-1/events', '/v1/analyses/u-1', '/v1/analyses/u-1/report']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an unreachable server exits 3', async () => {
    const server = await listen((_req, res) => res.end());
    const url = server;
    servers.pop()!.close();
    await new Promise((r) => setTimeout(r, 50));
    const { ctx, err } = context();
    const code = await runAnalyze(ctx, 'npm:a@1.0.0', { server: url });
    expect(code).toBe(3);
    expect(err()).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  });

  it('a failed analysis exits 3 with its error', async () => {
    const server = await listen((req, res) => {
      if (req.method === 'POST') return res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'f-1', status: 'queued', deduplicated: false, links: {} }));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`event: end\ndata: ${JSON.stringify({ id: 'f-1', status: 'failed', error: { code: 'PACKAGE_NOT_FOUND', message: 'no such version' } })}\n\n`);
    });
    const { ctx, out, err } = context();
    expect(await runAnalyze(ctx, 'npm:a@9.9.9', { json: true, server })).toBe(3);
    expect(out()).toBe('');
    expect(err()).toContain('analysis f-1 failed: PACKAGE_NOT_FOUND: no such version');
  });
});

describe('vetbox diff', () => {
  it('--local analyzes both and prints added/removed as JSON', async () => {
    const { ctx, out } = context();
    const code = await runDiff(ctx, 'npm:x@1.0.0', 'npm:x@1.0.1', { local: true, json: true, server: 'http://unused' }, { loadPipeline: fakePipeline([benignReport, maliciousReport]) });
    expect(code).toBe(0);
    const diff = JSON.parse(out());
    expect(Object.keys(diff.added)).toEqual(['hosts', 'processes', 'files', 'canaries', 'findings']);
    expect(diff.added.hosts.map((e: { key: string }) => e.key)).toContain('dns:collector.example');
    expect(diff.added.files.map((e: { summary: string }) => e.summary)).toContain('read ~/.npmrc');
    expect(Object.values(diff.removed).flat()).toEqual([]);
  });

  it('server mode uses the server diff when it has one, else computes it here', async () => {
    const withRoute = fakeApi({ 'b-1': benignReport, 't-1': maliciousReport }, { diff: true });
    const a = context();
    expect(await runDiff(a.ctx, 'npm:x@1.0.0', 'npm:x@1.0.1', { json: true, server: await listen(withRoute.handler) }), a.err()).toBe(0);
    expect(JSON.parse(a.out()).base).toMatchObject({ id: 'b-1', version: '1.0.0' });
    expect(withRoute.seen.at(-1)?.url).toBe('/v1/analyses/t-1/diff?against=b-1');

    const without = fakeApi({ 'b-1': benignReport, 't-1': maliciousReport });
    const b = context();
    expect(await runDiff(b.ctx, 'npm:x@1.0.0', 'npm:x@1.0.1', { server: await listen(without.handler) })).toBe(0);
    expect(b.err()).toMatch(/the server did not diff these \(404 /);
    expect(b.out()).toMatch(/^\+ hosts {6}DNS lookup of collector\.example/m);
  });
});

describe('rescoreReport', () => {
  it('re-judges stored behavior with the current rules', () => {
    const stale: Report = { ...maliciousReport, verdict: 'benign', score: 0, findings: [] };
    const next = rescoreReport(stale);
    expect(next.verdict).toBe('malicious');
    expect(next.findings.map((f) => f.rule)).toContain('credential-exfiltration');
    expect(rescoreReport(benignReport).verdict).toBe('benign');
  });

  it('leaves error reports alone', () => {
    const failed: Report = { ...benignReport, verdict: 'error', score: 0, error: { code: 'SANDBOX_FAILED', message: 'x' } };
    expect(rescoreReport(failed)).toEqual({ verdict: 'error', score: 0, findings: [], summary: failed.summary });
  });
});

describe('vetbox analyze --baseline previous on a version the server already analyzed', () => {
  it('compares with the previous analyzed version after the report (text mode: on stdout)', async () => {
    const api = fakeApi({ 'a-1': maliciousReport }, { dedupedWithoutBaseline: true, previous: 200 });
    const { ctx, out, err } = context();
    const code = await runAnalyze(ctx, 'npm:x@1.0.1', { baseline: 'previous', server: await listen(api.handler) });
    expect(code, err()).toBe(2);
    expect(err()).not.toContain('no earlier version to compare with');
    expect(err()).toContain('that analysis ran without a baseline; comparing it with the previous analyzed version instead');
    expect(api.seen.map((s) => s.url)).toContain('/v1/analyses/a-1/diff?against=previous');
    expect(out()).toMatch(/^MALICIOUS/);
    expect(out()).toContain('Behavior compared with the previous analyzed version (analysis p-0):\nx@1.0.0 → x@1.0.1: 14 added, 0 removed');
    expect(out()).toMatch(/^\+ files {6}read ~\/\.npmrc/m);
  });

  it('--json keeps stdout the bare report and prints the comparison on stderr', async () => {
    const api = fakeApi({ 'a-1': maliciousReport }, { dedupedWithoutBaseline: true, previous: 200 });
    const { ctx, out, err } = context();
    expect(await runAnalyze(ctx, 'npm:x@1.0.1', { json: true, baseline: 'previous', server: await listen(api.handler) })).toBe(2);
    expect(JSON.parse(out())).toEqual(maliciousReport);
    expect(err()).toContain('x@1.0.0 → x@1.0.1: 14 added, 0 removed');
  });

  it('no earlier analyzed version (404): says so and suggests --force; 422: says why', async () => {
    const none = fakeApi({ 'a-1': benignReport }, { dedupedWithoutBaseline: true, previous: 404 });
    const a = context();
    expect(await runAnalyze(a.ctx, 'npm:x@1.0.1', { baseline: 'previous', server: await listen(none.handler) })).toBe(0);
    expect(a.err()).toContain('npm:x@1.0.1: the previous version was never analyzed on this server, so there is nothing to compare with; run again with --force');
    expect(a.out()).not.toContain('Behavior compared');

    const unordered = fakeApi({ 'a-1': benignReport }, { dedupedWithoutBaseline: true, previous: 422 });
    const b = context();
    expect(await runAnalyze(b.ctx, 'npm:x@1.0.1', { baseline: 'previous', server: await listen(unordered.handler) })).toBe(0);
    expect(b.err()).toContain('cannot compare with the previous version (422 NOT_COMPARABLE: version cannot be ordered)');
  });

  it('a fresh analysis with baseline null still says there is no earlier version, and asks for no diff', async () => {
    const api = fakeApi({ 'a-1': benignReport });
    const { ctx, err } = context();
    expect(await runAnalyze(ctx, 'npm:x@1.0.1', { baseline: 'previous', server: await listen(api.handler) })).toBe(0);
    expect(api.seen.some((s) => s.url.includes('/diff'))).toBe(false);
    expect(err()).not.toContain('comparing it with the previous analyzed version');
  });

  it('--force sends force: true (JSON and multipart)', async () => {
    const api = fakeApi({ 'a-1': benignReport, 'u-1': benignReport });
    const server = await listen(api.handler);
    expect(await runAnalyze(context().ctx, 'npm:x@1.0.1', { baseline: 'previous', force: true, server })).toBe(0);
    expect(JSON.parse(api.seen[0].body)).toEqual({ ecosystem: 'npm', name: 'x', version: '1.0.1', baseline: 'previous', force: true });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vetbox-cli-'));
    const file = path.join(dir, 'x-1.0.0.tgz');
    fs.writeFileSync(file, 'ARCHIVE-BYTES');
    try {
      const before = api.seen.length;
      expect(await runAnalyze(context().ctx, file, { force: true, server })).toBe(0);
      expect(api.seen[before].body).toMatch(/name="force"\r\n\r\ntrue\r\n/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('vetbox analyze: a cancelled analysis and a bad --server', () => {
  it('an analysis cancelled while followed: one clean line, no "done (100%)", exit 3', async () => {
    const server = await listen((req, res) => {
      if (req.method === 'POST') return res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'c-1', status: 'queued', deduplicated: false, links: {} }));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // What the API publishes on DELETE /v1/analyses/{id}, then the end summary.
      res.write(`event: progress\ndata: ${JSON.stringify({ analysisId: 'c-1', status: 'running', stage: 'install', percent: 40 })}\n\n`);
      res.write(`event: progress\ndata: ${JSON.stringify({ analysisId: 'c-1', status: 'cancelled', stage: 'done', percent: 100, message: 'cancelled on request' })}\n\n`);
      res.end(`event: end\ndata: ${JSON.stringify({ id: 'c-1', status: 'cancelled', stage: 'done', progress: 100, error: { code: 'CANCELLED', message: 'cancelled on request' } })}\n\n`);
    });
    const { ctx, out, err } = context();
    expect(await runAnalyze(ctx, 'npm:a@1.0.0', { server })).toBe(3);
    expect(out()).toBe('');
    expect(err()).toContain('npm:a@1.0.0: install (40%)');
    expect(err()).not.toContain('done (100%)');
    expect(err()).toMatch(/\nvetbox analyze: analysis c-1 was cancelled\n$/);
    expect(err()).not.toContain('CANCELLED');
  });

  it('--server without a scheme: says what it must be, exit 3 (analyze, diff) and 2 (vet)', async () => {
    for (const server of ['127.0.0.1:3100', 'localhost:3100', 'ftp://127.0.0.1']) {
      const a = context();
      expect(await runAnalyze(a.ctx, 'npm:ms@2.1.3', { server })).toBe(3);
      expect(a.err()).toContain('--server must be an http(s) URL, e.g. http://127.0.0.1:3000');
      expect(a.err()).not.toContain('Invalid URL');
    }
    const d = context();
    expect(await runDiff(d.ctx, 'npm:ms@2.1.2', 'npm:ms@2.1.3', { server: '127.0.0.1:3100' })).toBe(3);
    expect(d.err()).toContain('vetbox diff: INVALID_INPUT: --server must be an http(s) URL');
    const v = context();
    expect(await runVet(v.ctx, 'package-lock.json', { server: '127.0.0.1:3100', format: 'text', timeout: '1' })).toBe(2);
    expect(v.err()).toBe('vetbox vet: --server must be an http(s) URL, e.g. http://127.0.0.1:3000 (got "127.0.0.1:3100")\n');
  });
});

describe('vetbox diff --json: one shape in every mode', () => {
  const sideKeys = ['id', 'ecosystem', 'name', 'version', 'verdict'];
  const keys = ['base', 'target', 'added', 'removed', 'changes', 'empty'];

  it('--local (two different packages here): base and target name their package; no package key', async () => {
    const { ctx, out } = context();
    expect(await runDiff(ctx, 'npm:x@1.0.0', 'npm:x@1.0.1', { local: true, json: true, server: 'http://unused' }, { loadPipeline: fakePipeline([benignReport, maliciousReport]) })).toBe(0);
    const diff = JSON.parse(out());
    expect(Object.keys(diff)).toEqual(keys);
    expect(Object.keys(diff.base)).toEqual(sideKeys);
    expect(diff.base).toMatchObject({ ecosystem: 'npm', name: 'tiny-benign', version: '1.0.0', verdict: 'benign' });
    expect(diff.base.id).toMatch(/^local-/);
    expect(diff.target).toMatchObject({ ecosystem: 'npm', name: 'imitation-stealer', version: '1.0.1', verdict: 'malicious' });
  });

  it('the server diff and the fallback: package, and the same side shape', async () => {
    const served = context();
    const withRoute = fakeApi({ 'b-1': benignReport, 't-1': maliciousReport }, { diff: true });
    expect(await runDiff(served.ctx, 'npm:x@1.0.0', 'npm:x@1.0.1', { json: true, server: await listen(withRoute.handler) })).toBe(0);
    const a = JSON.parse(served.out());
    expect(Object.keys(a)).toEqual(['package', ...keys]);
    expect(a.package).toEqual({ ecosystem: 'npm', name: 'x' });
    expect(a.base).toEqual({ id: 'b-1', ecosystem: 'npm', name: 'x', version: '1.0.0', verdict: 'benign' });
    expect(a.target).toEqual({ id: 't-1', ecosystem: 'npm', name: 'x', version: '1.0.1', verdict: 'malicious' });

    // Same package on both sides, computed here: `package` is present too.
    const same = fakeApi({ 'b-1': benignReport, 't-1': { ...benignReport, package: { ...benignReport.package, version: '1.0.1' } } });
    const local = context();
    expect(await runDiff(local.ctx, 'npm:tiny-benign@1.0.0', 'npm:tiny-benign@1.0.1', { json: true, server: await listen(same.handler) })).toBe(0);
    const b = JSON.parse(local.out());
    expect(Object.keys(b)).toEqual(['package', ...keys]);
    expect(b.package).toEqual({ ecosystem: 'npm', name: 'tiny-benign' });
    expect(Object.keys(b.base)).toEqual(sideKeys);
    expect(b.target).toMatchObject({ ecosystem: 'npm', name: 'tiny-benign', version: '1.0.1' });
  });
});

describe('vetbox analyze: Ctrl-C while following a server analysis', () => {
  it('stops following, exit 3, and names `vetbox cancel <id>` to stop the analysis itself', async () => {
    const server = await listen((req, res) => {
      if (req.method === 'POST') return res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'r-1', status: 'queued', deduplicated: false, links: {} }));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: progress\ndata: ${JSON.stringify({ analysisId: 'r-1', status: 'running', stage: 'install', percent: 40 })}\n\n`);
      // ...and the stream stays open: the analysis goes on.
    });
    const { ctx, err } = context();
    const running = runAnalyze(ctx, 'npm:a@1.0.0', { server });
    for (let i = 0; i < 100 && !err().includes('install (40%)'); i++) await new Promise((r) => setTimeout(r, 20));
    process.emit('SIGINT');
    expect(await running).toBe(3);
    expect(err()).toContain('stopped following analysis r-1; it goes on on the server');
    expect(err()).toContain('`vetbox cancel r-1` stops it');
  });
});
