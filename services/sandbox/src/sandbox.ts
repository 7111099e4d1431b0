import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { loadEnv } from '@vetbox/config';
import {
  VetboxError,
  type FileChange,
  type Persona,
  type PhaseName,
  type PhaseStatus,
  type SandboxInfo,
  type TracerInfo,
} from '@vetbox/contracts';
import { packArchive, type ArchiveFile } from './archive.js';
import { DockerRuntime } from './docker-runtime.js';
import { homeSkeleton, randomIdentity, type SandboxIdentity } from './identity.js';
import { sandboxImage } from './image.js';
import { limitsFromEnv, type SandboxLimits } from './limits.js';
import { MachineView, dmiFiles, sysClassLinks } from './machine.js';
import { defaultLogger, type Logger } from './log.js';
import { ROOT_HELPERS } from './commands.js';
import { CLOCK_STATE_PATH, FASTCLOCK_LIBRARY, clockStatePage } from './phases/clock.js';
import { bystanderDirs } from './project.js';
import { LABEL_ANALYSIS, LABEL_WORKER, type ContainerChange, type SandboxRuntime } from './runtime.js';
import { workerId as defaultWorkerId } from './worker-id.js';
import { cgroupIdOf } from './tracer/cgroup.js';
import type { LoaderCounters } from './tracer/loader.js';
import { RECORD_MARK } from './phases/records.js';
import { selectTracer, type TracerChoice, type TracerSetting } from './tracer/select.js';

/**
 * Capabilities kept (all others dropped): strace needs SYS_PTRACE; `strace -u`, the login
 * session and the kill of leftovers need SETUID/SETGID/KILL; the root setup step and the session
 * chown the home and the terminal (CHOWN); the between-phase snapshot reads the user's private
 * files (DAC_READ_SEARCH); the session sets the audit login uid that getlogin() reads
 * (AUDIT_CONTROL). Traced code runs as an unprivileged user under no-new-privileges, so it holds
 * none of them.
 */
export const SANDBOX_CAPS = ['SYS_PTRACE', 'SETUID', 'SETGID', 'KILL', 'CHOWN', 'DAC_READ_SEARCH', 'AUDIT_CONTROL'];
/** With the eBPF tracer nothing in the container traces: no SYS_PTRACE, no tracer to see. */
export const SANDBOX_CAPS_EBPF = SANDBOX_CAPS.filter((c) => c !== 'SYS_PTRACE');
/** Cap on an eBPF session file (the kernel side's budgets keep floods far below it). */
const SESSION_MAX_BYTES = 1024 * 1024 * 1024;

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
  /** Processes still running when the grace period (or the deadline) ended; killed, unless the phase kept them (eBPF, `keep`). */
  leftoverProcesses: LeftoverProcess[];
  /** eBPF: what the tracer could not record while this phase ran (absent with strace). */
  traceLoss?: TraceLossCounts;
  /** Harness record lines the command printed (execute, next-login). */
  records?: string;
}

export interface TraceLossCounts {
  /** Records the ring buffer had no room for. */
  lost: number;
  /** Calls past a per-process budget: counted, not recorded (a flood). */
  suppressed: number;
  /** Records the session file had no room for. */
  dropped: number;
}

/** The eBPF record of a whole sandbox: one file, every phase, in the order `phases` names them. */
export interface TraceSessionFile {
  path: string;
  /** Phase (or command) names by the index the session's marks use. */
  phases: string[];
  /** Working directory of each phase's command, by the same index. */
  cwds: string[];
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
  /** Default: SANDBOX_TRACER (auto: eBPF when it loads, else strace). */
  tracer?: TracerSetting;
  /**
   * Prepared ahead for a warm pool: no workdir yet; `adopt()` stages the package and adds its
   * files to the baseline snapshot. Such a sandbox runs nothing until adopted.
   */
  blank?: boolean;
  /**
   * Benchmarks only: false runs everything as under eBPF (same capabilities, phase driver, login
   * session, marks, leftovers followed) but scopes the tracer to a uid nobody has, so nothing is
   * recorded. What the harness costs is then told apart from what tracing costs. Default true.
   */
  recordTrace?: boolean;
}

/** What an analysis brings to a sandbox prepared ahead (see `Sandbox.adopt`). */
export interface AdoptOptions {
  analysisId: string;
  /** Host directory copied into the workdir. */
  workdirFrom?: string;
  appProject?: boolean;
  signal?: AbortSignal;
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
  /** Harness record lines (RECORD_MARK) the command sent on its record socket, in order, capped. */
  records?: string;
  driverError?: string;
}

/**
 * The container's pid 1 is the image's init (image/src/init.c): a workstation's process tree.
 * Phases are handed to its sshd listener through SPOOL (root-only, written with Docker's archive
 * API, so no `docker exec` process shows while package code runs) and their results come back on
 * the container's output. Harness state lives under HARNESS_STATE, hidden in root's home.
 */
const INIT = '/sbin/init';
const HARNESS_STATE = '/root/.local';
const SPOOL = `${HARNESS_STATE}/spool`;
/** snapshot.py's states (its SNAP_DIR). */
const SNAP_DIR = `${HARNESS_STATE}/state`;
/** Where prepare's archive lands before it is copied into place. */
const INBOX = `${HARNESS_STATE}/in`;
/** A uid no process has (the kernel's "no uid" is -1): a session scoped to it records nothing. */
const NO_SUCH_UID = 0xfffffffe;

/** strace output: root only, on the /run tmpfs (a /trace mount would name the tracer). */
const TRACE_DIR = '/run/log/journal';
/** Where a host with DMI (a QEMU VM, say) shows its own: covered by a tmpfs with the laptop's. */
const HOST_DMI = '/sys/devices/virtual/dmi/id';
const CA_NAME = 'ZscalerRootCertificate-2048-SHA256.crt';
const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const MARKER = '@@VETBOX@@';
/** Where fetch stages the npm cache in a workdir (fetch's STAGED_NPM_CACHE). */
const STAGED_NPM_CACHE = '.npm-cache';
/**
 * The workdir from INBOX/work ($2 home, $3 workdir) at prepare (a pooled sandbox's is streamed
 * in by adopt, see workdirArchive). An npm cache the host filled (scripts disabled): npm install reads it like a warm user cache.
 */
const WORKDIR_SETUP = [
  `if [ -d ${INBOX}/work ]; then cp -a ${INBOX}/work/. "$3/"; fi`,
  `if [ -d "$3/${STAGED_NPM_CACHE}/_cacache" ]; then mkdir -p "$2/.npm" && rm -rf "$2/.npm/_cacache" && mv "$3/${STAGED_NPM_CACHE}/_cacache" "$2/.npm/_cacache"; fi`,
  `rm -rf "$3/${STAGED_NPM_CACHE}"`,
];
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
  /** Blank (pool) sandboxes wait for `adopt()` before anything runs in them. */
  private adopted = true;
  /** eBPF: the container's cgroup id, its session file, and the counters at the last mark. */
  private ebpf: { cgroupId: bigint; file: TraceSessionFile; counters: LoaderCounters; final?: LoaderCounters } | undefined;

  private constructor(
    readonly id: string,
    readonly identity: SandboxIdentity,
    readonly image: string,
    readonly network: SandboxNetwork,
    private readonly runtime: SandboxRuntime,
    private readonly limits: SandboxLimits,
    private opts: SandboxOptions,
    private readonly log: Logger,
    private readonly outDir: string,
    private readonly tracer: TracerChoice,
    private readonly machine: MachineView,
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
    const tracer = await selectTracer(log, opts.tracer);
    const ebpf = tracer.name === 'ebpf';
    // The UTS name of a shared namespace is the sinkhole's: /etc/hostname must agree with it.
    if (network.mode === 'container') identity.hostname = await runtime.inspectHostname(network.containerId);
    const workerId = opts.workerId ?? defaultWorkerId();
    const machine = await MachineView.open(identity, { analysisId: opts.analysisId, workerId });
    const id = await runtime.create({
      image,
      labels: { [LABEL_ANALYSIS]: opts.analysisId, [LABEL_WORKER]: workerId },
      cmd: [INIT],
      dockerInit: false,
      privateCgroupNamespace: true,
      readOnlyBinds: machine.binds(),
      // Docker refuses a hostname with a shared network namespace: the sinkhole container's
      // hostname is the one seen there (create it with plausibleHostname()).
      hostname: network.mode === 'none' ? identity.hostname : undefined,
      networkMode: network.mode === 'none' ? 'none' : `container:${network.containerId}`,
      capAdd: ebpf ? SANDBOX_CAPS_EBPF : SANDBOX_CAPS,
      memoryBytes: limits.memoryMb * 1024 * 1024,
      nanoCpus: Math.round(limits.cpus * 1e9),
      pidsLimit: limits.pids,
      // No overlay quota on this engine: everything the user can write is a size-limited tmpfs,
      // so an endless writer fills its tmpfs (ENOSPC), never the host disk.
      tmpfs: {
        [identity.home]: `rw,exec,nosuid,nodev,size=${limits.diskMb}m,mode=0755`,
        '/tmp': `rw,exec,nosuid,nodev,size=${Math.max(16, Math.floor(limits.diskMb / 2))}m,mode=1777`,
        '/var/tmp': 'rw,nosuid,nodev,size=64m,mode=1777',
        // As on a systemd machine: /run (strace output too, root only) and the user's runtime dir.
        // The eBPF tracer writes on the host, so /run then holds only what a machine keeps there.
        '/run': `rw,noexec,nosuid,nodev,size=${(ebpf ? 0 : limits.traceMb) + 16}m,mode=0755`,
        [`/run/user/${SANDBOX_UID}`]: `rw,exec,nosuid,nodev,size=64m,mode=0700,uid=${SANDBOX_UID},gid=${SANDBOX_UID}`,
        // The host's classes plus the laptop's DMI (prepare fills it).
        '/sys/class': 'rw,nosuid,nodev,noexec,size=1m,mode=0755',
        ...(existsSync(HOST_DMI) ? { [HOST_DMI]: 'rw,nosuid,nodev,noexec,size=1m,mode=0755' } : {}),
      },
      shmSizeBytes: 64 * 1024 * 1024,
      runtime: runtime.runtimeName,
    }).catch(async (err: unknown) => {
      await machine.close();
      throw err;
    });
    const outDir = opts.outDir ?? path.join(env.DATA_DIR, 'sandbox', opts.analysisId);
    const sandbox = new Sandbox(id, identity, image, network, runtime, limits, opts, log, outDir, tracer, machine);
    sandbox.watch(opts.signal);
    try {
      await runtime.start(id);
      if (ebpf) await sandbox.startSession();
      await sandbox.prepare();
      sandbox.adopted = !opts.blank;
      return sandbox;
    } catch (err) {
      sandbox.detachAbort();
      await sandbox.endSession().catch(() => undefined);
      await runtime.stop(id, 0).catch(() => undefined);
      await runtime.remove(id).catch((e) => log.error({ containerId: id, err: String(e) }, 'sandbox remove failed'));
      await machine.close();
      if (opts.signal?.aborted) throw new VetboxError('CANCELLED', 'analysis cancelled', { cause: err });
      throw err;
    }
  }

  /** An aborted analysis kills the container (its phases then end as killed). */
  private watch(signal: AbortSignal | undefined): void {
    this.detachAbort();
    const onAbort = (): void => void this.kill();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.detachAbort = () => signal?.removeEventListener('abort', onAbort);
  }

  /**
   * Hands a blank sandbox (prepared ahead, see `blank`) to one analysis: streams its workdir in
   * (one engine round trip) and adds the workdir's entries to the baseline snapshot saved when
   * the sandbox was made, so the first phase sees, and its file changes are counted against,
   * exactly what a sandbox opened for it would show. Everything else (user, persona, canaries, CA, login session, tracer) was prepared
   * with the sandbox and is this analysis's alone: a pooled sandbox is adopted once.
   */
  async adopt(t: AdoptOptions): Promise<void> {
    if (this.adopted) throw new VetboxError('SANDBOX_FAILED', `sandbox ${this.id} was already adopted`);
    this.adopted = true;
    this.opts = { ...this.opts, analysisId: t.analysisId, workdirFrom: t.workdirFrom, appProject: t.appProject, signal: t.signal, blank: false };
    this.watch(t.signal);
    throwIfAborted(t.signal);
    if (t.workdirFrom === undefined) return;
    const { home, workdir } = this.identity;
    const r = await this.runtime.exec(this.id, ['sh', '-c', [
      'set -eu',
      // As the user: its own home and files, so no chown pass and no root write into its
      // directories. Before the first trace mark, so the eBPF reader records none of it.
      `setpriv --reuid=${SANDBOX_UID} --regid=${SANDBOX_UID} --clear-groups tar -x -C "$1"`,
      // The baseline of the rest was saved when the sandbox was made (nothing has written there
      // since: the user's daemons are stand-ins); what the workdir added is its addendum.
      'if [ -e "$3" ]; then set -- "$2" "$3"; else set -- "$2"; fi',
      `find "$@" -printf '%y %m %s %T@ %i %p\\0' > ${SNAP_DIR}/.snap-base.add`,
    ].join('\n'), 'stage', home, workdir, `${home}/.npm`], { stdin: this.workdirArchive(t.workdirFrom) });
    if (r.exitCode !== 0) throw new VetboxError('SANDBOX_FAILED', `staging the workdir failed: ${r.stderr.toString().slice(-2000)}`);
  }

  /**
   * The staged workdir as the user's files in its home, streamed to tar in the container (no
   * copy on the image filesystem, no cp, mv or chown -R after it): what WORKDIR_SETUP leaves, the
   * staged npm cache already in ~/.npm.
   */
  private workdirArchive(from: string): Readable {
    const { home, workdir } = this.identity;
    const staged = path.join(from, STAGED_NPM_CACHE);
    const cache = path.join(staged, '_cacache');
    const dirs: Record<string, string> = { [path.posix.relative(home, workdir)]: from };
    if (existsSync(cache)) dirs['.npm/_cacache'] = cache;
    return Readable.from(packArchive([], dirs, { owner: SANDBOX_UID, exclude: [staged] }));
  }

  /** eBPF: the loader starts recording this container's user into a session file on the host. */
  private async startSession(): Promise<void> {
    const cgroupId = await cgroupIdOf(await this.runtime.inspectPid(this.id));
    await mkdir(this.outDir, { recursive: true });
    const file: TraceSessionFile = { path: path.join(this.outDir, `session-${this.id.slice(0, 12)}.ebpf`), phases: [], cwds: [] };
    const uid = this.opts.recordTrace === false ? NO_SUCH_UID : SANDBOX_UID;
    const counters = await this.tracer.loader!.add(cgroupId, uid, SESSION_MAX_BYTES, file.path);
    this.ebpf = { cgroupId, file, counters };
    this.log.info({ containerId: this.id, cgroupId: String(cgroupId) }, 'eBPF session started');
  }

  /** eBPF: stops recording; the session file is complete after this. Idempotent. */
  private async endSession(): Promise<void> {
    const e = this.ebpf;
    if (e === undefined || e.final !== undefined) return;
    e.final = await this.tracer.loader!.remove(e.cgroupId);
  }

  /** Creates the user and its home, copies the workdir and honeytoken files, trusts the CA. */
  /**
   * Creates the user and its home, copies the workdir and honeytoken files, trusts the CA, and
   * makes the container look like the persona's workstation: no /.dockerenv, its machine id and
   * time zone, /run as systemd leaves it, /sys/class with the laptop's DMI, and the login session
   * started by init (utmp boot record, `systemd --user`).
   */
  private async prepare(): Promise<void> {
    const { identity: id, opts } = this;
    const files: ArchiveFile[] = [
      ...homeSkeleton(id).map((f) => ({ ...f, path: `home/${f.path}` })),
      ...(opts.homeFiles ?? []).map((f) => ({ ...f, path: `home/${f.path}` })),
      ...(await sysClassLinks()).map((f) => ({ ...f, path: `sysclass/${f.path}` })),
      ...(id.hardware ? dmiFiles(id.hardware, id.machineId).map((f) => ({ ...f, path: `sysclass/dmi/id/${f.path}` })) : []),
    ];
    if (opts.caCertPem) files.push({ path: 'ca.crt', content: opts.caCertPem });
    files.push({ path: 'clock', content: clockStatePage(SANDBOX_UID) });
    const dirs: Record<string, string> = opts.workdirFrom ? { work: opts.workdirFrom } : {};
    await this.runtime.copyIn(this.id, INBOX, Readable.from(packArchive(files, dirs)));
    const bootEpoch = Math.floor(Date.parse(id.bootedAt ?? new Date().toISOString()) / 1000);
    const script = [
      'set -eu',
      'rm -f /.dockerenv /run/.containerenv',
      `groupadd -g ${SANDBOX_UID} "$1"`,
      `useradd -u ${SANDBOX_UID} -g ${SANDBOX_UID} -M -d "$2" -s /bin/bash -c "$4" "$1"`,
      'cp -a /etc/skel/. "$2/"',
      `cp -a ${INBOX}/home/. "$2/"`,
      'mkdir -p "$3"',
      ...WORKDIR_SETUP,
      // What update-ca-certificates leaves for one added CA (it forks ~300 times: minutes on a loaded host).
      `if [ -f ${INBOX}/ca.crt ]; then`,
      `  cp ${INBOX}/ca.crt /usr/local/share/ca-certificates/${CA_NAME}`,
      `  ln -sf /usr/local/share/ca-certificates/${CA_NAME} /etc/ssl/certs/${CA_NAME.replace(/\.crt$/, '.pem')}`,
      `  ln -sf ${CA_NAME.replace(/\.crt$/, '.pem')} "/etc/ssl/certs/$(openssl x509 -hash -noout -in ${INBOX}/ca.crt).0"`,
      `  sed -e '$a\\' ${INBOX}/ca.crt >> ${SYSTEM_BUNDLE}`,
      'fi',
      'chmod 0750 "$2"',
      `chown -R ${SANDBOX_UID}:${SANDBOX_UID} "$2"`,
      // The persona's machine id and time zone.
      'printf "%s\\n" "$5" > /etc/machine-id',
      'mkdir -p /var/lib/dbus && ln -sf /etc/machine-id /var/lib/dbus/machine-id',
      'if [ -f "/usr/share/zoneinfo/$6" ]; then ln -sf "/usr/share/zoneinfo/$6" /etc/localtime && printf "%s\\n" "$6" > /etc/timezone; fi',
      // /run as a systemd machine has it; strace output in a root-only corner of it.
      `mkdir -p /run/lock /run/sshd /run/mount /run/systemd/users /run/systemd/sessions ${TRACE_DIR}`,
      `chmod 0700 ${TRACE_DIR}`,
      ': > /run/utmp && chown root:utmp /run/utmp && chmod 0664 /run/utmp',
      // /sys/class: the host's classes, this network namespace's interfaces, the laptop's DMI.
      `cp -a ${INBOX}/sysclass/. /sys/class/`,
      'mkdir -p /sys/class/net',
      'for d in /sys/devices/virtual/net/*; do [ -e "$d" ] && ln -s "../../devices/virtual/net/${d##*/}" "/sys/class/net/${d##*/}"; done',
      `if [ -d ${HOST_DMI} ] && [ -d /sys/class/dmi/id ]; then cp -a /sys/class/dmi/id/. ${HOST_DMI}/ && rm -rf /sys/class/dmi/id && ln -s ../../devices/virtual/dmi/id /sys/class/dmi/id; fi`,
      // init records the boot in utmp and starts the user's manager (`systemd --user`).
      `printf 'boot=%s\\nuid=${SANDBOX_UID}\\ngid=${SANDBOX_UID}\\nuser=%s\\nhome=%s\\n' "$7" "$1" "$2" > ${HARNESS_STATE}/state/session.conf`,
      'kill -USR1 1',
      `for i in $(seq 50); do [ "$(wc -l < ${HARNESS_STATE}/state/standins 2>/dev/null || echo 0)" -ge 7 ] && break; sleep 0.1; done`,
      // The fast clock's state page (image/src/fastclock.c): real time until the idle phase.
      `mkdir -p ${path.posix.dirname(CLOCK_STATE_PATH)} && install -m 0644 ${INBOX}/clock ${CLOCK_STATE_PATH}`,
      `rm -rf ${INBOX}/home ${INBOX}/work ${INBOX}/ca.crt ${INBOX}/sysclass ${INBOX}/clock`,
      // What the machine reports (written at image build, root-only): recorded in the persona.
      `cat ${ROOT_HELPERS}/versions.json 2>/dev/null || true`,
    ].join('\n');
    const args = [id.user, id.home, id.workdir, id.fullName, id.machineId, id.timezone, String(bootEpoch)];
    const r = await this.runtime.exec(this.id, ['sh', '-c', script, 'setup', ...args]);
    if (r.exitCode !== 0) throw new VetboxError('SANDBOX_FAILED', `sandbox setup failed: ${r.stderr.toString().slice(-2000)}`);
    this.reported = parseReported(r.stdout.toString('utf8'));
    // A blank sandbox's baseline too: adopt() adds its workdir's entries to it (an addendum).
    const [, baseline] = await Promise.all([this.snapshot('save', 'base'), this.runtime.changes(this.id)]);
    this.baselineChanges = new Set(baseline.map((c) => c.path));
  }

  /** Wall clock of one phase (the limits' phaseTimeoutMs). */
  get phaseTimeoutMs(): number {
    return this.limits.phaseTimeoutMs;
  }

  /** Whether processes a phase leaves running can be kept (and followed) into later phases: eBPF only. */
  get followsLeftovers(): boolean {
    return this.ebpf !== undefined;
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
      tracer: this.tracerInfo,
      ...(this.opts.appProject ? { bystanderDirs: bystanderDirs(this.identity.workdir, []) } : {}),
    };
  }

  /** Which tracer recorded this sandbox, and (eBPF) what it lost so far. */
  get tracerInfo(): TracerInfo {
    const c = this.ebpf?.final ?? this.ebpf?.counters;
    return {
      name: this.tracer.name,
      visibleToPackage: this.tracer.name === 'strace',
      ...(c !== undefined ? { lostEvents: c.lost + c.dropped } : {}),
      ...(this.tracer.note !== undefined ? { note: this.tracer.note } : {}),
    };
  }

  /** The eBPF session file (complete once the sandbox is closed); undefined with strace. */
  get session(): TraceSessionFile | undefined {
    return this.ebpf?.file;
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
      ...loginSessionEnv(id),
      ...ca,
      ...this.opts.env,
      // The fast clock: it takes itself out of every process's environment as it loads and
      // hands itself on to what that process executes (image/src/fastclock.c).
      LD_PRELOAD: FASTCLOCK_LIBRARY,
    };
  }

  /**
   * Runs `cmd` as the sandbox user under strace; `name` names the trace file. Never throws for
   * what the traced code does (that is the result); throws VetboxError for our own failures.
   */
  async runTraced(name: string, cmd: string[], opts: { cwd?: string; timeoutMs?: number; graceMs?: number; keep?: boolean; records?: boolean } = {}): Promise<CommandResult> {
    if (!this.adopted) throw new VetboxError('SANDBOX_FAILED', `sandbox ${this.id} is blank: adopt it before running a phase`);
    throwIfAborted(this.opts.signal);
    const tracePath = `${TRACE_DIR}/${name}.strace`;
    const timeoutMs = opts.timeoutMs ?? this.limits.phaseTimeoutMs;
    if (this.dead) return notRun(name, 'error_analysis', 'the sandbox container is no longer running');
    const cwd = opts.cwd ?? this.identity.workdir;
    // eBPF: a mark tells the session which command starts next (its processes are this phase's).
    const ebpf = this.ebpf;
    if (ebpf !== undefined) {
      ebpf.file.phases.push(name);
      ebpf.file.cwds.push(cwd);
      ebpf.counters = await this.tracer.loader!.mark(ebpf.cgroupId, ebpf.file.phases.length - 1);
    }
    const spec = {
      requestId: randomUUID(),
      user: this.identity.user,
      uid: SANDBOX_UID,
      gid: SANDBOX_UID,
      cwd,
      loginHost: loginPeer(this.identity),
      cmd,
      env: this.traceEnv(),
      timeoutMs,
      graceMs: opts.graceMs ?? this.limits.graceMs,
      tracePath,
      // No strace arguments: the driver runs the command untraced (eBPF traces it from the host).
      straceArgs: ebpf !== undefined ? [] : [...STRACE_BASE_ARGS, ...straceModeArgs(this.opts.traceMode ?? loadEnv().SANDBOX_TRACE_MODE)],
      tailBytes: 8192,
      // eBPF follows what the command leaves running into later phases (its events stay this
      // phase's); with strace, leftovers are killed at the end of the phase as before.
      keep: Boolean(opts.keep) && ebpf !== undefined,
      // A harness that sends call records gets a socket for them (fd 5), never the terminal.
      ...(opts.records ? { recordMark: RECORD_MARK } : {}),
    };
    const hostStart = Date.now();
    let outcome: Awaited<ReturnType<Sandbox['runDriver']>>;
    try {
      outcome = await this.runDriver(spec, timeoutMs + HOST_DEADLINE_SLACK_MS);
    } catch (err) {
      throwIfAborted(this.opts.signal);
      throw err;
    }
    throwIfAborted(this.opts.signal);
    if (outcome === 'deadline') {
      // The in-container driver missed its own deadline: kill the whole container.
      this.log.warn({ containerId: this.id, name }, 'sandbox unresponsive past the deadline: killing it');
      await this.kill();
      return { ...notRun(name, 'error_timeout', 'sandbox unresponsive past the phase deadline; container killed'), startedAtMs: hostStart, durationMs: Date.now() - hostStart };
    }
    const driver = outcome;
    if (!driver || driver.driverError) {
      const why = driver?.driverError ?? 'no result from the phase driver (the container stopped)';
      this.dead = !(await this.isRunning());
      return { ...notRun(name, 'error_analysis', why), startedAtMs: hostStart, durationMs: Date.now() - hostStart };
    }
    const [trace, fileChanges, traceLoss] = await Promise.all([
      ebpf !== undefined ? '' : this.copyTraceOut(name, tracePath),
      this.fileChanges(name),
      ebpf !== undefined ? this.lossSinceMark(ebpf) : undefined,
    ]);
    return {
      name,
      ...statusOf(driver, this.limits.traceMb, traceLoss),
      ...(traceLoss !== undefined ? { traceLoss } : {}),
      exitCode: driver.exitCode ?? (driver.signal ? 128 + signalNumber(driver.signal) : null),
      durationMs: driver.durationMs,
      startedAtMs: driver.startedAtMs,
      stdoutTail: driver.stdoutTail,
      stderrTail: driver.stderrTail,
      trace,
      traceBytes: driver.traceBytes,
      fileChanges: fileChanges.map((c) => ({ ...c, phase: name as PhaseName })),
      leftoverProcesses: driver.leftover,
      ...(driver.records ? { records: driver.records } : {}),
    };
  }

  /** What the eBPF tracer lost since the phase's mark (a mark with the same index changes nothing else). */
  private async lossSinceMark(e: NonNullable<Sandbox['ebpf']>): Promise<TraceLossCounts> {
    const before = e.counters;
    const now = await this.tracer.loader!.mark(e.cgroupId, e.file.phases.length - 1);
    e.counters = now;
    return { lost: now.lost - before.lost, suppressed: now.suppressed - before.suppressed, dropped: now.dropped - before.dropped };
  }

  /**
   * Hands the spec to the container's sshd listener (a spec file, then its trigger, in one
   * archive) and reads the driver's result line from the container's output. Undefined when the
   * output ended without it (the container stopped); 'deadline' when it never came.
   */
  private async runDriver(spec: { requestId: string }, waitMs: number): Promise<DriverResult | undefined | 'deadline'> {
    const output = await this.runtime.followOutput(this.id, Date.now() - 2000);
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = driverResult(output, spec.requestId);
      const files: ArchiveFile[] = [
        { path: `${spec.requestId}.json`, content: JSON.stringify(spec), mode: 0o600 },
        { path: `${spec.requestId}.go`, content: '', mode: 0o600 },
      ];
      await this.runtime.copyIn(this.id, SPOOL, Readable.from(packArchive(files, {})));
      const deadline = new Promise<'deadline'>((resolve) => {
        timer = setTimeout(() => resolve('deadline'), waitMs);
      });
      return await Promise.race([result, deadline]);
    } finally {
      clearTimeout(timer);
      output.destroy();
    }
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

  /** The user's writable places (tmpfs) the snapshots cover. */
  private snapshotRoots(): string[] {
    return [this.identity.home, '/tmp', '/var/tmp', '/dev/shm', `/run/user/${SANDBOX_UID}`];
  }

  private async snapshot(mode: 'save' | 'diff', name: string): Promise<{ changes?: Array<Omit<FileChange, 'phase'>> }> {
    const roots = this.snapshotRoots();
    const args = mode === 'save' ? ['save', name, ...roots] : ['diff', this.lastSnapshot, name, ...roots];
    const run = () => this.runtime.exec(this.id, ['python3', `${ROOT_HELPERS}/snapshot.py`, ...args], { maxOutputBytes: 16 * 1024 * 1024 });
    let r = await run();
    // Right after a fork bomb is killed, its processes still hold the pids limit until they are
    // reaped, so the helper cannot start yet: wait for the slots to free up rather than fail.
    for (let delayMs = 250; r.exitCode !== 0 && delayMs <= 4_000; delayMs *= 2) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      r = await run();
    }
    if (r.exitCode !== 0) throw new VetboxError('SANDBOX_FAILED', `snapshot ${mode} failed (exit ${r.exitCode}): ${r.stderr.toString().slice(-1000)}`);
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
    const docker: ContainerChange[] = all.filter((c) => !this.baselineChanges.has(c.path) && !c.path.startsWith(HARNESS_STATE));
    for (const c of docker) this.baselineChanges.add(c.path);
    if (docker.length > 0) {
      const r = await this.runtime.exec(this.id, ['python3', `${ROOT_HELPERS}/snapshot.py`, 'hash', ...docker.map((c) => c.path).slice(0, 500)], { maxOutputBytes: 4 * 1024 * 1024 });
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
  exec(cmd: string[], opts: { user?: string; cwd?: string; maxOutputBytes?: number } = {}) {
    const env = opts.user === this.identity.user ? Object.entries(this.traceEnv()).map(([k, v]) => `${k}=${v}`) : undefined;
    return this.runtime.exec(this.id, cmd, { user: opts.user, workingDir: opts.cwd, maxOutputBytes: opts.maxOutputBytes, ...(env ? { env } : {}) });
  }

  /**
   * Puts `content` where the sandbox user (and only it) can read it, under a random name in its
   * runtime directory, and returns that path: how a harness gets a spec too long for its argv
   * (a long argument is a tell in ps). The harness deletes it as it reads it.
   */
  async handToUser(content: string): Promise<string> {
    const name = randomUUID().replace(/-/g, '').slice(0, 12);
    await this.runtime.copyIn(this.id, INBOX, Readable.from(packArchive([{ path: name, content, mode: 0o600 }], {})));
    const target = `/tmp/.${name}`;
    const r = await this.runtime.exec(this.id, ['sh', '-c', `umask 077 && cat "$1" > "$2" && chown ${SANDBOX_UID}:${SANDBOX_UID} "$2" && rm -f "$1"`, 'hand', `${INBOX}/${name}`, target]);
    if (r.exitCode !== 0) throw new VetboxError('SANDBOX_FAILED', `handing a spec to the user failed: ${r.stderr.toString().slice(-500)}`);
    return target;
  }

  /** Runs an untraced root command in the container whose network namespace this one joined (the sinkhole). */
  async execInNetworkPeer(cmd: string[]): Promise<void> {
    if (this.network.mode !== 'container') return;
    await this.runtime.exec(this.network.containerId, cmd, { user: '0:0' });
  }

  async kill(): Promise<void> {
    this.dead = true;
    await this.runtime.kill(this.id).catch((err) => this.log.warn({ containerId: this.id, err: String(err) }, 'sandbox kill failed'));
  }

  async close(): Promise<void> {
    this.detachAbort();
    try {
      await this.endSession();
    } finally {
      try {
        await this.runtime.remove(this.id);
      } finally {
        await this.machine.close();
      }
    }
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

/** The driver's result line in `stdout` (the one for `requestId` when given). */
export function parseDriverOutput(stdout: string, requestId?: string): DriverResult | undefined {
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(MARKER)) continue;
    try {
      const r = JSON.parse(line.slice(MARKER.length)) as DriverResult & { requestId?: string };
      if (requestId === undefined || r.requestId === requestId) return r;
    } catch {
      /* a truncated or foreign line */
    }
  }
  return undefined;
}

/** Resolves with the result line for `requestId` as it arrives on the container's output. */
function driverResult(output: Readable, requestId: string): Promise<DriverResult | undefined> {
  return new Promise((resolve) => {
    const decoder = new StringDecoder('utf8');
    let partial = '';
    output.on('data', (chunk: Buffer) => {
      const lines = (partial + decoder.write(chunk)).split('\n');
      partial = lines.pop() ?? '';
      if (partial.length > 4 * 1024 * 1024) partial = '';
      const found = parseDriverOutput(lines.join('\n'), requestId);
      if (found) resolve(found);
    });
    output.once('end', () => resolve(parseDriverOutput(partial, requestId)));
    output.once('error', () => resolve(undefined));
    output.once('close', () => resolve(undefined));
  });
}

/** Another machine on the persona's LAN, where the user's ssh session comes from. */
export function loginPeer(id: SandboxIdentity): string {
  const octets = id.lan.address.split('.');
  const last = Number(octets[3]);
  octets[3] = String(last > 200 ? last - 17 : last + 13);
  return octets.join('.');
}

/** What sshd, PAM and logind put in a login session's environment (SSH_TTY: the session helper's). */
function loginSessionEnv(id: SandboxIdentity): Record<string, string> {
  const peer = loginPeer(id);
  const port = 40000 + (parseInt(id.machineId.slice(0, 4), 16) % 20000);
  return {
    SSH_CLIENT: `${peer} ${port} 22`,
    SSH_CONNECTION: `${peer} ${port} ${id.lan.address} 22`,
    SSH_TTY: '/dev/pts/0',
    MAIL: `/var/mail/${id.user}`,
    XDG_SESSION_ID: String(3 + (parseInt(id.machineId.slice(4, 6), 16) % 9)),
    XDG_RUNTIME_DIR: `/run/user/${SANDBOX_UID}`,
    XDG_SESSION_TYPE: 'tty',
    XDG_SESSION_CLASS: 'user',
    // What ~/.bash_aliases exports in the user's shell.
    EDITOR: 'vim',
    VISUAL: 'vim',
  };
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };
const signalNumber = (s: string): number => SIGNALS[s] ?? 0;

/** The phase status and the reason it ended the way it did (timeout, memory, pids, leftovers, trace losses). */
export function statusOf(d: DriverResult, traceMb: number, loss?: TraceLossCounts): { status: PhaseStatus; reason?: string } {
  const notes: string[] = [];
  if (d.oomKills > 0) notes.push(`memory limit reached (${d.oomKills} process(es) killed by the OOM killer)`);
  if (d.pidsMaxHits > 0) notes.push(`process limit reached (${d.pidsMaxHits} fork(s) refused)`);
  if (d.killed) notes.push(`${d.leftover.length} process(es) still running at the end were recorded and killed`);
  if (d.traceBytes >= traceMb * 1024 * 1024 * 0.98) notes.push(`trace incomplete: truncated at ${traceMb} MiB`);
  if (loss !== undefined && loss.lost + loss.dropped > 0) notes.push(`trace incomplete: ${loss.lost + loss.dropped} event(s) lost`);
  if (loss !== undefined && loss.suppressed > 0) notes.push(`trace incomplete: ${loss.suppressed} call(s) of a flood counted, not recorded`);
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
