/**
 * `vetbox vet` as CI runs it (a child process; exit codes are the contract) against the real API
 * on the real Redis and PostgreSQL, with an in-process worker running the STAND-IN analyzer
 * (test/fixtures/pipeline/fake-analyzer.ts): names containing "evil" come out malicious, "sus"
 * suspicious, the rest benign. The end-to-end case with the real @vetbox/pipeline is in
 * vet-real.test.ts.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '@vetbox/config';
import { runImport } from '../../cli/src/commands/intel.js';
import { npmTarball } from '../fixtures/api/archives.js';
import { malRecord, writeListDir } from '../fixtures/intel/lists.js';
import { ApiHarness } from '../fixtures/api/harness.js';
import { REPO_ROOT } from '../helpers/processes.js';
import { sarifErrors } from '../helpers/sarif.js';

let api: ApiHarness;
let server: Server;
let url = '';
const prefix = `vbx-vet-${randomUUID().slice(0, 8)}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vetbox-vet-'));

beforeAll(async () => {
  api = await new ApiHarness({
    worker: { durationMs: 50, verdictOf: (job) => (job.artifact.name.includes('evil') ? 'malicious' : job.artifact.name.includes('sus') ? 'suspicious' : 'benign') },
    batches: { pollMs: 300 },
  }).start();
  server = api.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await api.worker?.close();
  await api.h.prisma.package.deleteMany({ where: { name: { startsWith: prefix } } });
  await api.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function vet(args: string[], opts: { key?: string; server?: string } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, VETBOX_SERVER: opts.server ?? url, VETBOX_API_KEY: opts.key ?? api.keys.submit };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'cli/src/main.ts', 'vet', ...args, '--poll-ms', '200'],
      { cwd: REPO_ROOT, env, timeout: 90_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

/** A folder holding one file (and optionally a vetbox.policy.yaml), as a repository would. */
function project(name: string, content: string, policy?: string): string {
  const folder = fs.mkdtempSync(path.join(dir, 'p-'));
  fs.writeFileSync(path.join(folder, name), content);
  if (policy !== undefined) fs.writeFileSync(path.join(folder, 'vetbox.policy.yaml'), policy);
  return path.join(folder, name);
}

const exceptionYaml = (pkg: string, expires = '2999-12-31') =>
  `failOn: malicious\nexceptions:\n  - package: ${pkg}\n    rule: credential-store-read\n    reason: imitation malware used by the test suite\n    expires: ${expires}\n`;

describe('vetbox vet (stand-in analyzer)', () => {
  const good = `${prefix}-good`;
  const sus = `${prefix}-sus`;

  it('end-to-end: registry packages plus an allowlist line naming an uploaded imitation-malware package → exit 1 with valid SARIF; with the policy exception → exit 0', async () => {
    const evil = `${prefix}-evil-upload`;
    const tgz = await npmTarball(evil, '1.0.0');
    const up = await request(api.app).post('/v1/analyses').set(api.auth('submit')).attach('file', tgz, `${evil}-1.0.0.tgz`);
    expect(up.status, JSON.stringify(up.body)).toBe(202);
    await api.h.waitForStatus(up.body.id, ['completed']);

    const list = `# release dependencies\nnpm:${good}@1.0.0\nnpm:${good}-two@2.1.0\nnpm:${evil}@1.0.0\n`;
    const file = project('vetbox-allowlist.txt', list);
    const sarifPath = path.join(dir, 'fail.sarif');
    const failing = await vet([file, '--format', 'sarif', '--output', sarifPath]);
    expect(failing.code, failing.stderr).toBe(1);
    expect(failing.stdout).toMatch(/FAILED\s+malicious\s+npm:.*-evil-upload@1\.0\.0\s+4\s+credential-store-read \(high\)/);
    expect(failing.stdout).toMatch(/^FAIL: 1 failed, 2 passed/m);
    expect(failing.stderr).toMatch(/\d+\/3 \(\d+%\)/);
    expect(failing.stderr).toContain(`details: ${url}/batches/`);
    const sarif = JSON.parse(fs.readFileSync(sarifPath, 'utf8'));
    expect(sarifErrors(sarif)).toEqual([]);
    expect(sarif.runs[0].results).toEqual([
      expect.objectContaining({
        ruleId: 'credential-store-read',
        level: 'error',
        locations: [{ physicalLocation: { artifactLocation: { uri: 'vetbox-allowlist.txt', index: 0 }, region: { startLine: 4 } } }],
      }),
    ]);

    // The reviewed exception, in a vetbox.policy.yaml beside the allowlist (picked up by default).
    const excepted = project('vetbox-allowlist.txt', list, exceptionYaml(`npm:${evil}@1.0.0`));
    const passing = await vet([excepted, '--format', 'sarif', '--output', path.join(dir, 'pass.sarif')]);
    expect(passing.code, passing.stderr).toBe(0);
    expect(passing.stderr).toContain('policy: ');
    expect(passing.stdout).toMatch(/EXCEPTED\s+benign\s+npm:.*-evil-upload@1\.0\.0/);
    const passSarif = JSON.parse(fs.readFileSync(path.join(dir, 'pass.sarif'), 'utf8'));
    expect(sarifErrors(passSarif)).toEqual([]);
    expect(passSarif.runs[0].results).toEqual([]);

    // An expired exception stops applying.
    const expired = project('vetbox-allowlist.txt', list, exceptionYaml(`npm:${evil}@1.0.0`, '2020-01-01'));
    const expiredRun = await vet([expired]);
    expect(expiredRun.code).toBe(1);
    expect(expiredRun.stdout).toContain('expired 2020-01-01');
  });

  it('--fail-on suspicious fails a batch the default policy passes; --format json on stdout', async () => {
    const lock = JSON.stringify(
      {
        name: 'app',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: 'app', version: '1.0.0' },
          [`node_modules/${good}`]: { version: '1.0.0' },
          [`node_modules/${sus}`]: { version: '1.0.0' },
          'node_modules/local-thing': { resolved: 'file:../local-thing', link: true },
        },
      },
      null,
      2,
    );
    const file = project('package-lock.json', lock);
    const lenient = await vet([file, '--format', 'json']);
    expect(lenient.code, lenient.stderr).toBe(0);
    const report = JSON.parse(lenient.stdout);
    expect(report).toMatchObject({ format: 'vetbox-vet-report/v1', evaluation: { outcome: 'pass', failOn: 'malicious' } });
    expect(lenient.stderr).toMatch(/not vetted, line \d+: local-thing/);
    expect(lenient.stderr).toMatch(/^PASS: 0 failed, 2 passed/m);

    const strict = await vet([file, '--fail-on', 'suspicious']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/FAILED\s+suspicious\s+npm:.*-sus@1\.0\.0\s+\d+\s+credential-store-read/);
  });

  it('fails when nothing could be vetted (every entry unpinned), and says why', async () => {
    const result = await vet([project('requirements.txt', 'flask>=2\nrequests\n')]);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toMatch(/FAIL: nothing was vetted: all 2 entries are unpinned or not registry packages/);
  });

  it('names a version on an imported known-malicious list first, though its detonation was quiet', async () => {
    const quiet = `${prefix}-quiet-listed`;
    const folder = fs.mkdtempSync(path.join(dir, 'intel-'));
    await writeListDir(folder, [malRecord(`MAL-2026-${prefix}`, 'npm', quiet, { versions: ['1.0.0'] })]);
    const out = new PassThrough();
    expect(await runImport({ env: loadEnv(), stdout: out, stderr: out }, folder, { source: `${prefix}-list` })).toBe(0);
    try {
      const run = await vet([project('vetbox-allowlist.txt', `npm:${prefix}-evil-loud@1.0.0\nnpm:${quiet}@1.0.0\nnpm:${quiet}@1.0.1\n`)]);
      expect(run.code, run.stderr).toBe(1);
      const failed = run.stdout.split('\n').filter((l) => l.includes('FAILED'));
      expect(failed).toHaveLength(2);
      expect(failed[0]).toMatch(new RegExp(`FAILED\\s+malicious\\s+npm:${quiet}@1\\.0\\.0\\s+2\\s+KNOWN MALICIOUS \\(MAL-2026-${prefix}\\)$`));
      expect(failed[1]).toContain(`npm:${prefix}-evil-loud@1.0.0`);
      expect(run.stdout).toMatch(/^FAIL: 2 failed, 1 passed/m);
    } finally {
      await api.h.prisma.intelSource.deleteMany({ where: { name: `${prefix}-list` } });
    }
  });

  it('usage and server errors exit 2', async () => {
    const file = project('allow.txt', `npm:${good}@1.0.0\n`);
    const cases: Array<[string, () => Promise<Run>, RegExp]> = [
      ['no lockfile argument', () => vet([]), /missing required argument/],
      ['unknown option', () => vet([file, '--frobnicate']), /unknown option/],
      ['bad --fail-on', () => vet([file, '--fail-on', 'benign']), /--fail-on must be/],
      ['bad --format', () => vet([file, '--format', 'xml']), /--format must be/],
      ['missing file', () => vet([path.join(dir, 'nope.lock')]), /cannot read/],
      ['invalid policy', () => vet([file, '--policy', project('p.yaml', 'failOn: sometimes\n')]), /failOn/],
      ['not a lockfile', () => vet([project('notes.txt', 'just some notes\n')]), /400: INVALID_INPUT: unrecognised format/],
      ['read-only key', () => vet([file], { key: api.keys.read }), /403/],
      ['unknown key', () => vet([file], { key: 'vbx_not-a-real-key' }), /401/],
      ['server unreachable', () => vet([file], { server: 'http://127.0.0.1:9' }), /cannot reach/],
    ];
    for (const [what, run, message] of cases) {
      const result = await run();
      expect(result.code, `${what}: ${result.stderr}`).toBe(2);
      expect(result.stderr, what).toMatch(message);
    }
  });
});
