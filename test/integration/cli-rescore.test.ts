// `npx vetbox rescore` against a scratch PostgreSQL database of its own (migrated like setup does),
// so re-judging every stored report cannot touch what other tests keep in the shared database.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '@vetbox/config';
import type { RawEvidence, Report, SinkholeCapture } from '@vetbox/contracts';
import { createPrismaClient, type PrismaClient } from '@vetbox/db';
import { rescoreReport } from '@vetbox/pipeline';
import { completeAnalysis, markRunning, submitAnalysis } from '@vetbox/store';
import { benignReport, maliciousReport } from '../../cli/src/format/__fixtures__/report.js';
// @ts-expect-error plain ESM script without declarations
import { prismaCommand } from '../../scripts/prisma.mjs';
import { REPO_ROOT } from '../helpers/processes.js';
import { malRecord, writeListDir } from '../fixtures/intel/lists.js';

const mainUrl = loadEnv().DATABASE_URL;
const dbName = `vetbox_cli_rescore_${randomBytes(4).toString('hex')}`;
const url = (() => {
  const u = new URL(mainUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
let admin: PrismaClient;
let prisma: PrismaClient;

beforeAll(async () => {
  admin = createPrismaClient({ databaseUrl: mainUrl });
  await admin.$executeRawUnsafe(`CREATE DATABASE ${dbName}`);
  const { command, args, options } = prismaCommand(['migrate', 'deploy']) as { command: string; args: string[]; options: { cwd: string; env: NodeJS.ProcessEnv } };
  const migrated = spawnSync(command, args, { ...options, env: { ...options.env, DATABASE_URL: url }, encoding: 'utf8', timeout: 120_000 });
  expect(migrated.status, `${migrated.stdout}\n${migrated.stderr}`).toBe(0);
  prisma = createPrismaClient({ databaseUrl: url });
}, 180_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await admin?.$executeRawUnsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin?.$disconnect();
});

async function stored(name: string, report: Report, raw: RawEvidence[] = []): Promise<string> {
  const { analysis } = await submitAnalysis(prisma, {
    artifact: { ecosystem: 'npm', name, version: report.package.version, source: 'upload', sha256: report.package.sha256 },
    analyzerVersion: report.analyzer.version,
    queue: 'cli-rescore',
  });
  expect(await markRunning(prisma, analysis.id, 1)).toBe(true);
  expect(await completeAnalysis(prisma, analysis.id, { report: { ...report, package: { ...report.package, name } }, raw, retentionDays: 1 })).toBe(true);
  return analysis.id;
}

function vetbox(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['--no-install', 'vetbox', ...args], { cwd: REPO_ROOT, env: { ...process.env, DATABASE_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('vetbox rescore', () => {
  it('re-judges stored behavior with the current rules and says how many changed verdict', async () => {
    // Judged before the rules knew better: the stored behavior leaks a canary, the verdict says benign.
    const stale = await stored('cli-rescore-stale', { ...maliciousReport, verdict: 'benign', score: 0, summary: 'benign: no finding', findings: [] });
    // Already what the current rules say: left alone.
    const current = await stored('cli-rescore-current', { ...benignReport, ...rescoreReport(benignReport) });
    // Nothing to judge.
    const failed = await stored('cli-rescore-error', { ...benignReport, verdict: 'error', score: 0, findings: [], error: { code: 'SANDBOX_FAILED', message: 'x' } });

    const json = await vetbox(['rescore', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ scanned: 3, changed: 1, invalid: 0, verdictChanged: 1, transitions: { 'benign → malicious': 1 }, knownMalicious: 0 });

    const row = await prisma.analysis.findUniqueOrThrow({ where: { id: stale }, include: { findings: true, report: true } });
    expect(row.verdict).toBe('malicious');
    expect(row.findings.map((f) => f.rule)).toContain('credential-exfiltration');
    expect((row.report?.report as unknown as Report).verdict).toBe('malicious');
    expect((await prisma.analysis.findUniqueOrThrow({ where: { id: current } })).verdict).toBe('benign');
    expect((await prisma.analysis.findUniqueOrThrow({ where: { id: failed } })).verdict).toBe('error');

    const again = await vetbox(['rescore']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('Rescored 3 reports: 0 changed verdict (0 updated in all');
  }, 120_000);

  it('searches a stored capture again: a report judged before identity canaries existed becomes malicious', async () => {
    // Stored by rules that did not know the persona (a lookup, suspicious at most): its capture holds the hostname as a DNS label.
    const host = benignReport.sandbox!.hostname;
    const capture: SinkholeCapture = { dns: [{ t: 1_800_000_000_000, name: `${host}.probe.example`, type: 'A', srcPort: 40_001, answer: '104.18.3.7' }], streams: [] };
    const network = { ...benignReport.behavior.network, dns: [...benignReport.behavior.network.dns, { phase: 'install' as const, name: `${host}.probe.example`, type: 'A', tMs: 1_800_000_000_000 }] };
    const before = { ...benignReport, behavior: { ...benignReport.behavior, network } };
    const old = await stored('cli-rescore-identity', { ...before, ...rescoreReport(before) }, [
      { kind: 'sinkhole-capture', phase: null, data: Buffer.from(JSON.stringify(capture)) },
    ]);
    const json = await vetbox(['rescore', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ changed: 1, transitions: { 'suspicious → malicious': 1 } });
    const row = await prisma.analysis.findUniqueOrThrow({ where: { id: old }, include: { findings: true, report: true } });
    expect(row.verdict).toBe('malicious');
    expect(row.findings.map((f) => f.rule)).toContain('identity-exfiltration');
    const report = row.report?.report as unknown as Report;
    expect(report.canaries.find((c) => c.kind === 'identity')).toMatchObject({ planted: 'hostname', leaked: true, valuePreview: host });
  }, 120_000);

  it('applies known-malicious records imported after the analysis, and lets a withdrawn one go', async () => {
    const quiet = await stored('cli-rescore-listed', { ...benignReport, ...rescoreReport(benignReport) });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vetbox-rescore-intel-'));
    try {
      const record = malRecord('MAL-2026-9100', 'npm', 'cli-rescore-listed', { versions: [benignReport.package.version] });
      await writeListDir(dir, [record]);
      const imported = await vetbox(['intel', 'import', dir, '--source', 'fixture-list']);
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stdout).toContain('1 records added');

      const json = await vetbox(['rescore', '--json']);
      expect(json.code, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({ changed: 1, verdictChanged: 1, transitions: { 'benign → malicious': 1 }, knownMalicious: 1 });
      const row = await prisma.analysis.findUniqueOrThrow({ where: { id: quiet }, include: { findings: true, report: true } });
      expect(row.verdict).toBe('malicious');
      expect(row.findings.map((f) => `${f.rule}:${f.severity}`)).toEqual(['known-malicious:critical']);
      expect((row.report?.report as unknown as Report).knownMalicious).toEqual([expect.objectContaining({ id: 'MAL-2026-9100', source: 'fixture-list' })]);

      // The list withdraws the record: the next rescore takes the finding back.
      await writeListDir(dir, [{ ...record, modified: '2026-11-25T00:00:00Z', withdrawn: '2026-11-25T00:00:00Z' } as typeof record]);
      expect((await vetbox(['intel', 'import', dir, '--source', 'fixture-list'])).stdout).toContain('1 updated');
      expect(JSON.parse((await vetbox(['rescore', '--json'])).stdout)).toMatchObject({ transitions: { 'malicious → benign': 1 }, knownMalicious: 0 });
      expect((await prisma.analysis.findUniqueOrThrow({ where: { id: quiet } })).verdict).toBe('benign');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('an unreachable database exits 3 with a message', async () => {
    const child = spawnSync('npx', ['--no-install', 'vetbox', 'rescore'], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: 'postgresql://vetbox:vetbox@127.0.0.1:1/vetbox' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.status).toBe(3);
    expect(child.stderr).toMatch(/^vetbox rescore: database: Can't reach database server at 127\.0\.0\.1:1$/m);
  }, 90_000);
});
