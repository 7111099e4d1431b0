// The warm pool (#17 item 5) on the real engine: sandbox + sinkhole pairs made ahead, each taken
// once by one analysis, never shared, removed by the analysis that took it, by drain at worker
// shutdown, and by the reaper when their worker died. No timing asserts.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectUpload, stage } from '@vetbox/fetch';
import { canariesFor, createAnalyzer, detonate, makeWarmPair, type WarmPair } from '@vetbox/pipeline';
import { DockerRuntime, LABEL_ANALYSIS, Sandbox, WarmPool, appProject, ensureSandboxImage, randomIdentity, reapOrphans, runSandbox } from '@vetbox/sandbox';
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

  it('a take stages the workdir as a cold open does, all the user\'s, and the first phase changes the same files', async () => {
    const inspected = await inspectUpload(await writeNpmArchive(path.join(dir, 'uploads-same'), harmless('pool-same')));
    const staged = await stage(inspected, await mkdtemp(path.join(dir, 'stage-')), { npmProject: appProject() });
    /** The workdir and npm cache (relative path, type, uid, mode, size) and what `install` changed, the persona's names replaced. */
    const observe = async (sandbox: Sandbox) => {
      const { home, workdir } = sandbox.identity;
      const r = await sandbox.exec(['sh', '-c', 'cd "$1" && find . -printf "W/%P %y %U %m %s\\n"; cd "$2/.npm" && find . -printf "~/.npm/%P %y %U %m %s\\n"', 'list', workdir, home]);
      // The skeleton's README names the project (its size is the persona's).
      const staging = r.stdout.toString().trim().split('\n').map((l) => (l.startsWith('W/README.md ') ? l.replace(/ \d+$/, '') : l)).sort();
      const run = await runSandbox({ analysisId: `test-pool-same-${sandbox.id.slice(0, 12)}`, staged, sandbox, phases: ['install'], runtime, image, limits: { graceMs: 500 }, logger: quiet, outDir: path.join(dir, 'traces', sandbox.id) });
      expect(run.phases.map((p) => p.status)).toEqual(['completed']);
      const norm = (p: string) => p.replace(workdir, 'W').replace(home, '~').replace(/\d/g, 'N');
      const changes = run.phases[0]!.fileChanges.map((c) => `${c.kind} ${norm(c.path)}`).sort();
      return { staging, changes };
    };
    const pair = await makeWarmPair(`pool-same-${Date.now()}`, { runtime, image, workRoot, logger: quiet });
    let pooled;
    try {
      await pair.sandbox.adopt({ analysisId: 'test-pool-same', workdirFrom: staged.dir, appProject: true });
      pooled = await observe(pair.sandbox);
    } finally {
      await pair.discard();
    }
    // Cold: the same kind of workstation (its canary files too), opened with the workdir in it.
    const identity = randomIdentity();
    const canaries = canariesFor(identity);
    const workstation = { identity, env: canaries.env, homeFiles: canaries.files };
    const opened = await Sandbox.open({ analysisId: 'test-pool-same-cold', ...workstation, workdirFrom: staged.dir, appProject: true, runtime, image, logger: quiet, outDir: path.join(dir, 'traces', 'cold') });
    let cold;
    try {
      cold = await observe(opened);
    } finally {
      await opened.close();
    }
    // Everything staged is there, the user's, and nothing else: the package's tarball, the
    // project's lockfile and links, the cache entries.
    expect(pooled.staging).toEqual(cold.staging);
    expect(pooled.staging).toEqual(expect.arrayContaining([expect.stringMatching(/^W\/dist\/\S+\.tgz f 1000 /), expect.stringMatching(/^W\/package-lock\.json f 1000 /), expect.stringMatching(/^W\/node_modules\/\S+ l 1000 /), expect.stringMatching(/^~\/\.npm\/_cacache\/content-v2\/\S+ f 1000 /)]));
    expect(pooled.staging.filter((l) => l.split(' ')[2] !== '1000')).toEqual([]);
    // The baseline counts the staged files as there before the phase: none is "added", none missed.
    expect(pooled.changes).toEqual(cold.changes);
    expect(pooled.changes).toContain('added W/node_modules/pool-same/built.txt');
  }, 300_000);
});
