// Shared helpers for bench scripts: they print figures (and save them to bench/out/), never
// assert. Speed targets are read off these numbers, not enforced by timed tests.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'out');

export interface Sample {
  label: string;
  runs: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  perSecond: number;
  rssMb: number;
  heapUsedMb: number;
  [extra: string]: number | string;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const round = (n: number) => Math.round(n * 100) / 100;

/** Summary of per-run durations (ms). `wallMs` gives throughput for concurrent runs. */
export function summarize(label: string, durations: number[], wallMs = durations.reduce((a, b) => a + b, 0)): Sample {
  const sorted = [...durations].sort((a, b) => a - b);
  const memory = process.memoryUsage();
  return {
    label,
    runs: durations.length,
    meanMs: round(durations.reduce((a, b) => a + b, 0) / Math.max(1, durations.length)),
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    maxMs: round(sorted.at(-1) ?? 0),
    perSecond: round((durations.length / Math.max(wallMs, 1e-9)) * 1000),
    rssMb: mb(memory.rss),
    heapUsedMb: mb(memory.heapUsed),
  };
}

/** Runs `fn` `warmup` times unmeasured, then `runs` times in sequence. */
export async function measure(label: string, fn: () => Promise<unknown> | unknown, opts: { runs?: number; warmup?: number } = {}): Promise<Sample> {
  const { runs = 20, warmup = 2 } = opts;
  for (let i = 0; i < warmup; i++) await fn();
  const durations: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn();
    durations.push(performance.now() - started);
  }
  return summarize(label, durations);
}

/** Runs `fn` `total` times with at most `concurrency` in flight. */
export async function measureConcurrent(label: string, fn: () => Promise<unknown>, opts: { total: number; concurrency: number }): Promise<Sample> {
  const durations: number[] = [];
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < opts.total) {
      next++;
      const t = performance.now();
      await fn();
      durations.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, lane));
  return { ...summarize(label, durations, performance.now() - started), concurrency: opts.concurrency };
}

/** Prints a table and writes bench/out/<name>.json. */
export function report(name: string, samples: Sample[]): void {
  console.log(`\n${name}`);
  console.table(samples);
  fs.mkdirSync(BENCH_OUT, { recursive: true });
  const file = path.join(BENCH_OUT, `${name}.json`);
  fs.writeFileSync(file, `${JSON.stringify({ name, at: new Date().toISOString(), node: process.version, samples }, null, 2)}\n`);
  console.log(`saved ${path.relative(process.cwd(), file)}`);
}
