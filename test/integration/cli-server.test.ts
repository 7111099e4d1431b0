// `vetbox analyze` and `vetbox diff` against a server: the real app (multipart upload, SSE events,
// report and diff routes) with an in-process worker running the real @vetbox/pipeline in Docker.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Report } from '@vetbox/contracts';
import { createLogger } from '@vetbox/config';
import { createAnalyzer, ANALYZER_VERSION } from '@vetbox/pipeline';
import { ApiHarness } from '../fixtures/api/harness.js';
import { runVetbox } from '../helpers/cli.js';
import { NPMRC_POST, writeNpmArchive } from '../fixtures/pipeline/imitation.js';

let api: ApiHarness;
let server: Server;
let url = '';
let work = '';

beforeAll(async () => {
  const analyze = createAnalyzer({ logger: createLogger('cli-server-test', { level: 'warn' }) });
  api = await new ApiHarness({ worker: { analyze, concurrency: 1 }, analyzerVersion: ANALYZER_VERSION }).start();
  server = api.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  work = await mkdtemp(path.join(os.tmpdir(), 'vetbox-cli-server-'));
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await api?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const vetbox = (args: string[], env: NodeJS.ProcessEnv = {}) => runVetbox(args, { env: { VETBOX_API_KEY: api.keys.submit, ...env } });

const npmTgz = (name: string, version: string, scripts: Record<string, string>, files: Record<string, string>): Promise<string> =>
  writeNpmArchive(work, { name, version, scripts, files: { 'index.js': 'module.exports = 1;\n', ...files } });

describe('vetbox analyze --server', () => {
  it('uploads an archive, follows the events, prints the stored report; exit 2 for malicious', async () => {
    const tgz = await npmTgz(api.h.name('vbx-cli-up'), '1.0.0', { postinstall: 'node up.js' }, { 'up.js': NPMRC_POST });
    const result = await vetbox(['analyze', tgz, '--server', url, '--json']);
    expect(result.code, result.stderr).toBe(2);
    const report = Report.parse(JSON.parse(result.stdout));
    expect(report.verdict).toBe('malicious');
    expect(report.analysisId).toMatch(/^[0-9a-f-]{36}$/);
    expect(report.findings.map((f) => f.rule)).toContain('credential-exfiltration');
    expect(result.stderr).toContain(`analysis ${report.analysisId}`);
    expect(result.stderr).toMatch(/install \(\d+%\)/);
  }, 300_000);

  it('a version the registry does not have: exit 3 with the server\'s reason', async () => {
    const result = await vetbox(['analyze', `npm:${api.h.name('vbx-cli-missing')}@1.0.0`, '--server', url]);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/vetbox analyze: .*404.*PACKAGE_NOT_FOUND/);
  }, 60_000);

  it('a wrong API key: exit 3 with the 401 detail', async () => {
    const result = await vetbox(['analyze', `npm:left-pad@1.3.0`, '--server', url], { VETBOX_API_KEY: 'vbx_not_a_key' });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/401/);
  }, 60_000);
});

describe('vetbox diff --server', () => {
  it('two uploads of one package: the server diff, added hosts and files', async () => {
    const name = api.h.name('vbx-cli-diff');
    const a = await npmTgz(name, '1.0.0', {}, {});
    const b = await npmTgz(name, '1.0.1', { postinstall: 'node up.js' }, { 'up.js': NPMRC_POST });
    const result = await vetbox(['diff', a, b, '--server', url, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('comparing the two reports here');
    const diff = JSON.parse(result.stdout) as { package: unknown; added: Record<string, Array<{ key: string }>>; removed: Record<string, unknown[]> };
    const text = JSON.stringify(diff, null, 2);
    expect(diff.package, text).toEqual({ ecosystem: 'npm', name });
    expect(diff.added.hosts.some((h) => h.key.includes('upload.example')), text).toBe(true);
    expect(diff.added.files.some((f) => f.key.includes('.npmrc')), text).toBe(true);
    expect(diff.removed.hosts, text).toEqual([]);
    // Nothing went away: the idle window's own command differs (it reinstalls only where installing
    // runs package code) but is the harness's, not the package's.
    expect(Object.entries(diff.removed).filter(([, items]) => items.length > 0), text).toEqual([]);

    const readable = await vetbox(['diff', a, b, '--server', url]);
    expect(readable.code, readable.stderr).toBe(0);
    expect(readable.stdout).toMatch(new RegExp(`^${name}@1\\.0\\.0 → ${name}@1\\.0\\.1: \\d+ added, \\d+ removed`));
    expect(readable.stdout).toMatch(/^\+ hosts +.*upload\.example/m);
  }, 600_000);
});
