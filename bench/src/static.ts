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
 * What is timed is the pass as the long-lived worker runs it: warm. A worker process loads the
 * pass's modules and JIT-compiles its parsers and walkers once, on its first analyses, and then
 * serves every later analysis with them; a cold process spends about half its time on that
 * (measured: 4.7 s of CPU cold, 2.4 s warm, over the same tree). So the pass first runs untimed
 * over a different real tree, npm's own bundled packages and corepack, three rounds
 * (`BENCH_STATIC_WARMUP` to choose another), and that cold figure is printed too. The timed tree
 * is never read before it is timed. That warm-up is smaller than a worker's history: warmed on a
 * copy of the timed tree instead, the timed pass took 2.3 s of CPU, against about 4 s after it.
 * `VETBOX_STATIC_THREADS=1` (or `auto`) measures the pass with its pool threads (off by default,
 * in the worker too: see pool.ts; the threads start once per process, during the warm-up here).
 * The load average is printed: two shared cores make wall time noisy, CPU time less so.
 */
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedFilePool, staticPass } from '@vetbox/static';
import { packagesIn } from './lib/package-tree.js';

const root = process.env.BENCH_STATIC_TREE ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules');
// npm's bundled dependencies, beside the node binary (/usr/bin/node → /usr/lib/node_modules/npm).
const warmupRoot = process.env.BENCH_STATIC_WARMUP ?? path.resolve(path.dirname(process.execPath), '../lib/node_modules/npm/node_modules');

/** Rounds over the warm-up tree: the JIT optimizes a function only after many calls, and this tree is small. */
const WARMUP_ROUNDS = 3;
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

if (existsSync(warmupRoot) && path.resolve(warmupRoot) !== path.resolve(root)) {
  const t0 = process.hrtime.bigint();
  let warmBytes = 0;
  const warmNames = packagesIn(warmupRoot);
  // npm's own tree holds few large bundles: corepack's (beside npm) warms the sparse reader too.
  const corepack = path.resolve(warmupRoot, '../../corepack');
  const warmDirs = [...warmNames.map((n) => ({ name: n, dir: path.join(warmupRoot, n) })), ...(existsSync(path.join(corepack, 'package.json')) ? [{ name: 'corepack', dir: corepack }] : [])];
  for (let round = 0; round < WARMUP_ROUNDS; round++) {
    for (const { name, dir } of warmDirs) warmBytes += (await staticPass({ ecosystem: 'npm', name, packageDir: dir })).bytesAnalyzed;
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`warm-up (untimed, cold process): ${warmupRoot}: ${warmDirs.length} packages × ${WARMUP_ROUNDS}, ${(warmBytes / 1e6).toFixed(1)} MB in ${s.toFixed(2)} s (${(warmBytes / 1e6 / s).toFixed(1)} MB/s)`);
} else {
  console.log(`warm-up: none (${warmupRoot} not found): the figure below includes JIT compilation`);
}

const names = packagesIn(root);
const loadBefore = load();
let bytes = 0;
let files = 0;
let tree = 0;
let signals = 0;
const slowest: Array<{ name: string; ms: number; mb: number }> = [];
const started = process.hrtime.bigint();
const cpuStarted = process.cpuUsage();
for (const name of names) {
  const t0 = process.hrtime.bigint();
  const r = await staticPass({ ecosystem: 'npm', name, packageDir: path.join(root, name) });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  bytes += r.bytesAnalyzed;
  files += r.filesAnalyzed;
  tree += r.filesInPackage;
  signals += r.signals.length;
  slowest.push({ name, ms, mb: r.bytesAnalyzed / 1e6 });
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpuStarted);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
slowest.sort((a, b) => b.ms - a.ms);
console.log(`tree: ${root}: ${names.length} packages, ${tree} files checked for executables`);
console.log(`parsed: ${files} files, ${(bytes / 1e6).toFixed(1)} MB of install/import code in ${seconds.toFixed(2)} s (${signals} signals)`);
console.log(`slowest: ${slowest.slice(0, 5).map((s) => `${s.name} ${s.mb.toFixed(1)} MB ${s.ms.toFixed(0)} ms`).join(', ')}`);
// CPU time is steadier than wall time on a shared machine: both are printed.
console.log(`cpu: ${cpuSeconds.toFixed(2)} s (${(bytes / 1e6 / cpuSeconds).toFixed(1)} MB per cpu-second)`);
console.log(`load average: ${loadBefore} before, ${load()} after (1, 5, 15 min; ${availableParallelism()} cores; ${sharedFilePool()?.size ?? 0} pool threads)`);
console.log(`static: ${(bytes / 1e6 / seconds).toFixed(1)} MB/s`);
