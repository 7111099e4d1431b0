// Sandbox overhead: the traced install+import of a staged package (esbuild: it has an install
// script that runs its binary) divided by the same two phases run through the same harness with
// nothing recorded, under each tracer (eBPF; strace in the SANDBOX_TRACE_MODE, and its other modes
// with BENCH_ALL_MODES=1), interleaved; and the fixed cost of a sandbox.
// Both sides of the ratio time the same span: each phase's durationMs as the phase driver
// (image/bin/phase.cjs) measures it, login session and waits after the command included. The
// baseline ("harness, nothing recorded") runs the same container setup, driver and marks as the
// eBPF run with the tracer scoped to a uid nobody has (SandboxOptions.recordTrace false), so the
// ratio is what tracing costs. Until December 2026 the baseline was the two commands under a bare
// `su -s /bin/sh -c` timed inside the container: that span left out the harness (~250 ms), which
// the ratio then charged to the tracer. It is still printed ("plain su") with each tracer's ratio
// to it, so the harness's own cost stays visible.
// Prints figures, asserts nothing. Last lines: `sandbox-cold: <N> ms` (a sandbox and its sinkhole
// made for the analysis, until the first phase could run), `sandbox-prepare: <N> ms` (the sandbox
// alone opened with the staged project), `phases-added: <N> ms` (what execute, idle and next-login
// add to a small benign package), `tracer: <name>` (what SANDBOX_TRACER picks here),
// `sandbox-overhead: <N>x` (that tracer's ratio to the harness baseline) and `sandbox-fixed: <N> ms`
// (taking a pair from a warm pool and staging the project in it, until the first phase could run).
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Workspace packages resolve to their TypeScript sources only under the `source` condition.
if (!process.execArgv.some((a) => a.includes('conditions=source') || a === '-C')) {
  const r = spawnSync(process.execPath, ['--conditions=source', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const { makeWarmPair } = await import('@vetbox/pipeline');
type WarmPair = import('@vetbox/pipeline').WarmPair;
const { Sandbox, WarmPool, runSandbox, phaseCommand, ensureSandboxImage, selectTracer, DockerRuntime, appProject } = await import('@vetbox/sandbox');
const { fetchNpm, stage: stageArtifact } = await import('@vetbox/fetch');
const { REPO_ROOT, loadEnv } = await import('@vetbox/config');
const { report, summarize } = await import('./harness.js');
const { phasesAdded } = await import('./lib/phases-added.js');
type StagedPackage = import('@vetbox/contracts').StagedPackage;

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const PKG = process.env.BENCH_SANDBOX_PACKAGE ?? 'esbuild@0.24.0';
const [name, version] = [PKG.slice(0, PKG.lastIndexOf('@')), PKG.slice(PKG.lastIndexOf('@') + 1)];

/**
 * Staged as an analysis stages it (fetch: the app project's lockfile and links, the package's
 * tarballs in a staged npm cache, nothing unpacked on the host); kept between runs.
 */
async function stage(): Promise<StagedPackage> {
  const root = path.join(REPO_ROOT, 'bench', 'out', 'sandbox-stage', PKG.replace(/[^a-z0-9.@-]/gi, '_'));
  const saved = path.join(root, 'staged.json');
  if (existsSync(saved)) {
    const staged = JSON.parse(readFileSync(saved, 'utf8')) as StagedPackage;
    if (existsSync(staged.dir)) return staged;
  }
  const artifact = await fetchNpm(name, version);
  const staged = await stageArtifact(artifact, root, { npmProject: appProject() });
  writeFileSync(saved, JSON.stringify(staged));
  return staged;
}

/** The two commands alone under `su`, same user and image, timed inside the container (no harness). */
async function plainRun(staged: StagedPackage, analysisId: string): Promise<number> {
  // tracer 'strace': no eBPF session on this container (strace only wraps phases; exec is untraced).
  const sandbox = await Sandbox.open({ analysisId, workdirFrom: staged.dir, logger: quiet, tracer: 'strace' });
  try {
    const quote = (argv: string[]) => argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const script = `cd "$1" && s=$(date +%s%N) && ${quote(phaseCommand('install', staged))} >/dev/null 2>&1; ${quote(phaseCommand('import', staged))} >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))`;
    const r = await sandbox.exec(['su', '-s', '/bin/sh', sandbox.identity.user, '-c', `${script}`, '--', 'bench', sandbox.identity.workdir]);
    return Number(r.stdout.toString().trim());
  } finally {
    await sandbox.close();
  }
}

type Variant = 'ebpf' | 'full' | 'seccomp' | 'lean';
/** The same phases through the same harness as under eBPF, with nothing recorded: the ratios' baseline. */
async function harnessRun(staged: StagedPackage, analysisId: string): Promise<number> {
  const outDir = path.join(REPO_ROOT, 'bench', 'out', 'sandbox-traces', 'harness');
  const r = await runSandbox({ analysisId, staged, tracer: 'ebpf', recordTrace: false, phases: ['install', 'import'], logger: quiet, outDir, limits: { graceMs: 1000 } });
  for (const p of r.phases) if (p.status !== 'completed') throw new Error(`harness ${p.name}: ${p.status} ${p.reason ?? ''} ${p.stderrTail}`);
  // Its session holds the loader's own records only (a few hundred bytes; a recorded run ~1.3 MB).
  if (r.session === undefined || statSync(r.session.path).size > 4096) throw new Error('the harness baseline was not scoped out of the tracer');
  return r.phases.reduce((sum, p) => sum + p.durationMs, 0);
}

/** Events the eBPF tracer lost over the whole run (the ring buffer is sized so this stays 0). */
let ebpfLost = 0;

async function tracedRun(staged: StagedPackage, analysisId: string, variant: Variant): Promise<number> {
  const outDir = path.join(REPO_ROOT, 'bench', 'out', 'sandbox-traces', variant);
  const tracer = variant === 'ebpf' ? 'ebpf' : 'strace';
  const traceMode = variant === 'ebpf' ? undefined : variant;
  const r = await runSandbox({ analysisId, staged, tracer, traceMode, phases: ['install', 'import'], logger: quiet, outDir, limits: { graceMs: 1000 } });
  for (const p of r.phases) if (p.status !== 'completed') throw new Error(`${variant} ${p.name}: ${p.status} ${p.reason ?? ''} ${p.stderrTail}`);
  ebpfLost += r.sandbox.tracer?.lostEvents ?? 0;
  return r.phases.reduce((sum, p) => sum + p.durationMs, 0);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  await ensureSandboxImage(new DockerRuntime({ logger: quiet }), { build: true });
  const staged = await stage();
  // Interleaved repetitions (median) so a burst of load on a shared machine skews all alike.
  const reps = Math.max(1, Number(process.env.BENCH_REPS ?? 5));
  const mode = loadEnv().SANDBOX_TRACE_MODE;
  const variants: Variant[] = process.env.BENCH_ALL_MODES === '1' ? ['ebpf', 'seccomp', 'lean', 'full'] : ['ebpf', mode];
  const plain: number[] = [];
  const harness: number[] = [];
  const traced = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  const fixed: number[] = [];
  const coldMs: number[] = [];
  const pairRoot = path.join(REPO_ROOT, 'bench', 'out', 'sandbox-pairs');
  const pool = new WarmPool<WarmPair>({ size: 1, logger: quiet, make: (label) => makeWarmPair(label, { logger: quiet, workRoot: pairRoot }) });
  pool.start();
  const prepare: number[] = [];
  for (let i = 0; i < reps; i++) {
    const id = (what: string) => `bench-sandbox-${what}-${process.pid}-${i}`;
    plain.push(await plainRun(staged, id('plain')));
    harness.push(await harnessRun(staged, id('harness')));
    for (const v of variants) traced.get(v)!.push(await tracedRun(staged, id(v), v));
    // Cold: the pair made for the analysis (what SANDBOX_POOL_SIZE=0 pays), then the warm take.
    await pool.whenIdle(1);
    const t0 = Date.now();
    const cold = await makeWarmPair(id('cold'), { logger: quiet, workRoot: pairRoot });
    await cold.sandbox.adopt({ analysisId: id('cold'), workdirFrom: staged.dir, appProject: true });
    coldMs.push(Date.now() - t0);
    await cold.discard();
    await pool.whenIdle(1);
    const t2 = Date.now();
    const warm = pool.take();
    if (warm === undefined) throw new Error('the warm pool is empty');
    await warm.sandbox.adopt({ analysisId: id('fixed'), workdirFrom: staged.dir, appProject: true });
    fixed.push(Date.now() - t2);
    await warm.discard();
    pool.release(warm);
    // Refilled here, not during the next repetition's timed runs.
    await pool.whenIdle(1);
    // What an analysis pays before the package runs: create, start, copy the staged project in, set up.
    const t1 = Date.now();
    const opened = await Sandbox.open({ analysisId: id('prepare'), workdirFrom: staged.dir, appProject: true, logger: quiet, outDir: path.join(REPO_ROOT, 'bench', 'out', 'sandbox-traces', 'prepare') });
    prepare.push(Date.now() - t1);
    await opened.close();
  }
  const label = (v: Variant) => (v === 'ebpf' ? 'traced eBPF' : `traced strace ${v}`);
  report('sandbox', [summarize('plain su install+import', plain), summarize('harness, nothing recorded', harness), ...variants.map((v) => summarize(label(v), traced.get(v)!)), summarize('warm pool take → ready', fixed), summarize('cold pair → ready', coldMs), summarize('sandbox open with the staged project', prepare)]);
  const p = median(plain);
  const h = median(harness);
  const ratio = (v: Variant) => median(traced.get(v)!) / h;
  const load = os.loadavg()[0].toFixed(1);
  console.log(`package: ${PKG} (install + import), median of ${reps} interleaved runs; load average ${load} on ${os.cpus().length} CPUs`);
  console.log(`plain su (the commands alone, no harness): ${p} ms`);
  console.log(`harness, nothing recorded (the baseline):  ${h} ms  (harness ${h - p} ms over plain su)`);
  for (const v of variants) console.log(`${label(v).padEnd(24)} ${median(traced.get(v)!)} ms  (${ratio(v).toFixed(2)}x the baseline; ${(median(traced.get(v)!) / p).toFixed(2)}x plain su)`);
  console.log(`eBPF events lost over all runs: ${ebpfLost}`);
  await pool.drain();
  console.log(`sandbox-cold: ${median(coldMs)} ms`);
  console.log(`sandbox-prepare: ${median(prepare)} ms`);
  const added = await phasesAdded(runSandbox, path.join(REPO_ROOT, 'bench', 'out'), reps, { logger: quiet, outDir: path.join(REPO_ROOT, 'bench', 'out', 'sandbox-traces', 'phases') });
  console.log(`small benign package, whole sandbox run: install+import ${added.firstMs} ms, all five phases ${added.allMs} ms`);
  console.log(`phases-added: ${added.addedMs} ms`);
  const chosen = await selectTracer(quiet);
  const inUse: Variant = chosen.name === 'ebpf' ? 'ebpf' : mode;
  console.log(`tracer: ${chosen.name}${chosen.note ? ` (${chosen.note})` : ''}`);
  console.log(`sandbox-overhead: ${(traced.has(inUse) ? ratio(inUse) : NaN).toFixed(2)}x`);
  console.log(`sandbox-fixed: ${median(fixed)} ms`);
}

await main();
