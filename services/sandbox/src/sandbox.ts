import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { loadEnv } from '@vetbox/config';
import {
  VetboxError,
  type FileChange,
  type Persona,
  type PhaseName,
  type PhaseStatus,
  type SandboxInfo,
} from '@vetbox/contracts';
import { packArchive, type ArchiveFile } from './archive.js';
import { DockerRuntime } from './docker-runtime.js';
import { homeSkeleton, randomIdentity, type SandboxIdentity } from './identity.js';
import { sandboxImage } from './image.js';
import { limitsFromEnv, type SandboxLimits } from './limits.js';
import { defaultLogger, type Logger } from './log.js';
import { HELPERS } from './commands.js';
import { bystanderDirs } from './project.js';
import { LABEL_ANALYSIS, LABEL_WORKER, type ContainerChange, type SandboxRuntime } from './runtime.js';
import { workerId as defaultWorkerId } from './worker-id.js';

/**
 * Capabilities kept (all others dropped): strace needs SYS_PTRACE; `strace -u` and the kill of
 * leftovers need SETUID/SETGID/KILL; the root setup step chowns the home (CHOWN) and the
 * between-phase snapshot reads the user's private files (DAC_READ_SEARCH). Traced code runs as
 * an unprivileged user under no-new-privileges, so it holds none of them.
 */
export const SANDBOX_CAPS = ['SYS_PTRACE', 'SETUID', 'SETGID', 'KILL', 'CHOWN', 'DAC_READ_SEARCH'];

export const SANDBOX_UID = 1000;

/** strace flags: follow forks, epoch µs timestamps, decode fds (paths, sockets), long strings. */
export const STRACE_BASE_ARGS = ['-f', '-ttt', '-yy', '-s', '4096'];

/**
 * Faster tracing (SANDBOX_TRACE_MODE=seccomp, the default): seccomp-bpf stops only on the listed
 * syscalls. Kept: every file syscall the behavior model reads — open/exec/create/change and the
 * stat/access/readlink probes (sandbox and secret-file probes are rules) — plus a few more that
 * change files; dropped from %file: getcwd, statfs, getxattr/listxattr and the like. Then
 * processes, network, credentials, and the fd calls that show data moving over sockets (write
 * lines carry the socket's ports, which join the trace to the sinkhole) or shells wired to them.
 */
export const STRACE_SECCOMP_FILE_SYSCALLS = [
  'open', 'openat', 'openat2', 'creat', 'stat', 'lstat', 'newfstatat', 'statx', 'access', 'faccessat', 'faccessat2',
  'readlink', 'readlinkat', 'execve', 'execveat', 'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2',
  'mkdir', 'mkdirat', 'rmdir', 'chmod', 'fchmod', 'fchmodat', 'chown', 'fchown', 'fchownat', 'lchown', 'symlink',
  'symlinkat', 'link', 'linkat', 'truncate', 'mknod', 'mknodat', 'utimensat', 'mount', 'umount2', 'chroot',
  'setxattr', 'lsetxattr', 'inotify_add_watch', 'chdir', 'fchdir',
];
const SECCOMP_OTHER_SYSCALLS = [
  '%process', '%network', '%creds',
  'read', 'write', 'readv', 'writev', 'dup', 'dup2', 'dup3', 'pipe', 'pipe2', 'memfd_create', 'sendfile', 'splice',
  'ptrace', 'prctl', 'kill', 'tkill', 'tgkill', 'uname',
];
/** The stat family and readlink: ~60% of an npm/pip trace's lines, used only for probe rules. */
export const STAT_SYSCALLS = ['stat', 'lstat', 'newfstatat', 'statx', 'readlink', 'readlinkat'];
export const STRACE_SECCOMP_ARGS = ['--seccomp-bpf', '-e', `trace=${[...STRACE_SECCOMP_FILE_SYSCALLS, ...SECCOMP_OTHER_SYSCALLS].join(',')}`];
/** `lean`: seccomp without the stat family — faster, but blind to stat-based existence probes (access() probes remain). */
export const STRACE_LEAN_ARGS = [
  '--seccomp-bpf',
  '-e',
  `trace=${[...STRACE_SECCOMP_FILE_SYSCALLS.filter((c) => !STAT_SYSCALLS.includes(c)), ...SECCOMP_OTHER_SYSCALLS].join(',')}`,
];

/** strace arguments (after STRACE_BASE_ARGS) for a trace mode. */
export function straceModeArgs(mode: TraceMode): string[] {
  return mode === 'full' ? [] : mode === 'lean' ? STRACE_LEAN_ARGS : STRACE_SECCOMP_ARGS;
}

export type SandboxNetwork = { mode: 'none' } | { mode: 'container'; containerId: string };
export type TraceMode = 'full' | 'seccomp' | 'lean';

export interface HomeFile {
  /** Relative to the user's home. */
  path: string;
  content: string | Buffer;
  mode?: number;
}

export interface LeftoverProcess {
  pid: number;
  ppid: number;
  cmd: string;
}

export interface PhaseResult {
  name: PhaseName;
  status: PhaseStatus;
  exitCode: number | null;
  durationMs: number;
  /** Epoch ms. */
  startedAtMs: number;
  stdoutTail: string;
  stderrTail: string;
  reason?: string;
  /** Host path of the raw strace output ('' when the phase did not run). */
  trace: string;
  traceBytes: number;
  fileChanges: FileChange[];
  /** Processes still running when the grace period (or the deadline) ended; they were killed. */
  leftoverProcesses: LeftoverProcess[];
}

/** What a traced command inside the sandbox produced (phases and ad-hoc commands alike). */
export interface CommandResult extends Omit<PhaseResult, 'name'> {
  name: string;
}

export interface SandboxOptions {
  analysisId: string;
  network?: SandboxNetwork;
  limits?: Partial<SandboxLimits>;
  /** Extra environment of traced code (honeytoken variables). */
  env?: Record<string, string>;
  homeFiles?: HomeFile[];
  /** A CA the sandbox trusts (the sinkhole's TLS interception). */
  caCertPem?: string;
  /** Host directory copied into the workdir. */
  workdirFrom?: string;
  signal?: AbortSignal;
  runtime?: SandboxRuntime;
  image?: string;
  workerId?: string;
  /** Host directory traces are copied to (default DATA_DIR/sandbox/<analysisId>). */
  outDir?: string;
  logger?: Logger;
  identity?: SandboxIdentity;
  /** Default: SANDBOX_TRACE_MODE (seccomp). */
  traceMode?: TraceMode;
  /**
   * The workdir is the image's app project (npm: fetch staged links to its installed
   * dependencies); their files are bystanders' (SandboxInfo.bystanderDirs).
   */
  appProject?: boolean;
}

interface DriverResult {
  startedAtMs: number;
  durationMs: number;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  leftover: LeftoverProcess[];
  killed: boolean;
  oomKills: number;
  pidsMaxHits: number;
  traceBytes: number;
  stdoutTail: string;
  stderrTail: string;
  driverError?: string;
}

const CA_NAME = 'corp-proxy-ca.crt';
const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const MARKER = '@@VETBOX@@';
/** Host-side slack over the in-container deadline before the container is killed outright. */
const HOST_DEADLINE_SLACK_MS = 20_000;

/**
 * One throwaway container for one analysis. Phases run as successive traced execs in it: the
 * import phase must see what install left behind (installed files, build output), under the same
 * identity and network namespace, and creating one container per phase would cost ~0.7 s more
 * while copying state between them. Dispose (or `close()`) always removes the container.
 */
export class Sandbox implements AsyncDisposable {
  private snapshots = 0;
  private lastSnapshot = 'base';
  private baselineChanges = new Set<string>();
  private dead = false;
  private detachAbort: () => void = () => undefined;
  private reported: Pick<Persona, 'os' | 'python' | 'node' | 'npm'> = {};

  private constructor(
    readonly id: string,
    readonly identity: SandboxIdentity,
    readonly image: string,
    readonly network: SandboxNetwork,
    private readonly runtime: SandboxRuntime,
    private readonly limits: SandboxLimits,
    private readonly opts: SandboxOptions,
    private readonly log: Logger,
    private readonly outDir: string,
  ) {}

  static async open(opts: SandboxOptions): Promise<Sandbox> {
    const env = loadEnv();
    const log = opts.logger ?? defaultLogger();
    const runtime = opts.runtime ?? new DockerRuntime({ logger: log });
    const given = Object.fromEntries(Object.entries(opts.limits ?? {}).filter(([, v]) => v !== undefined)) as Partial<SandboxLimits>;
    const limits = { ...limitsFromEnv(env), ...given };
    // The trace tmpfs counts against the memory limit too: keep it to a quarter of it.
    if (given.traceMb === undefined) limits.traceMb = Math.max(16, Math.min(512, Math.floor(limits.memoryMb / 4)));
    const image = opts.image ?? sandboxImage();
    const network = opts.network ?? { mode: 'none' };
    throwIfAborted(opts.signal);
    if (!(await runtime.imageExists(image))) {
      throw new VetboxError('SANDBOX_IMAGE_MISSING', `sandbox image ${image} is missing: run \`npm run setup\` (or bash services/sandbox/image/build.sh)`);
    }
    const identity = opts.identity ?? randomIdentity();
    const id = await runtime.create({
      image,
      labels: { [LABEL_ANALYSIS]: opts.analysisId, [LABEL_WORKER]: opts.workerId ?? defaultWorkerId() },
      cmd: ['sleep', 'infinity'],
      // Docker refuses a hostname with a shared network namespace: the sinkhole container's
      // hostname is the one seen there (create it with plausibleHostname()).
      hostname: network.mode === 'none' ? identity.hostname : undefined,
      networkMode: network.mode === 'none' ? 'none' : `container:${network.containerId}`,
      capAdd: SANDBOX_CAPS,
      memoryBytes: limits.memoryMb * 1024 * 1024,
      nanoCpus: Math.round(limits.cpus * 1e9),
      pidsLimit: limits.pids,
      // No overlay quota on this engine: everything the user can write is a size-limited tmpfs,
      // so an endless writer fills its tmpfs (ENOSPC), never the host disk.
      tmpfs: {
        [identity.home]: `rw,exec,nosuid,nodev,size=${limits.diskMb}m,mode=0755`,
        '/tmp': `rw,exec,nosuid,nodev,size=${Math.max(16, Math.floor(limits.diskMb / 2))}m,mode=1777`,
        '/var/tmp': 'rw,nosuid,nodev,size=64m,mode=1777',
        '/trace': `rw,noexec,nosuid,nodev,size=${limits.traceMb}m,mode=0700`,
      },
      shmSizeBytes: 64 * 1024 * 1024,
      runtime: runtime.runtimeName,
    });
    const outDir = opts.outDir ?? path.join(env.DATA_DIR, 'sandbox', opts.analysisId);
    const sandbox = new Sandbox(id, identity, image, network, runtime, limits, opts, log, outDir);
    const onAbort = (): void => void sandbox.kill();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    sandbox.detachAbort = () => opts.signal?.removeEventListener('abort', onAbort);
    try {
      await runtime.start(id);
      await sandbox.prepare();
      if (network.mode === 'container') sandbox.identity.hostname = await runtime.inspectHostname(network.containerId);
      return sandbox;
    } catch (err) {
      opts.signal?.removeEventListener('abort', onAbort);
      await runtime.stop(id, 0).catch(() => undefined);
      await runtime.remove(id).catch((e) => log.error({ containerId: id, err: String(e) }, 'sandbox remove failed'));
      if (opts.signal?.aborted) throw new VetboxError('CANCELLED', 'analysis cancelled', { cause: err });
      throw err;
    }
  }

  /** Creates the user and its home, copies the workdir and honeytoken files, trusts the CA. */
  private async prepare(): Promise<void> {
    const { identity: id, opts } = this;
    const files: ArchiveFile[] = [
      ...homeSkeleton(id).map((f) => ({ ...f, path: `home/${f.path}` })),
      ...(opts.homeFiles ?? []).map((f) => ({ ...f, path: `home/${f.path}` })),
    ];
    if (opts.caCertPem) files.push({ path: 'ca.crt', content: opts.caCertPem });
    const dirs: Record<string, string> = opts.workdirFrom ? { work: opts.workdirFrom } : {};
    await this.runtime.copyIn(this.id, '/vetbox-in', Readable.from(packArchive(files, dirs)));
    const script = [
      'set -eu',
      `groupadd -g ${SANDBOX_UID} "$1"`,
      `useradd -u ${SANDBOX_UID} -g ${SANDBOX_UID} -M -d "$2" -s /bin/bash -c "$4" "$1"`,
      'cp -a /etc/skel/. "$2/"',
      'cp -a /vetbox-in/home/. "$2/"',
      'mkdir -p "$3"',
      'if [ -d /vetbox-in/work ]; then cp -a /vetbox-in/work/. "$3/"; fi',
      // An npm cache the host filled (scripts disabled): npm install reads it like a warm user cache.
      'if [ -d "$3/.npm-cache/_cacache" ]; then mkdir -p "$2/.npm" && rm -rf "$2/.npm/_cacache" && mv "$3/.npm-cache/_cacache" "$2/.npm/_cacache"; fi',
      'rm -rf "$3/.npm-cache"',
      `if [ -f /vetbox-in/ca.crt ]; then cp /vetbox-in/ca.crt /usr/local/share/ca-certificates/${CA_NAME} && update-ca-certificates >/dev/null 2>&1; fi`,
      'chmod 0750 "$2"',
      `chown -R ${SANDBOX_UID}:${SANDBOX_UID} "$2"`,
      'rm -rf /vetbox-in/home /vetbox-in/work /vetbox-in/ca.crt',
      // What the machine reports (written at image build): recorded in the persona.
      'cat /opt/vetbox/versions.json 2>/dev/null || true',
    ].join('\n');
    const r = await this.runtime.exec(this.id, ['sh', '-c', script, 'setup', id.user, id.home, id.workdir, id.fullName]);
    if (r.exitCode !== 0) throw new VetboxError('SANDBOX_FAILED', `sandbox setup failed: ${r.stderr.toString().slice(-2000)}`);
    this.reported = parseReported(r.stdout.toString('utf8'));
    const [, baseline] = await Promise.all([this.snapshot('save', 'base'), this.runtime.changes(this.id)]);
    this.baselineChanges = new Set(baseline.map((c) => c.path));
  }

  get info(): Omit<SandboxInfo, 'packageDirs'> {
    return {
      image: this.image,
      hostname: this.identity.hostname,
      user: this.identity.user,
      home: this.identity.home,
      workdir: this.identity.workdir,
      network: this.network.mode === 'none' ? 'none' : 'sinkhole',
      persona: { ...this.identity, ...this.reported },
      ...(this.opts.appProject ? { bystanderDirs: bystanderDirs(this.identity.workdir, []) } : {}),
    };
  }

  /** Environment of traced code: a login-like shell environment, CA trust, honeytokens. */
  private traceEnv(): Record<string, string> {
    const { identity: id } = this;
    const ca: Record<string, string> = this.opts.caCertPem
      ? { NODE_EXTRA_CA_CERTS: `/usr/local/share/ca-certificates/${CA_NAME}`, SSL_CERT_FILE: SYSTEM_BUNDLE, REQUESTS_CA_BUNDLE: SYSTEM_BUNDLE, PIP_CERT: SYSTEM_BUNDLE }
      : {};
    return {
      PATH: `${id.home}/.local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      HOME: id.home,
      USER: id.user,
      LOGNAME: id.user,
      SHELL: '/bin/bash',
      LANG: 'C.UTF-8',
      TERM: 'xterm-256color',
      PWD: id.workdir,
      ...ca,
      ...this.opts.env,
    };
  }

  /**
   * Runs `cmd` as the sandbox user under strace; `name` names the trace file. Never throws for
   * what the traced code does (that is the result); throws VetboxError for our own failures.
   */
  async runTraced(name: string, cmd: string[], opts: { cwd?: string; timeoutMs?: number; graceMs?: number } = {}): Promise<CommandResult> {
    throwIfAborted(this.opts.signal);
    const tracePath = `/trace/${name}.strace`;
    const timeoutMs = opts.timeoutMs ?? this.limits.phaseTimeoutMs;
    if (this.dead) return notRun(name, 'error_analysis', 'the sandbox container is no longer running');
    const spec = {
      user: this.identity.user,
      uid: SANDBOX_UID,
      gid: SANDBOX_UID,
      cwd: opts.cwd ?? this.identity.workdir,
      cmd,
      env: this.traceEnv(),
      timeoutMs,
      graceMs: opts.graceMs ?? this.limits.graceMs,
      tracePath,
      straceArgs: [...STRACE_BASE_ARGS, ...straceModeArgs(this.opts.traceMode ?? loadEnv().SANDBOX_TRACE_MODE)],
      tailBytes: 8192,
    };
    const hostStart = Date.now();
    const exec = this.runtime.exec(this.id, ['node', `${HELPERS}/phase.cjs`, Buffer.from(JSON.stringify(spec)).toString('base64')], { maxOutputBytes: 256 * 1024 });
    let timer: NodeJS.Timeout | undefined;
    const hostDeadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), timeoutMs + HOST_DEADLINE_SLACK_MS);
    });
    let outcome: Awaited<typeof exec> | 'deadline';
    try {
      outcome = await Promise.race([exec, hostDeadline]);
    } catch (err) {
      throwIfAborted(this.opts.signal);
      throw err;
    } finally {
      clearTimeout(timer);
    }
    throwIfAborted(this.opts.signal);
    if (outcome === 'deadline') {
      // The in-container driver missed its own deadline: kill the whole container.
      this.log.warn({ containerId: this.id, name }, 'sandbox unresponsive past the deadline: killing it');
      await this.kill();
      exec.catch(() => undefined);
      return { ...notRun(name, 'error_timeout', 'sandbox unresponsive past the phase deadline; container killed'), startedAtMs: hostStart, durationMs: Date.now() - hostStart };
    }
    const driver = parseDriverOutput(outcome.stdout.toString('utf8'));
    if (!driver || driver.driverError) {
      const why = driver?.driverError ?? `no result from the phase driver (exit ${outcome.exitCode}): ${outcome.stderr.toString('utf8').slice(-1000)}`;
      this.dead = !(await this.isRunning());
      return { ...notRun(name, 'error_analysis', why), startedAtMs: hostStart, durationMs: Date.now() - hostStart };
    }
    const [trace, fileChanges] = await Promise.all([this.copyTraceOut(name, tracePath), this.fileChanges(name)]);
    return {
      name,
      ...statusOf(driver, this.limits.traceMb),
      exitCode: driver.exitCode ?? (driver.signal ? 128 + signalNumber(driver.signal) : null),
      durationMs: driver.durationMs,
      startedAtMs: driver.startedAtMs,
      stdoutTail: driver.stdoutTail,
      stderrTail: driver.stderrTail,
      trace,
      traceBytes: driver.traceBytes,
      fileChanges: fileChanges.map((c) => ({ ...c, phase: name as PhaseName })),
      leftoverProcesses: driver.leftover,
    };
  }

  private async isRunning(): Promise<boolean> {
    try {
      const r = await this.runtime.exec(this.id, ['true']);
      return r.exitCode === 0;
    } catch {
      return false;
    }
  }

  /** Streams the root-only trace out with `cat` (Docker's archive API does not see tmpfs). */
  private async copyTraceOut(name: string, tracePath: string): Promise<string> {
    await mkdir(this.outDir, { recursive: true });
    const hostPath = path.join(this.outDir, `${name}.strace`);
    const r = await this.runtime.exec(this.id, ['cat', tracePath], { stdout: createWriteStream(hostPath) });
    if (r.exitCode !== 0) this.log.warn({ containerId: this.id, name, stderr: r.stderr.toString() }, 'trace copy failed');
    return hostPath;
  }

  private async snapshot(mode: 'save' | 'diff', name: string): Promise<{ changes?: Array<Omit<FileChange, 'phase'>> }> {
    const roots = [this.identity.home, '/tmp', '/var/tmp', '/dev/shm'];
    const args = mode === 'save' ? ['save', name, ...roots] : ['diff', this.lastSnapshot, name, ...roots];
    const r = await this.runtime.exec(this.id, ['python3', `${HELPERS}/snapshot.py`, ...args], { maxOutputBytes: 16 * 1024 * 1024 });
    if (r.exitCode !== 0) throw new VetboxError('SANDBOX_FAILED', `snapshot ${mode} failed: ${r.stderr.toString().slice(-1000)}`);
    this.lastSnapshot = name;
    return JSON.parse(r.stdout.toString('utf8')) as { changes?: Array<Omit<FileChange, 'phase'>> };
  }

  /**
   * What the phase changed: the tmpfs snapshot diff (home, /tmp, ...) plus `docker diff` of the
   * image filesystem since the last phase (normally empty: the user cannot write there).
   */
  private async fileChanges(name: string): Promise<Array<Omit<FileChange, 'phase'>>> {
    const snap = `${name}-${++this.snapshots}`;
    const [{ changes = [] }, all] = await Promise.all([this.snapshot('diff', snap), this.runtime.changes(this.id)]);
    const docker: ContainerChange[] = all.filter((c) => !this.baselineChanges.has(c.path) && !c.path.startsWith('/trace'));
    for (const c of docker) this.baselineChanges.add(c.path);
    if (docker.length > 0) {
      const r = await this.runtime.exec(this.id, ['python3', `${HELPERS}/snapshot.py`, 'hash', ...docker.map((c) => c.path).slice(0, 500)], { maxOutputBytes: 4 * 1024 * 1024 });
      const hashed = new Map<string, Omit<FileChange, 'phase' | 'kind'>>();
      if (r.exitCode === 0) for (const h of JSON.parse(r.stdout.toString('utf8')) as Array<Omit<FileChange, 'phase' | 'kind'>>) hashed.set(h.path, h);
      for (const c of docker) changes.push({ ...hashed.get(c.path), path: c.path, kind: c.kind });
    }
    return changes;
  }

  /**
   * Runs an untraced command (root by default) — for checks between phases, not package code.
   * As the sandbox user it gets the user's environment (HOME, PATH) and runs in `cwd`.
   */
  exec(cmd: string[], opts: { user?: string; cwd?: string } = {}) {
    const env = opts.user === this.identity.user ? Object.entries(this.traceEnv()).map(([k, v]) => `${k}=${v}`) : undefined;
    return this.runtime.exec(this.id, cmd, { user: opts.user, workingDir: opts.cwd, ...(env ? { env } : {}) });
  }

  async kill(): Promise<void> {
    this.dead = true;
    await this.runtime.kill(this.id).catch((err) => this.log.warn({ containerId: this.id, err: String(err) }, 'sandbox kill failed'));
  }

  async close(): Promise<void> {
    this.detachAbort();
    await this.runtime.remove(this.id);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new VetboxError('CANCELLED', 'analysis cancelled');
}

function notRun(name: string, status: PhaseStatus, reason: string): CommandResult {
  return { name, status, reason, exitCode: null, durationMs: 0, startedAtMs: Date.now(), stdoutTail: '', stderrTail: '', trace: '', traceBytes: 0, fileChanges: [], leftoverProcesses: [] };
}

/** The image's versions.json (os, python, node, npm), tolerating its absence in older images. */
export function parseReported(stdout: string): Pick<Persona, 'os' | 'python' | 'node' | 'npm'> {
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  if (!line) return {};
  try {
    const j = JSON.parse(line) as Record<string, unknown>;
    const out: Pick<Persona, 'os' | 'python' | 'node' | 'npm'> = {};
    for (const k of ['os', 'python', 'node', 'npm'] as const) if (typeof j[k] === 'string' && j[k]) out[k] = (j[k] as string).slice(0, 200);
    return out;
  } catch {
    return {};
  }
}

export function parseDriverOutput(stdout: string): DriverResult | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
  if (!line) return undefined;
  try {
    return JSON.parse(line.slice(MARKER.length)) as DriverResult;
  } catch {
    return undefined;
  }
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };
const signalNumber = (s: string): number => SIGNALS[s] ?? 0;

/** The phase status and the reason it ended the way it did (timeout, memory, pids, leftovers). */
export function statusOf(d: DriverResult, traceMb: number): { status: PhaseStatus; reason?: string } {
  const notes: string[] = [];
  if (d.oomKills > 0) notes.push(`memory limit reached (${d.oomKills} process(es) killed by the OOM killer)`);
  if (d.pidsMaxHits > 0) notes.push(`process limit reached (${d.pidsMaxHits} fork(s) refused)`);
  if (d.killed) notes.push(`${d.leftover.length} process(es) still running at the end were recorded and killed`);
  if (d.traceBytes >= traceMb * 1024 * 1024 * 0.98) notes.push(`trace truncated at ${traceMb} MiB`);
  let status: PhaseStatus;
  if (d.timedOut) {
    status = 'error_timeout';
    notes.unshift('wall-clock limit reached');
  } else if (d.exitCode === 0) {
    status = 'completed';
  } else {
    status = 'error_other';
    notes.unshift(d.signal ? `killed by ${d.signal}` : `exit code ${d.exitCode}`);
  }
  return notes.length > 0 ? { status, reason: notes.join('; ') } : { status };
}
