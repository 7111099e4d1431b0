/**
 * End-to-end with the real pipeline: the API and a worker running @vetbox/pipeline on real
 * Redis, PostgreSQL and Docker. Real small npm releases (fetched from the registry) plus an
 * allowlist line naming an uploaded imitation-malware package (an environment stealer): `vetbox
 * vet` exits 1 with a SARIF log that validates against SARIF 2.1.0; with policy exceptions for
 * the upload's findings it exits 0.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ANALYZER_VERSION, analyze } from '@vetbox/pipeline';
import { DockerRuntime, ensureSandboxImage } from '@vetbox/sandbox';
import { ApiHarness } from '../fixtures/api/harness.js';
import { envStealer, npmArchive } from '../fixtures/pipeline/imitation.js';
import { REPO_ROOT } from '../helpers/processes.js';
import { sarifErrors } from '../helpers/sarif.js';

const REGISTRY_PACKAGES = ['npm:is-number@7.0.0', 'npm:left-pad@1.3.0'];

let api: ApiHarness;
let server: Server;
let url = '';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vetbox-vet-real-'));

beforeAll(async () => {
  await ensureSandboxImage(new DockerRuntime(), { build: true });
  api = await new ApiHarness({ worker: { analyze, concurrency: 2 }, analyzerVersion: ANALYZER_VERSION, batches: { pollMs: 1_000 } }).start();
  server = api.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 600_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  // Only the upload's rows go: the registry releases' analyses stay for everyone (dedup).
  await api?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function vet(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'cli/src/main.ts', 'vet', ...args],
      { cwd: REPO_ROOT, env: { ...process.env, VETBOX_SERVER: url, VETBOX_API_KEY: api.keys.submit }, timeout: 900_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

it('real packages + an uploaded env stealer: vet exits 1 with valid SARIF; with exceptions for its findings it exits 0', async () => {
  const name = api.h.track(`vbx-vet-stealer-${Date.now()}`);
  const tgz = await npmArchive(envStealer(name, '1.0.0'));
  const up = await request(api.app).post('/v1/analyses').set(api.auth('submit')).attach('file', tgz, `${name}-1.0.0.tgz`);
  expect(up.status, JSON.stringify(up.body)).toBe(202);

  const folder = fs.mkdtempSync(path.join(dir, 'repo-'));
  const allowlist = path.join(folder, 'vetbox-allowlist.txt');
  fs.writeFileSync(allowlist, ['# what the release ships', ...REGISTRY_PACKAGES, `npm:${name}@1.0.0`, ''].join('\n'));
  const uploadLine = REGISTRY_PACKAGES.length + 2;

  // The upload must be analysed before an allowlist line can name it.
  const uploaded = await api.h.waitForStatus(up.body.id, ['completed', 'failed'], 600_000);
  expect(uploaded.status, uploaded.errorMessage ?? undefined).toBe('completed');
  expect(uploaded.verdict).toBe('malicious');

  const sarifPath = path.join(dir, 'fail.sarif');
  const failing = await vet([allowlist, '--format', 'sarif', '--output', sarifPath]);
  expect(failing.code, `${failing.stdout}\n${failing.stderr}`).toBe(1);
  const sarif = JSON.parse(fs.readFileSync(sarifPath, 'utf8'));
  expect(sarifErrors(sarif)).toEqual([]);
  const results = sarif.runs[0].results as Array<{ ruleId: string; locations: Array<{ physicalLocation: { region: { startLine: number } } }> }>;
  expect(results.length).toBeGreaterThan(0);
  expect(results.map((r) => r.ruleId)).toContain('credential-exfiltration');
  for (const r of results) expect(r.locations[0].physicalLocation.region.startLine).toBe(uploadLine);

  // Reviewed: one exception per rule that fired on the upload, with a reason and an expiry.
  const report = (await request(api.app).get(`/v1/analyses/${up.body.id}/report`).set(api.auth('read'))).body as { findings: Array<{ rule: string }> };
  const rules = [...new Set(report.findings.map((f) => f.rule))];
  const policy = [
    'failOn: malicious',
    'exceptions:',
    ...rules.flatMap((rule) => [`  - package: npm:${name}@1.0.0`, `    rule: ${rule}`, '    reason: imitation malware of the vetbox test suite', '    expires: 2999-12-31']),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(folder, 'vetbox.policy.yaml'), policy);
  const passing = await vet([allowlist, '--format', 'sarif', '--output', path.join(dir, 'pass.sarif')]);
  expect(passing.code, `${passing.stdout}\n${passing.stderr}`).toBe(0);
  expect(sarifErrors(JSON.parse(fs.readFileSync(path.join(dir, 'pass.sarif'), 'utf8')))).toEqual([]);
}, 1_200_000);
