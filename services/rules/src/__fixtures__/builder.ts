import {
  emptyBehavior,
  type Behavior,
  type CanaryReport,
  type Connection,
  type Ecosystem,
  type FileAccess,
  type PhaseName,
  type ProcessEntry,
  type SandboxInfo,
} from '@vetbox/contracts';
import type { EvaluateInput } from '../context.js';

/** A randomized-looking sandbox layout, as the sandbox service reports it. */
export const HOME = '/home/vb-u7x2';
export const WORKDIR = `${HOME}/project`;
export const PKG = 'demo-pkg';
export const PKG_DIR = `${WORKDIR}/node_modules/${PKG}`;

export function sandboxInfo(overrides: Partial<SandboxInfo> = {}): SandboxInfo {
  return {
    image: 'vetbox-sandbox:test',
    hostname: 'sbx-4f2a',
    user: 'vb-u7x2',
    home: HOME,
    workdir: WORKDIR,
    packageDirs: [PKG_DIR],
    network: 'sinkhole',
    ...overrides,
  };
}

type ProcOpts = Partial<Omit<ProcessEntry, 'pid' | 'argv'>>;
type FileOpts = Partial<Omit<FileAccess, 'pid' | 'path' | 'op'>>;

/**
 * Builds Behavior the way the trace parser emits it: npm as a housekeeping root, lifecycle
 * scripts as `sh -c <script>` children that are package code, file and network records by pid.
 */
export class BehaviorBuilder {
  readonly behavior: Behavior = emptyBehavior();
  private nextPid = 100;
  private clock = 1;
  phase: PhaseName = 'install';

  inPhase(phase: PhaseName): this {
    this.phase = phase;
    return this;
  }

  private tick(): number {
    this.clock += 5;
    return this.clock;
  }

  process(argv: string[], opts: ProcOpts = {}): number {
    const pid = this.nextPid++;
    this.behavior.processes.push({
      pid,
      ppid: null,
      phase: this.phase,
      argv,
      cwd: PKG_DIR,
      startMs: this.tick(),
      endMs: this.clock + 50,
      exit: { code: 0, signal: null },
      ...opts,
    });
    return pid;
  }

  /** The package manager itself: `npm rebuild --foreground-scripts`, flagged housekeeping. */
  npm(): number {
    return this.process(['npm', 'rebuild', '--foreground-scripts'], { housekeeping: true, cwd: WORKDIR });
  }

  /** A lifecycle script as npm runs it: `sh -c <script>`, a child of npm, package code. */
  lifecycle(script: string, npmPid = this.npm()): number {
    return this.process(['sh', '-c', script], { ppid: npmPid });
  }

  child(parent: number, argv: string[], opts: ProcOpts = {}): number {
    return this.process(argv, { ppid: parent, ...opts });
  }

  file(pid: number, op: FileAccess['op'], path: string, opts: FileOpts = {}): number {
    this.behavior.files.push({ phase: this.phase, pid, path, op, result: 'ok', tMs: this.tick(), ...opts });
    return this.behavior.files.length - 1;
  }

  read(pid: number, path: string, opts: FileOpts = {}): number {
    return this.file(pid, 'read', path, opts);
  }

  write(pid: number, path: string, opts: FileOpts = {}): number {
    return this.file(pid, 'write', path, opts);
  }

  dns(name: string, pid?: number): number {
    this.behavior.network.dns.push({ phase: this.phase, name, type: 'A', pid, tMs: this.tick() });
    return this.behavior.network.dns.length - 1;
  }

  connect(pid: number, address: string, port: number, opts: Partial<Connection> = {}): number {
    this.behavior.network.connections.push({
      phase: this.phase,
      pid,
      protocol: 'tcp',
      family: 'inet',
      syscall: 'connect',
      address,
      port,
      result: 'EINPROGRESS',
      tMs: this.tick(),
      ...opts,
    });
    return this.behavior.network.connections.length - 1;
  }

  http(host: string, method: string, path: string, body = '', pid?: number): number {
    this.behavior.network.http.push({
      phase: this.phase,
      method,
      host,
      path,
      headers: { host },
      bodyPreview: body,
      bodyBytes: body.length,
      pid,
    });
    return this.behavior.network.http.length - 1;
  }

  tls(sni: string, pid?: number): number {
    this.behavior.network.tls.push({ phase: this.phase, sni, pid });
    return this.behavior.network.tls.length - 1;
  }

  syscalls(counts: Record<string, number>): this {
    this.behavior.syscallCounts[this.phase] = { ...(this.behavior.syscallCounts[this.phase] ?? {}), ...counts };
    return this;
  }

  build(): Behavior {
    return this.behavior;
  }
}

export interface InputOptions {
  name?: string;
  ecosystem?: Ecosystem;
  canaries?: CanaryReport[];
  sandbox?: Partial<SandboxInfo>;
  /** Hosts the package's metadata declares (repository, homepage, binary host). */
  declaredHosts?: string[];
  registryHosts?: string[];
  /** Phases that hit their wall-clock limit (status error_timeout). */
  timedOut?: PhaseName[];
}

export function evaluateInput(behavior: Behavior, opts: InputOptions = {}): EvaluateInput {
  return {
    package: {
      ecosystem: opts.ecosystem ?? 'npm',
      name: opts.name ?? PKG,
      version: '1.0.0',
      sha256: 'a'.repeat(64),
      source: 'upload',
      ...(opts.declaredHosts ? { declaredHosts: opts.declaredHosts } : {}),
    },
    behavior,
    canaries: opts.canaries ?? [],
    sandbox: sandboxInfo(opts.sandbox),
    phases: [
      { name: 'install', status: 'completed', exitCode: 0, durationMs: 1200, stdoutTail: '', stderrTail: '' },
      { name: 'import', status: 'completed', exitCode: 0, durationMs: 300, stdoutTail: '', stderrTail: '' },
    ].map((p) => (opts.timedOut?.includes(p.name as PhaseName) ? { ...p, status: 'error_timeout' as const, exitCode: null } : p)),
    registryHosts: opts.registryHosts,
  };
}

/** Housekeeping every npm run does: reading its config, caching, logging. */
export function npmHousekeeping(b: BehaviorBuilder, npmPid: number): void {
  b.read(npmPid, `${HOME}/.npmrc`);
  b.read(npmPid, `${WORKDIR}/package.json`);
  b.write(npmPid, `${HOME}/.npm/_logs/2026-11-26T21_00_00_000Z-debug-0.log`);
  b.write(npmPid, `${WORKDIR}/node_modules/.package-lock.json`);
  b.file(npmPid, 'chmod', `${PKG_DIR}/bin/cli.js`, { mode: '755' });
  b.dns('registry.npmjs.org', npmPid);
  b.connect(npmPid, '104.16.0.35', 443, { hostname: 'registry.npmjs.org' });
  b.tls('registry.npmjs.org', npmPid);
}

export type { EvaluateInput };
