/**
 * Acceptance of #19 with real detonations: the API, a worker running the real @vetbox/pipeline in
 * the Docker sandbox, Redis and PostgreSQL. An imitation stealer's OSV record is schema-valid and
 * names the exfiltration host and the hard-coded address (never the sinkhole's DNS answer), the
 * sha256 of the script it drops and the shell startup file it plants; a quiet
 * package on an imported known-malicious list comes out malicious, citing the record. (A benign
 * analysis having no record is share-intel.test.ts, on stored reports.)
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadEnv } from '@vetbox/config';
import { SubmitAnalysisResponse } from '@vetbox/contracts';
import { analyze } from '@vetbox/pipeline';
import { DockerRuntime, ensureSandboxImage } from '@vetbox/sandbox';
import { getReport } from '@vetbox/store';
import { runImport } from '../../cli/src/commands/intel.js';
import { validateOsv } from '../../services/share/src/__fixtures__/osv-schema.js';
import { ApiHarness } from '../fixtures/api/harness.js';
import { malRecord, writeListDir } from '../fixtures/intel/lists.js';
import { harmless, twoChannelStealer, writeNpmArchive, type NpmArchiveSpec } from '../fixtures/pipeline/imitation.js';

const ANALYSIS_TIMEOUT_MS = 240_000;
let api: ApiHarness;
let dir = '';
const tag = Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  await ensureSandboxImage(new DockerRuntime({ logger: createLogger('share-real', { level: 'silent' }) }), { build: true });
  api = await new ApiHarness({ worker: { analyze, concurrency: 1 } }).start();
  dir = await mkdtemp(path.join(os.tmpdir(), 'vetbox-share-real-'));
}, 600_000);

afterAll(async () => {
  await api?.h.prisma.intelSource.deleteMany({ where: { name: `real-list-${tag}` } });
  await api?.h.prisma.osvRecord.deleteMany({ where: { name: { startsWith: `vbx-real-${tag}` } } });
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A script that does nothing, dropped outside the package, made executable and run from ~/.bashrc. */
const DROPPED = '#!/bin/sh\n# vetbox imitation payload: does nothing\nexit 0\n';
function droppingStealer(name: string): NpmArchiveSpec {
  const spec = twoChannelStealer(name, '1.0.0');
  spec.files['send.js'] += `
const fs = require('fs'), os = require('os');
const drop = os.homedir() + '/.cache/.vbx-updater';
fs.mkdirSync(os.homedir() + '/.cache', { recursive: true });
fs.writeFileSync(drop, ${JSON.stringify(DROPPED)});
fs.chmodSync(drop, 0o755);
fs.appendFileSync(os.homedir() + '/.bashrc', '\\n' + drop + ' >/dev/null 2>&1 &\\n');
`;
  return spec;
}

async function detonate(spec: NpmArchiveSpec): Promise<string> {
  api.h.track(spec.name);
  const file = await writeNpmArchive(path.join(dir, 'uploads'), spec);
  const res = await request(api.app).post('/v1/analyses').set(api.auth('submit')).attach('file', await readFile(file), path.basename(file));
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  const { id } = SubmitAnalysisResponse.parse(res.body);
  const done = await api.h.waitForStatus(id, ['completed', 'failed'], ANALYSIS_TIMEOUT_MS);
  expect(done.status, done.errorMessage ?? undefined).toBe('completed');
  return id;
}

describe('OSV export and known-malicious lists on real detonations', () => {
  it('a canary stealer exports a schema-valid OSV record naming the package, the exfiltration host and address, the hash of its dropped script and the startup file it plants', async () => {
    const name = `vbx-real-${tag}-stealer`;
    const id = await detonate(droppingStealer(name));
    const report = (await getReport(api.h.prisma, id))!;
    expect(report.verdict).toBe('malicious');
    expect(report.findings.map((f) => f.rule)).toContain('credential-exfiltration');

    const res = await request(api.app).get(`/v1/analyses/${id}/osv`).set(api.auth('read'));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(validateOsv(res.body), JSON.stringify(validateOsv.errors)).toBe(true);
    expect(res.body.affected[0]).toMatchObject({ package: { ecosystem: 'npm', name }, versions: ['1.0.0'] });
    const indicators = res.body.database_specific.indicators as Array<{ type: string; value: string; port?: number; phase: string }>;
    expect(indicators).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'domain', value: 'collector.example', phase: 'install' }),
        expect.objectContaining({ type: 'ip', value: '203.0.113.7', port: 4444, phase: 'install' }),
        expect.objectContaining({ type: 'sha256', value: createHash('sha256').update(DROPPED).digest('hex'), phase: 'install' }),
        expect.objectContaining({ type: 'path', value: '~/.bashrc', phase: 'install' }),
      ]),
    );
    // The address the sinkhole answered collector.example with is the sandbox's, not the attacker's.
    const answers = report.behavior.network.dns.filter((q) => q.name === 'collector.example' && q.answer).map((q) => q.answer!);
    expect(answers.length).toBeGreaterThan(0);
    for (const a of answers) expect(JSON.stringify(res.body)).not.toContain(a);
    expect(res.body.details).toMatch(/### On install/);
  }, ANALYSIS_TIMEOUT_MS + 60_000);

  it('a quiet package on an imported list is malicious, citing the record (its OSV record aliases it)', async () => {
    const name = `vbx-real-${tag}-listed`;
    const list = await writeListDir(path.join(dir, 'list'), [malRecord(`MAL-2026-${tag}`, 'npm', name, { versions: ['1.0.0'] })]);
    const out = new PassThrough();
    expect(await runImport({ env: loadEnv(), stdout: out, stderr: out }, list, { source: `real-list-${tag}` })).toBe(0);

    const id = await detonate(harmless(name, '1.0.0'));
    const report = (await getReport(api.h.prisma, id))!;
    expect(report.verdict).toBe('malicious');
    expect(report.findings.map((f) => f.rule)).toEqual(['known-malicious']);
    expect(report.findings[0]!.evidence[0]!.summary).toContain(`MAL-2026-${tag}`);
    expect(report.knownMalicious![0]).toMatchObject({ id: `MAL-2026-${tag}`, source: `real-list-${tag}` });
    const osv = await request(api.app).get(`/v1/analyses/${id}/osv`).set(api.auth('read'));
    expect(osv.body.aliases).toEqual([`MAL-2026-${tag}`]);
  }, ANALYSIS_TIMEOUT_MS + 60_000);
});
