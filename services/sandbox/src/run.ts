import { DEFAULT_PHASES, PHASES, type PhaseName, type PhaseReport, type SandboxInfo, type StagedPackage } from '@vetbox/contracts';
import { packageDirs, phaseCommand, pythonUserSite } from './commands.js';
import { Sandbox, type CommandResult, type PhaseResult, type SandboxOptions, type TraceSessionFile } from './sandbox.js';

export interface RunSandboxOptions extends Omit<SandboxOptions, 'workdirFrom'> {
  staged: StagedPackage;
  /** Run in PHASES order (default: DEFAULT_PHASES). */
  phases?: PhaseName[];
  /** Called as each phase starts (progress reporting); never awaited. */
  onPhase?: (phase: PhaseName, index: number, total: number) => void;
}

export interface SandboxRunResult {
  sandbox: SandboxInfo;
  phases: PhaseResult[];
  /** eBPF: the one trace of every phase (strace: each phase's `trace` file instead). */
  session?: TraceSessionFile;
}

/** A phase as the report shows it: the host-side details (trace path, file changes) stay out. */
export function phaseReport(p: PhaseResult): PhaseReport {
  return {
    name: p.name,
    status: p.status,
    exitCode: p.exitCode,
    durationMs: p.durationMs,
    stdoutTail: p.stdoutTail,
    stderrTail: p.stderrTail,
    ...(p.reason ? { reason: p.reason } : {}),
  };
}

/**
 * Detonates a staged package: one container, each phase traced separately, the container removed
 * on every path (success, failure, timeout, cancellation). Package misbehaviour is data in the
 * phase results; only our own failures throw (VetboxError).
 */
export async function runSandbox(opts: RunSandboxOptions): Promise<SandboxRunResult> {
  const phases = [...(opts.phases ?? DEFAULT_PHASES)].sort((a, b) => PHASES.indexOf(a) - PHASES.indexOf(b));
  const sandbox = await Sandbox.open({ ...opts, workdirFrom: opts.staged.dir, appProject: opts.staged.ecosystem === 'npm' });
  const results: PhaseResult[] = [];
  try {
    for (const [index, phase] of phases.entries()) {
      opts.onPhase?.(phase, index, phases.length);
      if (phase !== 'install' && phase !== 'import') {
        results.push(skipped(phase, 'this analyzer does not run this phase yet'));
        continue;
      }
      if (phase === 'import' && !(await importableFilesPresent(sandbox, opts.staged)) && !(await unpackWithoutScripts(sandbox, opts.staged))) {
        results.push(skipped(phase, 'install left no files to import'));
        continue;
      }
      const r = await sandbox.runTraced(phase, phaseCommand(phase, opts.staged));
      results.push({ ...r, name: phase });
    }
  } finally {
    await sandbox.close();
  }
  // After close: the eBPF session is complete and its final counters known.
  return {
    sandbox: { ...sandbox.info, packageDirs: packageDirs(opts.staged, sandbox.identity.home, sandbox.identity.workdir) },
    phases: results,
    ...(sandbox.session !== undefined ? { session: sandbox.session } : {}),
  };
}

/** Import runs even when install reported errors, as long as the package's files are there. */
async function importableFilesPresent(sandbox: Sandbox, staged: StagedPackage): Promise<boolean> {
  const dir = staged.ecosystem === 'npm' ? `${sandbox.identity.workdir}/node_modules/${staged.name}` : pythonUserSite(sandbox.identity.home);
  const r = await sandbox.exec(['sh', '-c', 'ls -A "$1" 2>/dev/null | grep -q .', 'check', dir]);
  return r.exitCode === 0;
}

/**
 * npm rolls a package back when its install script fails, leaving nothing to import. A developer
 * retries with `--ignore-scripts`; so does the harness (untraced: npm only unpacks from the
 * cache, no package code runs), so import-time code is still observed.
 */
async function unpackWithoutScripts(sandbox: Sandbox, staged: StagedPackage): Promise<boolean> {
  if (staged.ecosystem !== 'npm') return false;
  const r = await sandbox.exec(['npm', 'install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { user: sandbox.identity.user, cwd: sandbox.identity.workdir });
  return r.exitCode === 0 && (await importableFilesPresent(sandbox, staged));
}

function skipped(name: PhaseName, reason: string): PhaseResult {
  return { name, status: 'error_other', reason, exitCode: null, durationMs: 0, startedAtMs: Date.now(), stdoutTail: '', stderrTail: '', trace: '', traceBytes: 0, fileChanges: [], leftoverProcesses: [] };
}

export interface RunInSandboxOptions extends Omit<SandboxOptions, 'workdirFrom'> {
  /** argv, or a string for `sh -c`. Runs as the sandbox user, traced. */
  cmd: string[] | string;
  /** Host directory copied into the workdir first. */
  workdirFrom?: string;
  timeoutMs?: number;
  graceMs?: number;
}

export interface RunInSandboxResult extends CommandResult {
  sandbox: Omit<SandboxInfo, 'packageDirs'>;
  session?: TraceSessionFile;
}

/**
 * Runs an arbitrary command in a throwaway sandbox with the same isolation as an analysis
 * (same image, capabilities, limits, network modes, labels, cleanup). For isolation tests.
 */
export async function runInSandbox(opts: RunInSandboxOptions): Promise<RunInSandboxResult> {
  const sandbox = await Sandbox.open(opts);
  let r: CommandResult;
  try {
    const cmd = typeof opts.cmd === 'string' ? ['sh', '-c', opts.cmd] : opts.cmd;
    r = await sandbox.runTraced('command', cmd, { timeoutMs: opts.timeoutMs, graceMs: opts.graceMs });
  } finally {
    await sandbox.close();
  }
  return { ...r, sandbox: sandbox.info, ...(sandbox.session !== undefined ? { session: sandbox.session } : {}) };
}
