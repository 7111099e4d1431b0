import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_PHASES,
  PHASES,
  type CallRecord,
  type CapturedContent,
  type ClockInfo,
  type FileChange,
  type PhaseName,
  type PhaseReport,
  type SandboxInfo,
  type StagedPackage,
} from '@vetbox/contracts';
import { defaultLogger, type Logger } from './log.js';
import { ROOT_HELPERS, packageDirs, phaseCommand, pythonUserSite } from './commands.js';
import { captureContents, type CaptureSelector } from './phases/capture.js';
import { idleWindow } from './phases/clock.js';
import { againCommand, executeCommand, installRunsPackageCode, nextLoginCommand, pypiMetadataEntries, reinstallRemoves } from './phases/commands.js';
import { plantedItems } from './phases/planted.js';
import { parseCallRecords } from './phases/records.js';
import { laterPhaseSettings, type LaterPhaseSettings } from './phases/settings.js';
import type { ExecResult } from './runtime.js';
import { Sandbox, type CommandResult, type PhaseResult, type SandboxOptions, type TraceSessionFile } from './sandbox.js';

export interface RunSandboxOptions extends Omit<SandboxOptions, 'workdirFrom'> {
  staged: StagedPackage;
  /** Run in PHASES order (default: DEFAULT_PHASES). */
  phases?: PhaseName[];
  /** Called as each phase starts (progress reporting); never awaited. */
  onPhase?: (phase: PhaseName, index: number, total: number) => void;
  /** Files whose content is captured after each phase (persistence entries, dropped scripts). */
  capture?: CaptureSelector;
  /** Time boxes and clock of execute, idle and next-login (default: from the environment). */
  later?: Partial<LaterPhaseSettings>;
  /** A pooled sandbox already adopted for this analysis (`Sandbox.adopt`); default: one opened here. */
  sandbox?: Sandbox;
}

export interface SandboxRunResult {
  sandbox: SandboxInfo;
  phases: PhaseResult[];
  /** What the execute and next-login harnesses ran. */
  calls: CallRecord[];
  /** Captured content of what the phases wrote (see `capture`). */
  contents: CapturedContent[];
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

/** After the command exits, leftovers are only listed (they stay traced): a short grace does. */
const KEEP_GRACE_MS = 300;

/**
 * Detonates a staged package: one container, each phase traced, the container removed on every
 * path (success, failure, timeout, cancellation). Under eBPF, processes a phase leaves running
 * are followed through the later phases (their events stay the phase's that started them) and
 * end with the container; under strace each phase kills what it left. Package misbehaviour is
 * data in the phase results; only our own failures throw (VetboxError).
 */
export async function runSandbox(opts: RunSandboxOptions): Promise<SandboxRunResult> {
  const phases = [...(opts.phases ?? DEFAULT_PHASES)].sort((a, b) => PHASES.indexOf(a) - PHASES.indexOf(b));
  const settings = { ...laterPhaseSettings(), ...opts.later };
  const budgetEnd = Date.now() + settings.budgetMs;
  const sandbox = opts.sandbox ?? (await Sandbox.open({ ...opts, workdirFrom: opts.staged.dir, appProject: opts.staged.ecosystem === 'npm' }));
  const results: PhaseResult[] = [];
  const calls: CallRecord[] = [];
  const contents: CapturedContent[] = [];
  let clock: ClockInfo | undefined;
  try {
    let wallOffsetMs = 0;
    /** Whether the package's files were there to import (known once import was tried). */
    let importable: boolean | undefined;
    for (const [index, phase] of phases.entries()) {
      opts.onPhase?.(phase, index, phases.length);
      const left = budgetEnd - Date.now();
      if (left <= 0) {
        results.push(skipped(phase, 'the analysis budget was spent before this phase'));
        continue;
      }
      const run = (cmd: string[], records = false) =>
        sandbox.runTraced(phase, cmd, { keep: true, graceMs: sandbox.followsLeftovers ? KEEP_GRACE_MS : undefined, timeoutMs: Math.min(sandbox.phaseTimeoutMs, left), records });
      let r: CommandResult;
      if (phase === 'install') {
        r = await run(phaseCommand(phase, opts.staged));
      } else if (phase === 'import') {
        importable = (await importableFilesPresent(sandbox, opts.staged)) || (await unpackWithoutScripts(sandbox, opts.staged));
        if (!importable) {
          results.push(skipped(phase, 'install left no files to import'));
          continue;
        }
        r = await run(phaseCommand(phase, opts.staged));
      } else if (phase === 'execute') {
        if (!(importable ?? (await importableFilesPresent(sandbox, opts.staged)))) {
          results.push(skipped(phase, 'install left no files to execute'));
          continue;
        }
        r = await run(executeCommand(opts.staged, settings), true);
        calls.push(...parseCallRecords(r.records ?? '', phase));
      } else if (phase === 'idle') {
        if (!settings.idle) {
          results.push({ ...skipped(phase, 'the idle phase is off (SANDBOX_IDLE=false)'), status: 'completed' });
          continue;
        }
        ({ clock, wallOffsetMs } = await idleWindow(sandbox, settings));
        const reinstall = installRunsPackageCode(opts.staged);
        if (reinstall) await removeForReinstall(sandbox, opts.staged, opts.logger ?? defaultLogger());
        r = await run(againCommand(opts.staged, reinstall));
      } else {
        const planted = await plantedItems(sandbox, [...results.flatMap((x) => x.fileChanges)], opts.staged, sandbox.identity);
        if (planted.length === 0) {
          results.push({ ...skipped(phase, 'nothing was planted to run at the next login'), status: 'completed' });
          continue;
        }
        const spec = await sandbox.handToUser(JSON.stringify({ items: planted }));
        r = await run(nextLoginCommand(spec, settings), true);
        // The harness ran on the package's clock (ahead since idle): records go back to real time.
        calls.push(...parseCallRecords(r.records ?? '', phase, wallOffsetMs));
      }
      if (opts.capture) {
        // The same content rewritten later (the idle phase installs again) is one capture.
        const known = new Set(contents.map((c) => `${c.path}\u0000${c.sha256}`));
        for (const c of await captureContents(sandbox, phase, r.fileChanges, opts.capture)) if (!known.has(`${c.path}\u0000${c.sha256}`)) contents.push(c);
      }
      const { records: _records, ...kept } = r;
      results.push({ ...kept, name: phase });
    }
  } finally {
    await sandbox.close();
  }
  // A trace the sandbox could not hand back (it died) is no trace.
  for (const r of results) if (r.trace && !existsSync(r.trace)) r.trace = '';
  // After close: the eBPF session is complete and its final counters known.
  return {
    sandbox: {
      ...sandbox.info,
      packageDirs: packageDirs(opts.staged, sandbox.identity.home, sandbox.identity.workdir),
      ...(clock ? { clock } : {}),
    },
    phases: results,
    calls,
    contents,
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
 * Takes the package out of the project (as root, untraced: no package code runs) so the idle
 * phase's `npm install` installs it again and runs its scripts as the install phase did. Should
 * the package stay, npm finds it installed and runs nothing.
 */
async function removeForReinstall(sandbox: Sandbox, staged: StagedPackage, log: Logger): Promise<void> {
  for (const dir of [...reinstallRemoves(staged, sandbox.identity.workdir), ...(await installedMetadata(sandbox, staged))]) {
    const r = await removeUserEntry(sandbox, dir);
    if (r.exitCode !== 0) log.warn({ dir, stderr: r.stderr.toString().slice(-500) }, 'the idle phase could not take the package out before installing it again');
  }
}

/** PyPI: the distribution's installed metadata in the user's site-packages (pypiMetadataEntries). */
async function installedMetadata(sandbox: Sandbox, staged: StagedPackage): Promise<string[]> {
  if (staged.ecosystem !== 'pypi') return [];
  const site = pythonUserSite(sandbox.identity.home);
  const r = await sandbox.exec(['ls', '-A', site]);
  const entries = r.exitCode === 0 ? r.stdout.toString().split('\n').filter(Boolean) : [];
  return pypiMetadataEntries(staged.name, entries).map((e) => `${site}/${e}`);
}

/**
 * Removes an entry of the user's directories as the container's root, which has no DAC_OVERRIDE
 * (SANDBOX_CAPS) and so takes each directory it empties (CHOWN) and hands the parent back.
 * image/bin/remove-tree.py does it through descriptors opened without following links: the
 * package's leftover processes may have swapped any part of the path for a link to a system
 * directory, and a path-based `chown`/`rm` would then give that directory to the user.
 */
export function removeUserEntry(sandbox: Sandbox, absolutePath: string): Promise<ExecResult> {
  return sandbox.exec(['python3', `${ROOT_HELPERS}/remove-tree.py`, absolutePath]);
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
