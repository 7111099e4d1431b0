/**
 * Queue → worker → the real @vetbox/pipeline → store, on real Redis, PostgreSQL and Docker:
 * uploaded imitation packages analyzed by a worker exactly as production runs them, and a
 * malicious update compared with the version before it (the worker waits for the baseline).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@vetbox/config';
import { inspectUpload } from '@vetbox/fetch';
import { ANALYZER_VERSION, analyze } from '@vetbox/pipeline';
import { DockerRuntime, LABEL_ANALYSIS, ensureSandboxImage } from '@vetbox/sandbox';
import { getReport, listRawArtifacts, submitAnalysis, type ArtifactInput } from '@vetbox/store';
import { createAnalysisWorker } from '@vetbox/worker';
import { PipelineHarness, REDIS_URL } from '../fixtures/pipeline/harness.js';
import { envStealer, harmless, npmrcThief, writeNpmArchive, type NpmArchiveSpec } from '../fixtures/pipeline/imitation.js';

const logger = createLogger('pipeline-real-test', { level: 'silent' });
const runtime = new DockerRuntime({ logger });
let dir = '';
let h: PipelineHarness;
let closeWorker: () => Promise<void>;

beforeAll(async () => {
  await ensureSandboxImage(runtime, { build: true });
  dir = await mkdtemp(path.join(os.tmpdir(), 'vetbox-pipeline-real-'));
  h = new PipelineHarness();
  await h.progress.whenReady();
  // One slot: the baseline test relies on the waiting job stepping aside, not on a second slot.
  const worker = createAnalysisWorker({ queueName: h.queueName, redisUrl: REDIS_URL, prisma: h.prisma, analyze, logger, concurrency: 1, retentionDays: 30, attempts: 3, reconcileIntervalMs: 0 });
  await worker.ready();
  closeWorker = () => worker.close();
}, 600_000);

afterAll(async () => {
  await closeWorker?.();
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

const submitted: string[] = [];
afterEach(async () => {
  for (const id of submitted.splice(0)) expect(await runtime.listByLabel(LABEL_ANALYSIS, id)).toEqual([]);
});

async function upload(spec: NpmArchiveSpec): Promise<ArtifactInput & { blob: Buffer }> {
  const name = h.track(spec.name);
  const file = await writeNpmArchive(path.join(dir, 'uploads'), { ...spec, name });
  const a = await inspectUpload(file);
  return { ecosystem: 'npm', name: a.name, version: a.version, source: 'upload', sha256: a.sha256, size: a.size, storedPath: file, blob: await readFile(file) };
}

async function submit(spec: NpmArchiveSpec, baselineAnalysisId?: string): Promise<string> {
  const { blob, ...artifact } = await upload(spec);
  const outcome = await submitAnalysis(h.prisma, { artifact, blob, analyzerVersion: ANALYZER_VERSION, queue: h.queueName, baselineAnalysisId, force: true });
  if (outcome.job) await h.queue.enqueue(outcome.job);
  submitted.push(outcome.analysis.id);
  return outcome.analysis.id;
}

describe('worker + real pipeline', () => {
  it('an uploaded env stealer completes malicious, with findings and raw evidence stored', async () => {
    const id = await submit(envStealer(`vbx-real-stealer-${Date.now()}`));
    const done = await h.waitForStatus(id, ['completed', 'failed'], 240_000);
    expect(done.status, done.errorMessage ?? undefined).toBe('completed');
    expect(done.verdict).toBe('malicious');
    expect(done.analyzerVersion).toBe(ANALYZER_VERSION);
    const report = await getReport(h.prisma, id);
    expect(report!.findings.map((f) => f.rule)).toContain('credential-exfiltration');
    const rows = await h.prisma.finding.findMany({ where: { analysisId: id, rule: 'credential-exfiltration' } });
    expect(rows.length).toBe(1);
    const raw = await listRawArtifacts(h.prisma, id);
    // Per phase under strace, one session under eBPF (the default where it loads).
    const traces = report!.sandbox?.tracer?.name === 'ebpf' ? ['ebpf-session:'] : ['strace:import', 'strace:install'];
    expect(raw.map((r) => `${r.kind}:${r.phase ?? ''}`).sort()).toEqual([...traces, 'sinkhole-capture:'].sort());
    const stages = h.events.filter((e) => e.analysisId === id).map((e) => e.stage);
    expect(stages).toEqual(expect.arrayContaining(['fetch', 'install', 'import', 'parse', 'rules', 'done']));
  }, 300_000);

  it('a malicious update queued before its baseline waits for it, then reports new-behavior', async () => {
    const name = `vbx-real-update-${Date.now()}`;
    // Submit the baseline without enqueueing it yet, so the target is picked up first.
    const { blob, ...baseArtifact } = await upload(harmless(name, '1.0.0'));
      const base = await submitAnalysis(h.prisma, { artifact: baseArtifact, blob, analyzerVersion: ANALYZER_VERSION, queue: h.queueName, force: true });
    submitted.push(base.analysis.id);
    const target = await submit(npmrcThief(name, '1.0.1'), base.analysis.id);
    await h.waitForStatus(target, ['queued'], 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    await h.queue.enqueue(base.job!);

    const baseDone = await h.waitForStatus(base.analysis.id, ['completed', 'failed'], 240_000);
    expect(baseDone.verdict).toBe('benign');
    const done = await h.waitForStatus(target, ['completed', 'failed'], 240_000);
    expect(done.status, done.errorMessage ?? undefined).toBe('completed');
    expect(done.finishedAt!.getTime()).toBeGreaterThan(baseDone.finishedAt!.getTime());
    const report = await getReport(h.prisma, target);
    expect(report!.verdict).toBe('malicious');
    expect(report!.baseline).toMatchObject({ analysisId: base.analysis.id, version: '1.0.0' });
    expect(report!.findings.map((f) => f.rule)).toContain('new-behavior');
  }, 600_000);
});
