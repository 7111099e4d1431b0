// What the execute, idle and next-login phases add to a small benign package: the wall time of a
// whole sandbox run with all five phases minus one with install and import only, interleaved
// runs, medians. The package is staged here (a one-file library with a bin), nothing downloaded.
import { mkdirSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import type { PhaseName, StagedPackage } from '@vetbox/contracts';

type RunSandbox = typeof import('@vetbox/sandbox').runSandbox;

const ALL: PhaseName[] = ['install', 'import', 'execute', 'idle', 'next-login'];
const FIRST: PhaseName[] = ['install', 'import'];

/** A small benign npm package: a few exported helpers and a CLI that prints its help. */
export function smallBenignPackage(root: string): StagedPackage {
  const dir = path.join(root, 'phases-added-stage');
  const pkg = path.join(dir, 'node_modules', 'tidy-strings');
  if (!existsSync(path.join(pkg, 'package.json'))) {
    mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true });
    mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'bench-project', version: '0.0.0', private: true, dependencies: { 'tidy-strings': '1.0.0' } }));
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'tidy-strings', version: '1.0.0', main: 'index.js', bin: { 'tidy-strings': 'cli.js' } }));
    writeFileSync(path.join(pkg, 'index.js'), 'exports.trim = (s) => String(s ?? "").trim();\nexports.upper = (s) => String(s ?? "").toUpperCase();\nexports.words = (s) => String(s ?? "").split(/\\s+/);\n');
    writeFileSync(path.join(pkg, 'cli.js'), '#!/usr/bin/env node\nconsole.log("usage: tidy-strings <text>");\n', { mode: 0o755 });
    symlinkSync('../tidy-strings/cli.js', path.join(dir, 'node_modules', '.bin', 'tidy-strings'));
  }
  // No install scripts, as fetch would have read them (unknown counts as yes, and the idle window
  // would then npm install it again, from a registry the sandbox cannot reach).
  return { ecosystem: 'npm', name: 'tidy-strings', version: '1.0.0', source: 'upload', sha256: '', size: 0, dir, archiveFile: 'tidy-strings-1.0.0.tgz', importNames: ['tidy-strings'], entryPoints: ['index.js'], declaredHosts: [], installScript: false };
}

/** Median wall ms of all five phases minus install + import only, over `reps` interleaved pairs. */
export async function phasesAdded(runSandbox: RunSandbox, root: string, reps: number, opts: { logger: Parameters<RunSandbox>[0]['logger']; outDir: string }): Promise<{ firstMs: number; allMs: number; addedMs: number }> {
  const staged = smallBenignPackage(root);
  const first: number[] = [];
  const all: number[] = [];
  for (let i = 0; i < reps; i++) {
    for (const [phases, into] of [[FIRST, first], [ALL, all]] as const) {
      const t0 = Date.now();
      const r = await runSandbox({ analysisId: `bench-phases-${process.pid}-${i}-${phases.length}`, staged, phases: [...phases], logger: opts.logger, outDir: opts.outDir, limits: { graceMs: 1000 } });
      for (const p of r.phases) if (p.status !== 'completed') throw new Error(`phases-added ${p.name}: ${p.status} ${p.reason ?? ''} ${p.stderrTail}`);
      into.push(Date.now() - t0);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const firstMs = median(first);
  const allMs = median(all);
  return { firstMs, allMs, addedMs: allMs - firstMs };
}
