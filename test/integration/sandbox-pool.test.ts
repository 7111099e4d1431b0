// The warm pool (#17 item 5) on the real engine: sandbox + sinkhole pairs made ahead, each taken
// once by one analysis, never shared, removed by the analysis that took it, by drain at worker
// shutdown, and by the reaper when their worker died. No timing asserts.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectUpload, stage } from '@vetbox/fetch';
import { createAnalyzer, detonate, makeWarmPair, type WarmPair } from '@vetbox/pipeline';
import { DockerRuntime, LABEL_ANALYSIS, WarmPool, appProject, ensureSandboxImage, reapOrphans } from '@vetbox/sandbox';
import { harmless, writeNpmArchive } from '../fixtures/pipeline/imitation.js';

const runtime = new DockerRuntime();
const quiet = { info() {}, warn() {}, error() {}, debug() {}, child() { return quiet; } } as never;
let image = '';
let dir = '';
let workRoot = '';

beforeAll(async () => {
  image = await ensureSandboxImage(runtime, { build: true });
  dir = await mkdtemp(path.join(os.tmpdir(), 'vetbox-pool-'));
  workRoot = path.join(dir, 'work');
}, 600_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Container ids carrying a pool member's label. */
async function containersOf(label: string): Promise<string[]> {
  return (await runtime.listByLabel(LABEL_ANALYSIS, label)).filter((r) => r.kind === 'container').map((r) => r.id);
}

describe('warm sandbox pool', () => {
  it('hands each analysis a pair made ahead, never the same one twice, and leaves nothing after drain', async () => {
    const made: WarmPair[] = [];
    const pool = new WarmPool<WarmPair>({ size: 2, logger: quiet, make: async (label) => { const p = await makeWarmPair(label, { runtime, image, workRoot, logger: quiet, limits: { graceMs: 500 } }); made.push(p); return p; } });
    try {
      pool.start();
      await pool.whenIdle(2);
      const before = new Map(await Promise.all(made.map(async (p) => [p.label, await containersOf(p.label)] as const)));
      const a = pool.take()!;
      const b = pool.take()!;
      // Pre-created: the sandbox and its sinkhole existed, labeled, before the take.
      for (const p of [a, b]) {
        expect(before.get(p.label)).toContain(p.sandbox.id);
        expect(p.sandbox.network.mode).toBe('container');
        expect(before.get(p.label)).toContain((p.sandbox.network as { containerId: string }).containerId);
      }
      // Never shared: containers, persona, canaries, trace directory are each pair's own.
      expect(a.label).not.toBe(b.label);
      expect(a.sandbox.id).not.toBe(b.sandbox.id);
      expect(a.identity.machineId).not.toBe(b.identity.machineId);
      expect(a.canaries.env).not.toEqual(b.canaries.env);
      expect(a.dir).not.toBe(b.dir);
      // A blank sandbox runs nothing before it is adopted.
      await expect(a.sandbox.runTraced('install', ['true'])).rejects.toThrow(/adopt/);
      for (const p of [a, b]) {
        await p.discard();
        pool.release(p);
        expect(await containersOf(p.label)).toEqual([]);
      }
      // Refilled in the background.
      await pool.whenIdle(1);
      expect(pool.idle).toBeGreaterThanOrEqual(1);
    } finally {
      await pool.drain();
    }
    for (const p of made) {
      expect(await containersOf(p.label)).toEqual([]);
      expect(existsSync(p.dir)).toBe(false);
    }
  }, 300_000);

  it('an analysis adopts a pooled pair: its workdir is staged at take, the persona is the pair\'s, and the pair is removed after', async () => {
    const made: WarmPair[] = [];
    const pool = new WarmPool<WarmPair>({ size: 1, logger: quiet, make: async (label) => { const p = await makeWarmPair(label, { runtime, image, workRoot, logger: quiet }); made.push(p); return p; } });
    try {
      pool.start();
      await pool.whenIdle(1);
      const pair = made[0]!;
      const file = await writeNpmArchive(path.join(dir, 'uploads'), harmless('pool-helper'));
      const inspected = await inspectUpload(file);
      const staged = await stage(inspected, await mkdtemp(path.join(dir, 'stage-')), { npmProject: appProject() });
      const { report } = await detonate(staged, { analysisId: 'test-pool-adopt', pool, runtime, image, workRoot, phases: ['install', 'import'], limits: { graceMs: 500 }, logger: quiet });
      expect(report.sandbox?.persona?.machineId).toBe(pair.identity.machineId);
      expect(report.sandbox?.network).toBe('sinkhole');
      expect(report.phases.map((p) => [p.name, p.status])).toEqual([['install', 'completed'], ['import', 'completed']]);
      expect(await containersOf(pair.label)).toEqual([]);
      expect(existsSync(pair.dir)).toBe(false);
    } finally {
      await pool.drain();
    }
    for (const p of made) expect(await containersOf(p.label)).toEqual([]);
  }, 300_000);

  it('an analyzer prepares nothing until a worker warms it, and its close (worker shutdown) removes what it prepared', async () => {
    const root = await mkdtemp(path.join(dir, 'analyzer-'));
    const analyzer = createAnalyzer({ runtime, image, workRoot: root, logger: quiet });
    expect(await readdir(root)).toEqual([]);
    analyzer.warm!();
    // A pair's trace directory is named after its label (`pool-<uuid>-XXXXXX`): wait for its sandbox.
    let label = '';
    for (let i = 0; i < 600 && label === ''; i++) {
      const name = (await readdir(root)).find((n) => n.startsWith('pool-'));
      if (name !== undefined && (await containersOf(name.slice(0, 41))).length === 2) label = name.slice(0, 41);
      else await new Promise((r) => setTimeout(r, 200));
    }
    expect(label).not.toBe('');
    await analyzer.close!();
    expect(await containersOf(label)).toEqual([]);
    expect(await readdir(root)).toEqual([]);
  }, 300_000);

  it('the reaper removes an idle pool member whose worker died', async () => {
    const dead = `${os.hostname()}:4194303:pool-test`;
    const pair = await makeWarmPair(`pool-reaper-${Date.now()}`, { runtime, image, workRoot, logger: quiet, workerId: dead });
    try {
      expect((await containersOf(pair.label)).length).toBe(2);
      await reapOrphans({ runtime, logger: quiet, isWorkerAlive: (w) => w !== dead });
      expect(await containersOf(pair.label)).toEqual([]);
    } finally {
      await pair.discard();
    }
  }, 300_000);
});
