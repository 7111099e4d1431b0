import { existsSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { VetboxError, type AnalysisJob, type Analyzer, type AnalyzeContext, type AnalyzeResult, type PhaseName, type RawEvidence, type Report, type StagedPackage } from '@vetbox/contracts';
import { loadEnv, type Logger } from '@vetbox/config';
import { publishHistory, stage, type PublishHistory } from '@vetbox/fetch';
import { detectLeaks } from '@vetbox/honeytokens';
import { DockerRuntime, appProject, createWorkDir, ensureSandboxImage, packageDirs, phaseReport, randomIdentity, runSandbox, type PhaseResult, type SandboxLimits, type SandboxRunResult, type SandboxIdentity, type SandboxRuntime, type TracerSetting, type WarmPool, type LaterPhaseSettings } from '@vetbox/sandbox';
import { applyTriggers, buildBehavior, EbpfSession, type BuildBehaviorInput, type PhasedEvents } from '@vetbox/behavior';
import { checkTyposquat, contentSelector } from '@vetbox/rules';
import { startSinkhole, type CannedResponse } from '@vetbox/sinkhole';
import { staticPass } from '@vetbox/static';
import { acquire } from './acquire.js';
import { judge, withMachineLeaks } from './judge.js';
import { createPairPool, type WarmPair } from './pool.js';
import { canariesFor, workstationOptions } from './workstation.js';
import { ANALYZER_VERSION } from './version.js';

export interface PipelineOptions {
  runtime?: SandboxRuntime;
  /** Sandbox (and sinkhole) image; default: the current tag, which must exist (`npm run setup`). */
  image?: string;
  /** Where per-analysis work directories are made; default DATA_DIR/work. Always cleaned up. */
  workRoot?: string;
  registryUrl?: string;
  pypiUrl?: string;
  limits?: Partial<SandboxLimits>;
  /** Default: SANDBOX_TRACER (auto: eBPF when it loads, else strace). */
  tracer?: TracerSetting;
  /** Time boxes and clock of execute, idle and next-login (tests keep them short). */
  later?: Partial<LaterPhaseSettings>;
  /** Canned sinkhole answers (tests: a stage-2 payload for a downloader). */
  canned?: CannedResponse[];
  logger?: Logger;
}

/** Progress percent at the start of each stage the pipeline reports. */
const PROGRESS = { fetch: 2, install: 15, import: 35, execute: 45, idle: 55, 'next-login': 65, parse: 75, rules: 90 } as const;

/**
 * The whole analysis of one artifact: fetch (host, no package code) → stage → sinkhole +
 * canaries → install and import traced in the sandbox → behavior → leak detection → rules →
 * report. Everything it creates (containers, the sinkhole, work files) is removed on every path;
 * the traces and the sinkhole capture come back as raw evidence for the store.
 */
export function createAnalyzer(options: PipelineOptions = {}): Analyzer {
  // Made when a worker warms it: a CLI run or a test calling the analyzer prepares nothing ahead.
  let pool: WarmPool<WarmPair> | undefined;
  const analyzer: Analyzer = (job, ctx) => analyzeJob(job, ctx, { ...options, pool });
  analyzer.warm = () => {
    pool ??= createPairPool({ runtime: options.runtime, image: options.image, workRoot: options.workRoot, limits: options.limits, tracer: options.tracer, logger: options.logger });
    pool.start();
  };
  analyzer.close = async () => {
    await pool?.drain();
    pool = undefined;
  };
  return analyzer;
}

/** The pipeline with its defaults: what the worker loads (ANALYZER_MODULE) and `vetbox analyze --local` runs. */
export const analyze: Analyzer = createAnalyzer();

async function analyzeJob(job: AnalysisJob, ctx: AnalyzeContext, options: PipelineOptions & Pick<DetonateOptions, 'pool'>): Promise<AnalyzeResult> {
  const env = loadEnv();
  const { signal } = ctx;
  const workDir = await createWorkDir(options.workRoot ?? path.join(env.DATA_DIR, 'work'), `${safeName(job.analysisId)}-`, job.analysisId);
  try {
    ctx.onStage('fetch', PROGRESS.fetch);
    const registryUrl = options.registryUrl ?? env.NPM_REGISTRY_URL;
    const artifact = await acquire(job, {
      downloadDir: path.join(workDir, 'download'),
      registryUrl,
      pypiUrl: options.pypiUrl ?? env.PYPI_URL,
      signal,
    });
    const staged = await stage(artifact, workDir, { registryUrl, pypiUrl: options.pypiUrl ?? env.PYPI_URL, signal, npmProject: appProject() });
    throwIfAborted(signal);
    const history = await lookalikeHistory(artifact, { registryUrl, pypiUrl: options.pypiUrl ?? env.PYPI_URL, signal }, options.logger);

    return await detonate(staged, { ...options, analysisId: job.analysisId, phases: job.phases, signal, onStage: ctx.onStage, baseline: ctx.baseline, history });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * A registry package named like a popular one: when its name and this version were published
 * (a name long established is not squatting). Metadata only; a lookup failure leaves it out.
 */
async function lookalikeHistory(
  artifact: { ecosystem: StagedPackage['ecosystem']; name: string; version: string; source: StagedPackage['source'] },
  opts: { registryUrl?: string; pypiUrl?: string; signal?: AbortSignal },
  logger?: Logger,
): Promise<PublishHistory | undefined> {
  if (artifact.source !== 'registry' || !checkTyposquat(artifact.ecosystem, artifact.name)) return undefined;
  try {
    return await publishHistory(artifact.ecosystem, artifact.name, artifact.version, opts);
  } catch (err) {
    logger?.warn({ err: String(err), name: artifact.name }, 'publish history lookup failed');
    return undefined;
  }
}

export interface DetonateOptions extends PipelineOptions {
  analysisId: string;
  phases?: PhaseName[];
  signal?: AbortSignal;
  onStage?: AnalyzeContext['onStage'];
  /** The previous version's report: its diff is stored and judged (`new-behavior`). */
  baseline?: Report;
  /** The workstation the sandbox plays (default: a random one); tests pin it to compare runs. */
  identity?: SandboxIdentity;
  /** When the package's name and version were published (see lookalikeHistory). */
  history?: PublishHistory;
  /** Sandbox + sinkhole pairs prepared ahead (createAnalyzer's); empty or absent: made here. */
  pool?: WarmPool<WarmPair>;
}

/**
 * The part of an analysis after staging: sinkhole + canaries → install and import traced in the
 * sandbox → behavior → leak detection → rules → report. Tests that build staged packages by hand
 * detonate them exactly as production does. Containers, the sinkhole and the trace directory are
 * removed on every path; the staged directory stays the caller's.
 */
export async function detonate(staged: StagedPackage, opts: DetonateOptions): Promise<AnalyzeResult> {
  const env = loadEnv();
  const signal = opts.signal ?? new AbortController().signal;
  const onStage = opts.onStage ?? (() => {});
  const log = opts.logger?.child({ analysisId: opts.analysisId });
  const traceDir = await createWorkDir(opts.workRoot ?? path.join(env.DATA_DIR, 'work'), `${safeName(opts.analysisId)}-traces-`, opts.analysisId);
  let pair: WarmPair | undefined;
  try {
    const runtime = opts.runtime ?? new DockerRuntime({ socketPath: env.DOCKER_SOCKET, logger: log });
    const image = opts.image ?? (await ensureSandboxImage(runtime));
    // A pinned identity or canned answers are this analysis's own: no pooled pair has them.
    pair = opts.identity === undefined && opts.canned === undefined ? await adoptPooled(opts, staged, log) : undefined;
    const identity = pair?.identity ?? opts.identity ?? randomIdentity();
    const canaries = pair?.canaries ?? canariesFor(identity);
    const sinkhole = pair?.sinkhole ?? (await startSinkhole({ analysisId: opts.analysisId, image, runtime, persona: identity, credentials: canaries.credentials, canned: opts.canned }));
    let run: Awaited<ReturnType<typeof runSandbox>>;
    let capture: Awaited<ReturnType<typeof sinkhole.collect>>;
    try {
      run = await runSandbox({
        analysisId: opts.analysisId,
        staged,
        ...workstationOptions(identity, canaries, sinkhole),
        ...(pair ? { sandbox: pair.sandbox } : {}),
        phases: opts.phases,
        runtime,
        image,
        limits: opts.limits,
        tracer: opts.tracer,
        outDir: traceDir,
        signal,
        logger: log,
        onPhase: (phase) => onStage(phase, PROGRESS[phase]),
        later: opts.later,
        capture: contentSelector({ home: identity.home, workdir: identity.workdir, packageDirs: packageDirs(staged, identity.home, identity.workdir) }),
      });
      capture = await sinkhole.collect();
    } finally {
      await sinkhole.stop();
    }
    throwIfAborted(signal);

    onStage('parse', PROGRESS.parse);
    const traced = run.phases.filter((p) => p.trace);
    const behavior = await buildBehavior({
      ...traceInput(run),
      sandbox: run.sandbox,
      capture,
      fileChanges: run.phases.flatMap((p) => p.fileChanges),
    });
    if (run.calls.length > 0) behavior.calls = run.calls;
    if (run.contents.length > 0) behavior.contents = run.contents;
    applyTriggers(behavior, run.sandbox.clock);

    const staticAnalysis = await readStatically(staged, behavior.files, run.sandbox);
    throwIfAborted(signal);

    onStage('rules', PROGRESS.rules);
    const phases = run.phases.map(phaseReport);
    const report = judge({
      analysisId: opts.analysisId,
      analyzerVersion: ANALYZER_VERSION,
      package: {
        ecosystem: staged.ecosystem,
        name: staged.name,
        version: staged.version,
        sha256: staged.sha256,
        source: staged.source,
        size: staged.size,
        ...(staged.declaredHosts.length > 0 ? { declaredHosts: staged.declaredHosts } : {}),
        ...(staged.archiveQuirks?.length ? { archiveQuirks: staged.archiveQuirks } : {}),
        ...opts.history,
      },
      behavior,
      canaries: withMachineLeaks(detectLeaks(canaries.canaries, capture, behavior), capture, behavior, run.sandbox),
      sandbox: run.sandbox,
      phases,
      static: staticAnalysis,
      baseline: opts.baseline,
    });
    const raw: RawEvidence[] = [
      ...(await Promise.all(traced.map(async (p) => ({ kind: 'strace', phase: p.name, data: await readFile(p.trace) })))),
      ...(run.session !== undefined ? [{ kind: 'ebpf-session', phase: null, data: await readPrefix(run.session.path, RAW_SESSION_MAX_BYTES) }] : []),
      { kind: 'sinkhole-capture', phase: null, data: Buffer.from(JSON.stringify(capture)) },
    ];
    log?.info({ verdict: report.verdict, score: report.score, findings: report.findings.length, pooled: pair !== undefined }, 'analysis finished');
    return { report, raw };
  } finally {
    await rm(traceDir, { recursive: true, force: true });
    if (pair) {
      // runSandbox closed its sandbox and the sinkhole was stopped above: only its trace directory is left.
      await rm(pair.dir, { recursive: true, force: true });
      opts.pool?.release(pair);
    }
  }
}

/**
 * A pooled pair adopted for this analysis (its workdir staged), or undefined: the pool is empty
 * or not started, or the pair was lost (an engine outage removed it), and the caller creates one.
 */
async function adoptPooled(opts: DetonateOptions, staged: StagedPackage, log: Logger | undefined): Promise<WarmPair | undefined> {
  const pair = opts.pool?.take();
  if (pair === undefined) return undefined;
  try {
    await pair.sandbox.adopt({ analysisId: opts.analysisId, workdirFrom: staged.dir, appProject: staged.ecosystem === 'npm', signal: opts.signal });
    log?.info({ pool: pair.label, containerId: pair.sandbox.id }, 'adopted a pooled sandbox');
    return pair;
  } catch (err) {
    await pair.discard();
    opts.pool?.release(pair);
    if (opts.signal?.aborted) throw err;
    log?.warn({ pool: pair.label, err: String(err) }, 'pooled sandbox unusable: creating one');
    return undefined;
  }
}

/** Kept raw eBPF session: its records decode from any prefix (a cut tail is counted, not fatal). */
const RAW_SESSION_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The phases' events for the behavior model: strace gives a trace file per phase; eBPF gives one
 * session for all, whose events go to the phase whose command started their process.
 */
export function traceInput(run: SandboxRunResult): Pick<BuildBehaviorInput, 'phases' | 'session'> {
  const window = (p: PhaseResult) => ({ name: p.name, startedAtMs: p.startedAtMs, endedAtMs: p.startedAtMs + p.durationMs });
  const session = run.session;
  if (session === undefined) return { phases: run.phases.filter((p) => p.trace).map((p) => ({ ...window(p), tracePath: p.trace })) };
  // The session's marks index the commands it ran; the report's phases are the ones that ran.
  const ran = run.phases.filter((p) => session.phases.includes(p.name));
  const reader = new EbpfSession({ phaseCwd: (i) => session.cwds[i] ?? null });
  const byName = new Map(ran.map((p, i) => [p.name as string, i]));
  const route = session.phases.map((name) => byName.get(name) ?? -1);
  async function* events(): PhasedEvents {
    for await (const batch of reader.read(session!.path)) yield batch.map((e) => ({ phase: route[e.phase] ?? -1, event: e.event }));
  }
  return { phases: ran.map(window), session: events() };
}

async function readPrefix(file: string, max: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const size = Math.min(max, (await fh.stat()).size);
    const buf = Buffer.alloc(size);
    await fh.read(buf, 0, size, 0);
    return buf;
  } finally {
    await fh.close();
  }
}

/**
 * The static pass over the package's own archive (the unpacked copy when a test staged no
 * archive) and the code files the phases opened: host side, nothing runs.
 */
function readStatically(staged: StagedPackage, opened: Report['behavior']['files'], sandbox: { workdir: string; home: string }) {
  const archivePath = path.join(staged.dir, staged.archiveFile);
  const unpacked = path.join(staged.dir, 'node_modules', staged.name);
  const useDir = !existsSync(archivePath) && staged.ecosystem === 'npm' && existsSync(unpacked);
  return staticPass({
    ecosystem: staged.ecosystem,
    name: staged.name,
    ...(useDir ? { packageDir: unpacked } : { archivePath }),
    stagedDir: staged.dir,
    opened: { files: opened, workdir: sandbox.workdir, home: sandbox.home },
  });
}

function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new VetboxError('CANCELLED', `analysis aborted: ${String(signal.reason ?? 'cancelled')}`);
}

/** Analysis ids become directory names: keep them to a safe alphabet. */
function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80) || 'analysis';
}
