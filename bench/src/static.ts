/**
 * Static pass benchmark: the pass (`staticPass`) over every package of a large real tree — this
 * repository's own node_modules (typescript, prisma, playwright-core, babel, esbuild, ...), each
 * package read the way an analysis reads it: its install/import closure parsed, every file
 * checked for executables. Prints figures only.
 *
 *   npm run bench:static
 *
 * Goal: static ≥ 50 MB/s of code parsed (it runs on every analysis, after the sandbox).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { staticPass } from '@vetbox/static';

const root = process.env.BENCH_STATIC_TREE ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules');

function packages(dir: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync(dir)) {
    if (d.startsWith('.')) continue;
    if (d.startsWith('@')) for (const s of readdirSync(path.join(dir, d))) out.push(`${d}/${s}`);
    else out.push(d);
  }
  return out.filter((n) => existsSync(path.join(dir, n, 'package.json')));
}

const names = packages(root);
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
console.log(`static: ${(bytes / 1e6 / seconds).toFixed(1)} MB/s`);
