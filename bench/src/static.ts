/**
 * Static pass benchmark: the pass (`staticPass`) over every package of a large real tree — this
 * repository's own node_modules (typescript, prisma, playwright-core, babel, esbuild, ...), each
 * package read the way an analysis reads it: its install/import closure parsed, every file
 * checked for executables. Prints figures only.
 *
 *   npm run bench:static
 *
 * Goal: static ≥ 50 MB/s of code parsed (it runs on every analysis, after the sandbox).
 *
 * What is timed is the pass as the long-lived worker runs it: a process that has already
 * analyzed other packages. A worker loads the pass's modules and its JIT compiles the parsers and
 * walkers on its first analyses, and keeps re-optimizing them as new code shapes arrive; after a
 * few hundred packages it serves the next one with all of that done. Timing a package in a
 * process that had seen only a little code measures that start-up, not the pass: the same half
 * of the tree took 1.0 s after a warm-up on npm's own small tree, 0.72 s after a warm-up on the
 * other half (December 2026, same files, page cache warm in both). So the tree is cut in two
 * folds (packages alternately) and each fold is timed in a fresh child process warmed on the
 * other fold: every package is timed exactly once, by a process that never read it before. The
 * figure is all the code parsed over the two timed runs' time added. The first fold's warm-up,
 * a cold process, is printed too, and so is the figure measured the earlier way (until
 * 2026-12-05): the whole tree timed in one process warmed on npm's own bundled packages only
 * (`BENCH_STATIC_FOLDS=1` prints only that one).
 * `VETBOX_STATIC_THREADS=1` (or `auto`) measures the pass with its pool threads (off by default,
 * in the worker too: see pool.ts). The load average is printed: two shared cores make wall time
 * noisy, CPU time less so.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedFilePool, staticPass } from '@vetbox/static';
import { packagesIn } from './lib/package-tree.js';

const root = process.env.BENCH_STATIC_TREE ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules');
// npm's bundled dependencies, beside the node binary (/usr/bin/node → /usr/lib/node_modules/npm).
const warmupRoot = process.env.BENCH_STATIC_WARMUP ?? path.resolve(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules');

/** Rounds over npm's tree when it is the only warm-up: the JIT optimizes a function only after many calls, and this tree is small. */
const WARMUP_ROUNDS = 3;
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

interface Timed {
  bytes: number;
  files: number;
  tree: number;
  signals: number;
  seconds: number;
  cpuSeconds: number;
  packages: number;
  slowest: Array<{ name: string; ms: number; mb: number }>;
}

/** The pass over each package, in turn; its bytes parsed and files seen, added up. */
async function passOver(dir: string, names: readonly string[], slowest?: Timed['slowest']): Promise<Omit<Timed, 'seconds' | 'cpuSeconds' | 'slowest'>> {
  const sum = { bytes: 0, files: 0, tree: 0, signals: 0, packages: names.length };
  for (const name of names) {
    const t0 = process.hrtime.bigint();
    const r = await staticPass({ ecosystem: 'npm', name, packageDir: path.join(dir, name) });
    sum.bytes += r.bytesAnalyzed;
    sum.files += r.filesAnalyzed;
    sum.tree += r.filesInPackage;
    sum.signals += r.signals.length;
    slowest?.push({ name, ms: Number(process.hrtime.bigint() - t0) / 1e6, mb: r.bytesAnalyzed / 1e6 });
  }
  return sum;
}

async function timedPass(names: readonly string[]): Promise<Timed> {
  const slowest: Timed['slowest'] = [];
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  const sum = await passOver(root, names, slowest);
  const cpu = process.cpuUsage(cpuStarted);
  return { ...sum, seconds: Number(process.hrtime.bigint() - started) / 1e9, cpuSeconds: (cpu.user + cpu.system) / 1e6, slowest };
}

/** npm's bundled packages (and corepack's bundle), beside the node binary: a tree no fold contains. */
async function npmWarmup(rounds: number): Promise<void> {
  if (!existsSync(warmupRoot) || path.resolve(warmupRoot) === path.resolve(root)) {
    console.log(`warm-up: none (${warmupRoot} not found): the figure below includes JIT compilation`);
    return;
  }
  const t0 = process.hrtime.bigint();
  let warmBytes = 0;
  const corepack = path.resolve(warmupRoot, '../../corepack');
  const warmDirs = [...packagesIn(warmupRoot).map((n) => ({ name: n, dir: path.join(warmupRoot, n) })), ...(existsSync(path.join(corepack, 'package.json')) ? [{ name: 'corepack', dir: corepack }] : [])];
  for (let round = 0; round < rounds; round++) {
    for (const { name, dir } of warmDirs) warmBytes += (await staticPass({ ecosystem: 'npm', name, packageDir: dir })).bytesAnalyzed;
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`warm-up (untimed, cold process): ${warmupRoot}: ${warmDirs.length} packages × ${rounds}, ${(warmBytes / 1e6).toFixed(1)} MB in ${s.toFixed(2)} s (${(warmBytes / 1e6 / s).toFixed(1)} MB/s)`);
}

/** One fold in this (child) process: warmed on the other fold, untimed, then its own fold timed; the figures as one JSON line. */
async function runFold(fold: number, folds: number): Promise<void> {
  const names = packagesIn(root);
  const t0 = process.hrtime.bigint();
  const warm = await passOver(root, names.filter((_, i) => i % folds !== fold));
  const warmSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const timed = await timedPass(names.filter((_, i) => i % folds === fold));
  process.stdout.write(`${JSON.stringify({ fold, warm: { packages: warm.packages, bytes: warm.bytes, seconds: warmSeconds }, timed })}\n`);
}

function runChild(fold: number, folds: number): Timed & { warm: { packages: number; bytes: number; seconds: number } } {
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    env: { ...process.env, BENCH_STATIC_FOLD: String(fold), BENCH_STATIC_FOLDS: String(folds) },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = child.stdout.trim().split('\n').at(-1) ?? '';
  if (child.status !== 0 || !line.startsWith('{')) throw new Error(`bench:static fold ${fold} failed (exit ${child.status}): ${child.stdout.slice(-2000)}`);
  const { warm, timed } = JSON.parse(line) as { warm: { packages: number; bytes: number; seconds: number }; timed: Timed };
  return { ...timed, warm };
}

function report(all: Timed[], folds: number, loadBefore: string): void {
  const t = all.reduce((a, b) => ({ bytes: a.bytes + b.bytes, files: a.files + b.files, tree: a.tree + b.tree, signals: a.signals + b.signals, seconds: a.seconds + b.seconds, cpuSeconds: a.cpuSeconds + b.cpuSeconds, packages: a.packages + b.packages, slowest: [...a.slowest, ...b.slowest] }));
  t.slowest.sort((a, b) => b.ms - a.ms);
  console.log(`tree: ${root}: ${t.packages} packages, ${t.tree} files checked for executables${folds > 1 ? ` (${folds} folds, each timed once)` : ''}`);
  console.log(`parsed: ${t.files} files, ${(t.bytes / 1e6).toFixed(1)} MB of install/import code in ${t.seconds.toFixed(2)} s (${t.signals} signals)`);
  console.log(`slowest: ${t.slowest.slice(0, 5).map((s) => `${s.name} ${s.mb.toFixed(1)} MB ${s.ms.toFixed(0)} ms`).join(', ')}`);
  // CPU time is steadier than wall time on a shared machine: both are printed.
  console.log(`cpu: ${t.cpuSeconds.toFixed(2)} s (${(t.bytes / 1e6 / t.cpuSeconds).toFixed(1)} MB per cpu-second)`);
  console.log(`load average: ${loadBefore} before, ${load()} after (1, 5, 15 min; ${availableParallelism()} cores; ${sharedFilePool()?.size ?? 0} pool threads)`);
  console.log(`static: ${(t.bytes / 1e6 / t.seconds).toFixed(1)} MB/s`);
}

const folds = Math.max(1, Number(process.env.BENCH_STATIC_FOLDS ?? 2));
if (process.env.BENCH_STATIC_FOLD !== undefined) {
  await runFold(Number(process.env.BENCH_STATIC_FOLD), folds);
} else if (folds === 1) {
  await npmWarmup(WARMUP_ROUNDS);
  const loadBefore = load();
  report([await timedPass(packagesIn(root))], 1, loadBefore);
} else {
  const loadBefore = load();
  const all: Timed[] = [];
  for (let fold = 0; fold < folds; fold++) {
    const r = runChild(fold, folds);
    if (fold === 0) console.log(`warm-up (untimed, cold process): the rest of the tree: ${r.warm.packages} packages, ${(r.warm.bytes / 1e6).toFixed(1)} MB in ${r.warm.seconds.toFixed(2)} s (${(r.warm.bytes / 1e6 / r.warm.seconds).toFixed(1)} MB/s)`);
    console.log(`fold ${fold + 1} of ${folds}: ${r.packages} packages, ${(r.bytes / 1e6).toFixed(1)} MB in ${r.seconds.toFixed(2)} s (${(r.bytes / 1e6 / r.seconds).toFixed(1)} MB/s), warmed on the other ${r.warm.packages}`);
    all.push(r);
  }
  const earlier = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], { env: { ...process.env, BENCH_STATIC_FOLDS: '1' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const figure = /^static: (.*)$/m.exec(earlier.stdout)?.[1] ?? `failed (exit ${earlier.status})`;
  console.log(`the earlier way (one process, warmed on npm's own tree only): ${figure}`);
  report(all, folds, loadBefore);
}
