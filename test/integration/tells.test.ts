// #15's acceptance probe: a package whose postinstall prints what install-time code can see
// (test/fixtures/probe/probe.cjs), detonated the production way (sinkhole, canaries, persona),
// and every tell sandbox-aware malware looks for as a named check. The test fails naming each
// tell that is visible, except those still PENDING on the helper that owns them and those
// REMAINING because this engine cannot hide them (both printed on every run).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { brotliDecompressSync, crc32, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv } from '@vetbox/config';
import type { Persona, Report } from '@vetbox/contracts';
import { detonate } from '@vetbox/pipeline';
import { DockerRuntime, LABEL_ANALYSIS, appProject, ensureSandboxImage } from '@vetbox/sandbox';
import { inspectUpload, stage } from '@vetbox/fetch';
import { writeNpmArchive } from '../fixtures/pipeline/imitation.js';
import { SANDBOX_AWARE_BEACON_JS, getloginSshKeySetupPy } from '../fixtures/sandbox/evasive.js';
import { stageNpm, stagePypiSdist, tempDir } from '../fixtures/sandbox/stage.js';

const PROBE_JS = readFileSync(new URL('../fixtures/probe/probe.cjs', import.meta.url), 'utf8');
const PROBE_PY = readFileSync(new URL('../fixtures/probe/envprobe.py', import.meta.url), 'utf8');

interface Proc {
  pid: number; ppid: number; uid: number; comm: string; cmd: string; tracer: number;
  /** The probe's process and its ancestors only: readlink /proc/<pid>/exe (null where not the probe's to inspect), threads, the NULs ending its cmdline. */
  exe?: string | null; threads?: number; trailingNuls?: number;
  /** The probe's `node` process and `node` ancestors only: where fd 0 leads (null where not the probe's to inspect). */
  stdin?: string | null;
}
interface Mount { root: string; point: string; fstype: string; source: string; superOpts?: string }
interface Http { status: number; body: string }
/** What probe.cjs prints (see there). */
interface Observed {
  now: number;
  pid: number;
  cwd: string;
  argv: string[];
  title: string;
  mainFile: string | null;
  /** Later runs only: every frame of `new Error().stack` where the probe ran (Error.stackTraceLimit = Infinity). */
  stack?: string[];
  moduleCache: string[];
  project: string | null;
  /** Entries in the project's node_modules (a developer's app has hundreds). */
  projectModules: number;
  env: Record<string, string>;
  files: { dockerenv: boolean; containerenv: boolean; ldPreload: string | null };
  /** Runtime names anywhere in /proc/self/mountinfo. */
  mountinfoWords: string[];
  environ: { preload: string[]; trailingNuls: number };
  /** Later runs only: whether fds 0, 1 and 2 are terminals. */
  isatty?: { stdin: boolean; stdout: boolean; stderr: boolean };
  /** Later runs only: the sockets among its own fds it wrote a forged call record to (see probe.cjs forgeRecords). */
  forgedOn?: number[];
  unownedLibraries: string[];
  cgroup: { one: string | null; self: string | null };
  pid1: { comm: string; cmdline: string; startSec: number };
  mounts: Mount[];
  hostname: { os: string; etc: string };
  self: { tracer: number; ppid: number; seccomp: string; noNewPrivs: string; capBnd: string };
  ps: Proc[];
  paths: Record<string, string[] | null>;
  net: { interfaces: Record<string, Array<{ address: string; family: string; internal: boolean }>>; sysClassNet: string[] | null; resolv: string | null };
  dns: Record<string, { ok: boolean; answer: string } | string>;
  http: Record<string, Http>;
  credentials: Record<string, string>;
  tokens: { npm: Http | null; github: Http | null };
  hw: { cpus: number; cpuModel: string; cpuFlags: string; totalmem: number; uptime: number; procUptime: string | null; btime: number; dmi: Record<string, string | null> };
  time: { zone: string; offsetMin: number; etcTimezone: string; localtime: string | null; machineId: string };
  login: { getlogin: string; logname: string; who: string; whoBoot: string; tty: string; isatty: Record<string, boolean>; loginuid: string };
  homeFiles: { history: number; gitName: string; gitEmail: string; editor: string | null; vimrc: boolean; selectedEditor: string | null };
}

interface Context { persona: Persona; hostNowMs: number }
/** Returns what gives the sandbox away, or undefined when nothing does. */
type Check = (o: Observed, c: Context) => string | undefined;

const RUNTIME_WORDS = /docker|containerd|kubepods|libpod|podman|lxc|garden|crio|[0-9a-f]{64}/i;
const HARNESS_WORDS = /vetbox|sandbox|phase\.cjs|snapshot\.py|import-npm|import-py|execute-npm|execute-py|next-login\.cjs|steps\.cjs|\/usr\/local\/libexec\/|@@VETBOX|docker-init|tini|sleep infinity/i;
const TRACERS = /^(strace|ltrace|gdb|bpftrace|sysdig|tcpdump|frida|perf|auditd|falco|tracee)$/;
const VM_VENDORS = /qemu|kvm|virtualbox|innotek|vmware|xen|bochs|amazon|ec2|google|microsoft corporation|parallels|digitalocean|openstack|hetzner|bhyve|firecracker|cloud/i;
const BAIT_WORDS = /fake|honey|canary|dummy|test/i;
const ANALYSIS_ENV = /vetbox|sandbox|strace|analysis|honey|canary|cuckoo|malware|detonat|tracer/i;
const PRELOAD_ENV = ['NODE_OPTIONS', 'LD_PRELOAD', 'LD_AUDIT', 'LD_LIBRARY_PATH', 'PYTHONSTARTUP', 'PYTHONINSPECT', 'PERL5OPT', 'RUBYOPT'];

/** Reserved, documentation, benchmark, private, shared, loopback, link-local, multicast ranges. */
function reservedV4(ip: string): boolean {
  const [a = 0, b = 0, c = 0] = ip.split('.').map(Number);
  return a === 0 || a === 10 || a === 127 || a >= 224 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b < 32) ||
    (a === 192 && b === 168) || (a === 192 && b === 0 && (c === 0 || c === 2)) || (a === 198 && (b === 18 || b === 19)) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113);
}
/** GitHub's and npm's token checksum: the last 6 characters are the base62 CRC32 of the 30 before. */
function validTokenChecksum(token: string): boolean {
  const body = token.slice(token.indexOf('_') + 1);
  const digits = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let n = crc32(body.slice(0, 30));
  let out = '';
  while (n > 0) {
    out = digits[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out.padStart(6, '0') === body.slice(30);
}
/** The probe's process and those above it, up to pid 1: what `ps` shows a payload of what started it. */
function ancestry(o: Observed): Proc[] {
  const byPid = new Map(o.ps.map((p) => [p.pid, p]));
  const out: Proc[] = [];
  for (let p = byPid.get(o.pid); p && out.length < 64; p = p.pid === 1 ? undefined : byPid.get(p.ppid)) out.push(p);
  return out;
}
const SHELLS = /^(ba|da|z)?sh$/;
/**
 * A process that calls itself a shell is one: bash's own program (where the probe may read
 * /proc/<pid>/exe), one thread, and a cmdline that is its argv, not a shortened title with the NULs
 * it leaves (a node runner titled `bash` has node's exe, its threads and that padding).
 */
function fakeShells(o: Observed): string | undefined {
  return lines(
    ancestry(o)
      .filter((p) => SHELLS.test(p.comm) || /^-?(ba|da|z)?sh\b/.test(p.cmd))
      .flatMap((p) => [
        p.exe && !SHELLS.test(p.exe.split('/').pop() ?? '') ? `${p.pid} "${p.cmd.slice(0, 30)}" runs ${p.exe}` : undefined,
        (p.threads ?? 1) > 1 ? `${p.pid} "${p.cmd.slice(0, 30)}" has ${p.threads} threads` : undefined,
        (p.trailingNuls ?? 0) > 1 ? `${p.pid} "${p.cmd.slice(0, 30)}": cmdline ends in ${p.trailingNuls} NULs (a shortened title)` : undefined,
      ]),
  );
}
/**
 * What ps shows of the package's process and those above it is what their programs were started
 * with, or the title the program itself sets everywhere: no cmdline ending in the NULs a title
 * shorter than the original argv leaves (`node` then padding: a harness that renamed itself), but
 * sshd's titles (OpenSSH leaves the NULs) and npm's (`npm install`: npm sets process.title);
 * and no bare `node` on a terminal above the package (a REPL, which does not start programs).
 */
const OWN_TITLES = /^(sshd: |npm )/;
function retitled(o: Observed): string | undefined {
  return lines(
    ancestry(o).flatMap((p) => [
      (p.trailingNuls ?? 0) > 1 && !OWN_TITLES.test(p.cmd) ? `${p.pid} "${p.cmd.slice(0, 30)}": cmdline ends in ${p.trailingNuls} NULs (a shortened title)` : undefined,
      p.pid !== o.pid && p.comm === 'node' && p.cmd === 'node' && /^\/dev\/(pts\/\d+|tty)/.test(p.stdin ?? '') ? `${p.pid} a bare \`node\` on the terminal (a REPL) started the package` : undefined,
    ]),
  );
}
/** The phases whose command had the terminal on stdin as well: the package's code has it there too. */
const STDIN_TERMINAL_PHASES = new Set(['import', 'idle']);
/** Call records are the harness's alone: a line the package prints, or writes to a socket it holds, is never one. */
const FORGED_CALL = /forged-by-package/;

/**
 * Frames of a stack taken in the package's code name only node's own modules, `node -e`'s
 * `[eval]` (or `[stdin]`), and files in the user's home (the project, its node_modules, the package).
 */
function foreignFrames(o: Observed): string | undefined {
  if (!o.stack?.length) return 'the probe took no stack';
  const home = o.env.HOME ?? '/home/';
  const files = o.stack.map((f) => /\(([^()]+):\d+:\d+\)$|^at (?:async )?([^ ()]+):\d+:\d+$/.exec(f)).filter((m) => m !== null).map((m) => (m![1] ?? m![2]!).replace(/^file:\/\//, ''));
  return lines([...new Set(files.filter((f) => !f.startsWith('node:') && !/^\[(eval|stdin)\]/.test(f) && !f.startsWith(`${home}/`)))].map((f) => `a stack frame in ${f}`));
}
const ipsIn = (text: string): string[] => text.match(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g) ?? [];
const lines = (list: Array<string | undefined>): string | undefined => (list.filter(Boolean).length > 0 ? list.filter(Boolean).join('; ') : undefined);

const CHECKS: Record<string, Check> = {
  // ---- container
  'container.dockerenv': (o) => lines([o.files.dockerenv ? '/.dockerenv exists' : undefined, o.files.containerenv ? '/run/.containerenv exists' : undefined]),
  'container.cgroup': (o) => lines([RUNTIME_WORDS.test(o.cgroup.one ?? '') ? `/proc/1/cgroup: ${o.cgroup.one?.split('\n')[0]}` : undefined, RUNTIME_WORDS.test(o.cgroup.self ?? '') ? `/proc/self/cgroup: ${o.cgroup.self?.split('\n')[0]}` : undefined]),
  'container.pid1': (o) =>
    /^(systemd|init)$/.test(o.pid1.comm) && /^(\/sbin\/init|\/lib\/systemd\/systemd|\/usr\/lib\/systemd\/systemd)\b/.test(o.pid1.cmdline) ? undefined : `pid 1 is ${o.pid1.comm} (${o.pid1.cmdline})`,
  'container.mounts': (o) =>
    lines(
      o.mounts
        .filter((m) => HARNESS_WORDS.test(m.point) || /^\/trace\b/.test(m.point) || RUNTIME_WORDS.test(m.root) || HARNESS_WORDS.test(m.root) || /\/containers\//.test(m.root))
        .map((m) => `${m.point} (from ${m.root})`),
    ),
  'container.rootfs': (o) => {
    const root = o.mounts.find((m) => m.point === '/');
    return root && (RUNTIME_WORDS.test(root.superOpts ?? '') || root.fstype === 'overlay') ? `/ is ${root.fstype} (${(root.superOpts ?? '').slice(0, 60)}...)` : undefined;
  },
  // `grep docker /proc/self/mountinfo`: the engine's data root shows in the overlay's options
  // (setup's dockerd keeps it at /var/lib/layers; see scripts/setup.sh).
  'container.mountinfo-names': (o) => (o.mountinfoWords.length > 0 ? `/proc/self/mountinfo names ${o.mountinfoWords.join(', ')}` : undefined),
  'container.etc-binds': (o) => lines(o.mounts.filter((m) => /^\/etc\/(hosts|hostname|resolv\.conf)$/.test(m.point)).map((m) => `${m.point} is a mount`)),
  'container.proc-masks': (o) => lines(o.mounts.filter((m) => /^\/(proc|sys\/firmware)\/./.test(m.point)).map((m) => `${m.point} is a mount (${m.fstype})`)),
  'container.kernel-threads': (o) => (o.ps.some((p) => p.comm === 'kthreadd') ? undefined : 'no kernel threads (kthreadd) in ps'),
  'container.confinement': (o) =>
    lines([
      o.self.seccomp !== '0' ? `Seccomp ${o.self.seccomp}` : undefined,
      o.self.noNewPrivs !== '0' ? `NoNewPrivs ${o.self.noNewPrivs}` : undefined,
      // A workstation's processes keep the full bounding set (000001ffffffffff on 6.x kernels).
      !/^0*1ffffffffff$/.test(o.self.capBnd) ? `CapBnd ${o.self.capBnd}` : undefined,
    ]),
  'container.hostname': (o, c) =>
    lines([
      /^[0-9a-f]{12}$|^[0-9a-f]{64}$/.test(o.hostname.os) ? `hex hostname ${o.hostname.os}` : undefined,
      o.hostname.os !== c.persona.hostname ? `hostname ${o.hostname.os}, persona ${c.persona.hostname}` : undefined,
      o.hostname.etc !== o.hostname.os ? `/etc/hostname says ${o.hostname.etc}` : undefined,
    ]),
  // ---- tracer and harness
  'tracer.tracerpid': (o) => (o.self.tracer !== 0 ? `TracerPid ${o.self.tracer}` : undefined),
  'tracer.process': (o) => lines(o.ps.filter((p) => TRACERS.test(p.comm) || TRACERS.test(p.cmd.split(' ')[0]?.split('/').pop() ?? '')).map((p) => `${p.pid} ${p.cmd.slice(0, 60)}`)),
  'harness.process': (o) =>
    lines([
      ...o.ps.filter((p) => HARNESS_WORDS.test(p.cmd) || HARNESS_WORDS.test(p.comm) || /[A-Za-z0-9+/=]{200,}/.test(p.cmd)).map((p) => `${p.pid} ${p.cmd.slice(0, 60)}`),
      ...o.ps.filter((p) => p.pid !== 1 && p.ppid === 0).map((p) => `${p.pid} ${p.comm} has parent 0 (docker exec)`),
    ]),
  'harness.shells': (o) => fakeShells(o),
  'harness.paths': (o) => lines(Object.entries(o.paths).flatMap(([dir, names]) => (names ?? []).filter((n) => HARNESS_WORDS.test(n) || n === 'trace').map((n) => `${dir}: ${n}`))),
  // #15 item 3: the project around the package is an app's (named like one, a full node_modules),
  // and its lifecycle is a user's `npm install`, not the `npm rebuild` a harness runs.
  'harness.project': (o) =>
    lines([
      o.project && HARNESS_WORDS.test(o.project) ? `project package.json: ${o.project.slice(0, 80)}` : undefined,
      o.projectModules < 50 ? `an almost empty project: ${o.projectModules} entries in node_modules` : undefined,
      o.env.npm_command !== 'install' ? `npm_command=${o.env.npm_command}` : undefined,
    ]),
  // ---- network
  'network.lan-interface': (o) => {
    const lan = Object.entries(o.net.interfaces).filter(([name, addrs]) => name !== 'lo' && addrs.some((a) => a.family === 'IPv4' && !a.internal));
    return lan.length > 0 ? undefined : `interfaces: ${Object.keys(o.net.interfaces).join(', ')}`;
  },
  'network.dns-types': (o) => lines(['A', 'AAAA', 'CNAME', 'TXT', 'MX', 'SRV'].map((t) => { const r = o.dns[t] as { ok: boolean; answer: string }; return r?.ok ? undefined : `${t}: ${r?.answer}`; })),
  'network.public-addresses': (o) => {
    const a = o.dns.A as { ok: boolean; answer: string };
    const bad = [...ipsIn(a?.answer ?? ''), ...ipsIn(String(o.dns.lookup))].filter(reservedV4);
    return bad.length > 0 ? `public names resolve to reserved ${bad.join(', ')}` : undefined;
  },
  'network.address-consistency': (o) => ((o.dns.A as { answer: string })?.answer !== o.dns.again ? `A answers differ: ${(o.dns.A as { answer: string })?.answer} then ${o.dns.again}` : undefined),
  'network.whoami-geo': (o, c) =>
    lines(
      Object.entries(o.http).map(([svc, r]) => {
        const ips = ipsIn(r.body);
        if (r.status !== 200 || ips.length === 0) return `${svc}: ${r.status} ${r.body.slice(0, 60)}`;
        if (ips.some(reservedV4)) return `${svc} says ${ips.join(',')}`;
        if (c.persona.publicAddress && !ips.includes(c.persona.publicAddress)) return `${svc} says ${ips[0]}, persona ${c.persona.publicAddress}`;
        return undefined;
      }),
    ),
  'network.token-validation': (o) =>
    lines(Object.entries(o.tokens).map(([svc, r]) => (r === null ? `${svc}: no token planted` : r.status !== 200 ? `${svc}: ${r.status} ${r.body.slice(0, 60)}` : undefined))),
  // ---- bait
  'bait.canary-formats': (o) => {
    const aws = /aws_access_key_id\s*=\s*(\S+)/.exec(o.credentials['.aws/credentials'] ?? '')?.[1];
    const tokens = [...Object.values(o.env), ...Object.values(o.credentials)].join('\n').match(/\b(?:gh[pousr]|npm)_[A-Za-z0-9]{36}\b/g) ?? [];
    return lines([
      aws === undefined ? 'no AWS key planted' : !/^AKIA[A-Z2-7]{16}$/.test(aws) || /EXAMPLE/.test(aws) ? `AWS key ${aws}` : undefined,
      tokens.length === 0 ? 'no GitHub or npm token planted' : undefined,
      ...[...new Set(tokens)].filter((t) => !validTokenChecksum(t)).map((t) => `${t.slice(0, 4)}… has no valid CRC32 checksum`),
      ...Object.entries(o.env).filter(([k]) => /TOKEN|KEY|SECRET/.test(k)).filter(([, v]) => /EXAMPLE|x{6,}|0{8,}/i.test(v)).map(([k]) => `${k} looks like a documentation example`),
    ]);
  },
  'bait.no-bait-words': (o, c) =>
    lines([
      ...Object.entries(o.credentials).filter(([, v]) => BAIT_WORDS.test(v)).map(([f, v]) => `~/${f}: ${BAIT_WORDS.exec(v)?.[0]}`),
      ...Object.entries(o.env).filter(([k, v]) => /TOKEN|KEY|SECRET|PASS|AUTH/.test(k) && BAIT_WORDS.test(v)).map(([k]) => `$${k}`),
      ...[c.persona.user, c.persona.hostname, c.persona.fullName, c.persona.email].filter((v) => BAIT_WORDS.test(v)).map((v) => `persona ${v}`),
    ]),
  'bait.no-analysis-env': (o) => lines(Object.entries(o.env).filter(([k, v]) => ANALYSIS_ENV.test(k) || ANALYSIS_ENV.test(v)).map(([k]) => `$${k}`)),
  'bait.no-preload-hooks': (o) =>
    lines([
      ...PRELOAD_ENV.filter((k) => o.env[k] !== undefined).map((k) => `$${k}`),
      ...o.environ.preload.map((k) => `/proc/self/environ: ${k}`),
      o.files.ldPreload !== null ? '/etc/ld.so.preload' : undefined,
    ]),
  'bait.environ-padding': (o) => (o.environ.trailingNuls > 1 ? `/proc/self/environ ends in ${o.environ.trailingNuls} NUL bytes` : undefined),
  'bait.unowned-libraries': (o) => lines(o.unownedLibraries.map((l) => `${l} is mapped and no package owns it`)),
  // ---- hardware and time
  'hardware.cpus': (o) => (o.hw.cpus >= 2 ? undefined : `${o.hw.cpus} CPU`),
  'hardware.cpu-model': (o) => lines([VM_VENDORS.test(o.hw.cpuModel) || /EPYC|Xeon|Virtual/i.test(o.hw.cpuModel) ? `CPU ${o.hw.cpuModel}` : undefined, /\bhypervisor\b/.test(o.hw.cpuFlags) ? 'hypervisor flag' : undefined]),
  'hardware.memory': (o) => (o.hw.totalmem >= 8 * 1024 ** 3 ? undefined : `${(o.hw.totalmem / 1024 ** 3).toFixed(1)} GiB`),
  'hardware.uptime': (o) =>
    lines([
      o.hw.uptime < 3600 ? `uptime ${Math.round(o.hw.uptime)} s` : undefined,
      Math.abs(o.now / 1000 - o.hw.btime - o.hw.uptime) > 120 ? `btime ${o.hw.btime} disagrees with uptime ${Math.round(o.hw.uptime)}` : undefined,
    ]),
  'hardware.dmi': (o) => {
    const { sys_vendor, product_name, board_vendor, bios_vendor, chassis_type } = o.hw.dmi;
    if (!sys_vendor || !product_name) return 'no DMI (/sys/class/dmi/id)';
    return lines([
      ...[sys_vendor, product_name, board_vendor, bios_vendor].filter((v): v is string => !!v && VM_VENDORS.test(v)).map((v) => `DMI ${v.trim()}`),
      !['8', '9', '10', '14', '31', '32'].includes((chassis_type ?? '').trim()) ? `chassis type ${chassis_type?.trim()}` : undefined,
    ]);
  },
  'time.init-start': (o) => (o.pid1.startSec > 600 ? `pid 1 started ${Math.round(o.pid1.startSec)} s after boot` : undefined),
  'time.clock': (o, c) => (Math.abs(o.now - c.hostNowMs) > 10 * 60_000 ? `clock off by ${Math.round((o.now - c.hostNowMs) / 1000)} s` : undefined),
  'time.timezone': (o, c) =>
    lines([
      o.time.zone !== c.persona.timezone ? `zone ${o.time.zone}, persona ${c.persona.timezone}` : undefined,
      o.time.etcTimezone !== c.persona.timezone ? `/etc/timezone ${o.time.etcTimezone}` : undefined,
      !o.time.localtime?.endsWith(c.persona.timezone) ? `/etc/localtime → ${o.time.localtime}` : undefined,
    ]),
  'persona.machine-id': (o, c) => (o.time.machineId !== c.persona.machineId ? `machine id ${o.time.machineId}, persona ${c.persona.machineId}` : undefined),
  // ---- login session (#15 item 4)
  'login.getlogin': (o, c) => lines([o.login.getlogin !== c.persona.user ? `os.getlogin(): ${o.login.getlogin}` : undefined, o.login.logname !== c.persona.user ? `logname: ${o.login.logname}` : undefined]),
  'login.who': (o, c) => lines([!o.login.who.split('\n').some((l) => l.startsWith(`${c.persona.user} `)) ? `who: ${o.login.who || '(nobody)'}` : undefined, !/system boot/.test(o.login.whoBoot) ? 'who -b: no boot record' : undefined]),
  'login.terminal': (o) =>
    lines([!/^\/dev\/pts\/\d+$/.test(o.login.tty) ? `tty: ${o.login.tty}` : undefined, ...Object.entries(o.login.isatty).filter(([, t]) => !t).map(([fd]) => `${fd} is not a terminal`)]),
  'login.home': (o, c) =>
    lines([
      o.homeFiles.history < 10 ? `${o.homeFiles.history} lines of shell history` : undefined,
      o.homeFiles.gitName !== c.persona.fullName || o.homeFiles.gitEmail !== c.persona.email ? `git config ${o.homeFiles.gitName} <${o.homeFiles.gitEmail}>` : undefined,
      !o.homeFiles.editor || !o.homeFiles.vimrc ? 'no editor configured' : undefined,
    ]),
};

/**
 * Tells another helper makes pass: each owner removes its names when its work lands on main
 * (the test then asserts them). Printed on every run, with a note when one already passes.
 */
const PENDING: Record<string, string> = {
  // The eBPF tracer (#17) hides these; only a worker told to trace with strace shows them
  // (report.sandbox.tracer.visibleToPackage). SANDBOX_TRACER=auto must find eBPF here, or fail.
  ...(loadEnv().SANDBOX_TRACER === 'strace'
    ? { 'tracer.tracerpid': 'SANDBOX_TRACER=strace: TracerPid is strace', 'tracer.process': 'SANDBOX_TRACER=strace: strace is in ps' }
    : {}),
};

/** Tells this engine cannot hide (Docker 20.10 / runc 1.1, no CAP_SYS_ADMIN for the sandbox). */
const REMAINING: Record<string, string> = {
  'container.rootfs': "the root is Docker's overlay, its layer directories (64-hex ids under overlay2/) in its options (storage driver; hiding it needs a mount namespace trick that needs CAP_SYS_ADMIN)",
  'container.etc-binds': 'Docker mounts /etc/hosts, /etc/hostname and /etc/resolv.conf in every container; ours replace its files (no /var/lib/docker paths), the mount points remain',
  'container.proc-masks': "Docker's masked and read-only /proc paths (kcore, keys, sysrq-trigger, sys, ...) stay, or container root could write host-wide sysctls; ours bind cpuinfo/uptime/stat for the laptop",
  'container.kernel-threads': "a private pid namespace shows no kernel threads; only the host's pid namespace would (never)",
  'container.confinement': "Docker's seccomp filter, no-new-privileges and the reduced capability bounding set stay: safety over stealth",
  'bait.environ-padding': "the fast clock (#16) takes its LD_PRELOAD out of the environment block /proc/self/environ shows; the block's end cannot move without CAP_SYS_RESOURCE (prctl PR_SET_MM), so the bytes it took remain as NULs",
  'bait.unowned-libraries': "the fast clock (#16, image/src/fastclock.c) is mapped into every process that follows it, as a system-looking library no Debian package owns; only a clock outside the process (a time namespace with a rate, which Linux does not have) would avoid it",
  'time.init-start': "pid 1 started when the container did, counted from the host's real boot (/proc/<pid>/stat; runc 1.1 has no time namespace)",
};

const runtime = new DockerRuntime();
let image = '';
const cleanup: string[] = [];

beforeAll(async () => {
  image = await ensureSandboxImage(runtime, { build: true });
}, 600_000);

afterAll(async () => {
  await Promise.all(cleanup.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Every probe output the phase printed (the later phases print the lite one: see probe.cjs). */
function probesIn(report: Report, phase: string): Observed[] {
  const p = report.phases.find((x) => x.name === phase);
  return [...(p?.stdoutTail ?? '').matchAll(/@@PROBE@@([A-Za-z0-9+/=]+)/g)].map((m) => JSON.parse(brotliDecompressSync(Buffer.from(m[1]!, 'base64')).toString('utf8')) as Observed);
}

/** The package's npm lifecycle as its scripts see it: npm_* variables, INIT_CWD, directory and the npm process above it. */
function lifecycle(o: Observed): Record<string, string> {
  const byPid = new Map(o.ps.map((p) => [p.pid, p]));
  let npm: Proc | undefined;
  for (let p = byPid.get(o.pid); p && !npm; p = byPid.get(p.ppid)) if (p.comm === 'npm' || /^npm\b/.test(p.cmd)) npm = p;
  const env = Object.entries(o.env).filter(([k]) => k.startsWith('npm_') || k === 'INIT_CWD');
  return { ...Object.fromEntries(env), cwd: o.cwd, 'npm process': npm?.cmd ?? '(none)' };
}

/**
 * The later phases run the package's code again: the idle window's second install (its
 * postinstall), the import, the execute harness's calls, the next login's shell. There the
 * package sees no harness in ps, in its own argv, main module or module cache, nor in its
 * environment; and the second install is the install phase's `npm install` to its scripts.
 */
const LATER_CHECKS: Record<string, (o: Observed, install: Observed, c: Context & { phase: string }) => string | undefined> = {
  'harness.process': (o, _i, c) => CHECKS['harness.process']!(o, c),
  // #15 residual 1: the node harnesses were `node` and the NULs of a shortened title, the execute
  // worker's parent too.
  'harness.titles': (o) => retitled(o),
  // The package's stdout and stderr are the terminal in every later phase (the execute worker's
  // stdout was the harness's record pipe), and its stdin where the phase's command had it.
  'login.terminal': (o, _i, c) =>
    lines(
      Object.entries(o.isatty ?? {})
        .filter(([fd, tty]) => !tty && (fd !== 'stdin' || STDIN_TERMINAL_PHASES.has(c.phase)))
        .map(([fd]) => `${fd} is not a terminal`),
    ),
  'harness.argv': (o) =>
    lines([
      ...[o.title, ...o.argv].filter((a) => HARNESS_WORDS.test(a)).map((a) => `argv/title ${a.slice(0, 60)}`),
      o.mainFile && HARNESS_WORDS.test(o.mainFile) ? `require.main ${o.mainFile}` : undefined,
      ...o.moduleCache.filter((f) => HARNESS_WORDS.test(f)).map((f) => `require.cache ${f}`),
    ]),
  'harness.shells': (o) => fakeShells(o),
  'harness.stack': (o) => foreignFrames(o),
  'bait.no-analysis-env': (o, _i, c) => CHECKS['bait.no-analysis-env']!(o, c),
  'bait.no-preload-hooks': (o, _i, c) => CHECKS['bait.no-preload-hooks']!(o, c),
  'idle.npm-install': (o, install) => {
    if (o.env.npm_lifecycle_event === undefined) return undefined; // not the postinstall: the import step
    const [seen, first] = [lifecycle(o), lifecycle(install)];
    return lines([...new Set([...Object.keys(first), ...Object.keys(seen)])].filter((k) => seen[k] !== first[k]).map((k) => `${k}=${seen[k] ?? '(unset)'}, at install ${first[k] ?? '(unset)'}`));
  },
};

function decodeProbe(report: Report): Observed {
  const install = report.phases.find((p) => p.name === 'install');
  const marker = /@@PROBE@@([A-Za-z0-9+/=]+)/.exec(install?.stdoutTail ?? '');
  if (!marker) throw new Error(`no probe output in the install phase: ${install?.status} ${install?.reason ?? ''}\n${install?.stdoutTail}\n${install?.stderrTail}`);
  return JSON.parse(brotliDecompressSync(Buffer.from(marker[1]!, 'base64')).toString('utf8')) as Observed;
}

describe('tells: what install-time code sees of the sandbox (#15)', () => {
  it('every named check passes, except pending owners and what the engine cannot hide', async () => {
    // Uploaded and staged as production stages it: the probe sees the project a package gets.
    const work = await tempDir('tells');
    cleanup.push(work);
    const archive = await writeNpmArchive(work, { name: 'env-probe', version: '1.0.0', scripts: { postinstall: 'node probe.cjs' }, files: { 'probe.cjs': PROBE_JS, 'index.js': 'module.exports = {};\n' } });
    const staged = await stage(await inspectUpload(archive), work, { npmProject: appProject() });
    const analysisId = `test-tells-${randomUUID()}`;
    const { report } = await detonate(staged, { analysisId, image, phases: ['install'], limits: { graceMs: 500, phaseTimeoutMs: 120_000 } });
    const hostNowMs = Date.now();
    expect(await runtime.listByLabel(LABEL_ANALYSIS, analysisId)).toEqual([]);
    const persona = report.sandbox?.persona;
    expect(persona, 'report.sandbox.persona').toBeDefined();
    const observed = decodeProbe(report);

    const results = Object.entries(CHECKS).map(([name, check]) => ({ name, tell: check(observed, { persona: persona!, hostNowMs }) }));
    const rows = results.map(({ name, tell }) => {
      const state = !tell ? (name in PENDING || name in REMAINING ? 'passes (remove from PENDING/REMAINING)' : 'ok') : name in PENDING ? `pending — ${PENDING[name]}` : name in REMAINING ? `remaining — ${REMAINING[name]}` : 'VISIBLE';
      return `${tell ? '✗' : '✓'} ${name.padEnd(28)} ${state}${tell ? `\n      ${tell}` : ''}`;
    });
    const phases = report.phases.map((p) => `${p.name} ${p.status} ${p.durationMs} ms`).join(', ');
    console.log(`what the probe saw (persona ${persona!.user}@${persona!.hostname}; ${phases}):\n${rows.join('\n')}`);
    for (const name of [...Object.keys(PENDING), ...Object.keys(REMAINING)]) expect(CHECKS, `unknown check ${name}`).toHaveProperty([name]);
    const visible = results.filter((r) => r.tell && !(r.name in PENDING) && !(r.name in REMAINING)).map((r) => `${r.name}: ${r.tell}`);
    expect(visible).toEqual([]);
  }, 400_000);
});

describe('tells: what the later phases show the package (#15)', () => {
  it('the idle install is the install phase\'s `npm install`; import, execute, idle and next-login show no harness', async () => {
    const work = await tempDir('tells-later');
    cleanup.push(work);
    // Required (import, execute) or run again (the idle window's postinstall, the next login's
    // ~/.bashrc line the first run planted), the probe prints what those phases change.
    const archive = await writeNpmArchive(work, { name: 'env-probe', version: '1.0.0', scripts: { postinstall: 'node probe.cjs' }, files: { 'probe.cjs': PROBE_JS, 'index.js': "require('./probe.cjs');\nmodule.exports = {};\n" } });
    const staged = await stage(await inspectUpload(archive), work, { npmProject: appProject() });
    const analysisId = `test-tells-${randomUUID()}`;
    const later = { callMs: 3000, executeMs: 10_000, idleWindowMs: 2000, idleSpanS: 86_400 };
    const { report } = await detonate(staged, { analysisId, image, phases: ['install', 'import', 'execute', 'idle', 'next-login'], later, limits: { graceMs: 500, phaseTimeoutMs: 120_000 } });
    expect(await runtime.listByLabel(LABEL_ANALYSIS, analysisId)).toEqual([]);
    const context = { persona: report.sandbox!.persona!, hostNowMs: Date.now() };
    const install = decodeProbe(report);
    const phases = report.phases.map((p) => `${p.name} ${p.status} ${p.durationMs} ms`).join(', ');
    const seen = (['import', 'execute', 'idle', 'next-login'] as const).map((phase) => ({ phase, probes: probesIn(report, phase) }));
    const missing = seen.filter((x) => x.probes.length === 0).map((x) => `${x.phase}: ${report.phases.find((p) => p.name === x.phase)?.stdoutTail.slice(-300)}`);
    expect(missing, `the probe ran in every later phase (${phases})`).toEqual([]);
    const idle = report.phases.find((p) => p.name === 'idle');
    const idleOutput = `${idle?.stdoutTail.replace(/@@PROBE@@\S+/g, '@@PROBE@@…')}\n${idle?.stderrTail}`;
    expect(probesIn(report, 'idle').some((o) => o.env.npm_lifecycle_event === 'postinstall'), `the idle window ran the postinstall again: ${idleOutput}`).toBe(true);
    expect(lifecycle(install)['npm process'], 'the probe sees the npm above its postinstall').toMatch(/^npm /);
    const visible = seen.flatMap(({ phase, probes }) =>
      probes.flatMap((o) => Object.entries(LATER_CHECKS).map(([name, check]) => ({ name: `${phase}: ${name}`, tell: check(o, install, { ...context, phase }) }))).filter((r) => r.tell),
    );
    // #15 residual 2: the harness's call records crossed the terminal, where the package's own
    // output goes: a line it printed became a call (and a record could be read where it ran).
    const forged = (report.behavior.calls ?? []).filter((c) => FORGED_CALL.test(c.name));
    if (forged.length > 0) visible.push({ name: 'harness.records', tell: forged.map((c) => `${c.phase}: a call "${c.name}" the package forged`).join('; ') });
    // What the user's terminal shows in those phases: the package's output, nothing of the harness
    // (an import that worked prints nothing, as `node -e "require('pkg')"` does).
    for (const phase of ['import', 'execute', 'idle', 'next-login']) {
      const p = report.phases.find((x) => x.name === phase);
      const terminal = `${p?.stdoutTail ?? ''}\n${p?.stderrTail ?? ''}`.replace(/@@PROBE@@\S+/g, '').replace(/@@VBCALL@@\{[^\n]*forged-by-package[^\n]*/g, '');
      const marker = /vetbox|@@[A-Z]+@@|import-(npm|py)/i.exec(terminal);
      if (marker) visible.push({ name: `${phase}: harness.terminal`, tell: `the terminal shows "${terminal.slice(Math.max(0, marker.index - 20), marker.index + 40).replace(/\s+/g, ' ')}"` });
    }
    console.log(`what the later phases showed the probe (${phases}):\n${visible.map((v) => `✗ ${v.name}\n      ${v.tell}`).join('\n') || '✓ nothing'}`);
    expect(visible.map((v) => `${v.name}: ${v.tell}`)).toEqual([]);
  }, 400_000);
});

/** What test/fixtures/probe/envprobe.py prints when a Python harness imports it. */
interface PythonObserved {
  pid: number;
  argv: string[];
  /** Names in sys.modules['__main__'] but the dunders. */
  mainNames: string[] | null;
  /** The first frame above the module's import that is not importlib's (null: the probe is __main__). */
  importer: { file: string; function: string; globalsAreMain: boolean; names: string[] } | null;
  stack: string[];
  forgedOn: number[];
}

describe('tells: what a PyPI package sees of the program that imports it (#15)', () => {
  it('import and execute: __main__ and the importing frame are those of `python3 -c "import pkg"`; a record it forges is no call', async () => {
    const staged = await stagePypiSdist({
      name: 'envprobe',
      setupPy: "from setuptools import setup\nsetup(name='envprobe', version='1.0.0', py_modules=['envprobe'])\n",
      files: { 'envprobe.py': PROBE_PY },
    });
    cleanup.push(staged.dir);
    const analysisId = `test-tells-${randomUUID()}`;
    const later = { callMs: 3000, executeMs: 10_000, idleWindowMs: 2000, idleSpanS: 86_400 };
    const { report } = await detonate(staged, { analysisId, image, phases: ['install', 'import', 'execute'], later, limits: { graceMs: 500, phaseTimeoutMs: 120_000 } });
    expect(await runtime.listByLabel(LABEL_ANALYSIS, analysisId)).toEqual([]);
    const phases = report.phases.map((p) => `${p.name} ${p.status} ${p.durationMs} ms`).join(', ');
    const seen = (['import', 'execute'] as const).map((phase) => {
      const p = report.phases.find((x) => x.name === phase);
      const probes = [...(p?.stdoutTail ?? '').matchAll(/@@PROBE@@([A-Za-z0-9+/=]+)/g)].map((m) => JSON.parse(gunzipSync(Buffer.from(m[1]!, 'base64')).toString('utf8')) as PythonObserved);
      // `python -m envprobe` (execute) runs the probe as __main__ itself: only imports count here.
      return { phase, probes: probes.filter((o) => o.importer !== null), output: `${p?.stdoutTail.slice(-400)}\n${p?.stderrTail.slice(-400)}` };
    });
    expect(seen.filter((x) => x.probes.length === 0).map((x) => `${x.phase}: ${x.output}`), `the harness imported the probe (${phases})`).toEqual([]);
    const own = new Set(['envprobe']);
    const visible = seen.flatMap(({ phase, probes }) =>
      probes.flatMap((o) => {
        const tells = {
          // #15 residual 4: the harness ran as __main__ and imported from its own functions.
          'harness.python-main': lines([
            ...(o.mainNames ?? []).filter((n) => !own.has(n)).map((n) => `__main__.${n}`),
            o.importer && !o.importer.globalsAreMain ? `the importing frame (${o.importer.file} ${o.importer.function}) has globals of its own` : undefined,
            ...(o.importer?.names ?? []).filter((n) => !own.has(n)).map((n) => `importer's global ${n}`),
            o.importer && !['<stdin>', '<string>'].includes(o.importer.file) ? `imported from ${o.importer.file}` : undefined,
          ]),
          'harness.argv': lines(o.argv.filter((a) => a !== '' && a !== '-c').map((a) => `sys.argv ${a.slice(0, 60)}`)),
        };
        return Object.entries(tells).filter(([, tell]) => tell).map(([name, tell]) => ({ name: `${phase}: ${name}`, tell: tell! }));
      }),
    );
    const forged = (report.behavior.calls ?? []).filter((c) => FORGED_CALL.test(c.name));
    if (forged.length > 0) visible.push({ name: 'harness.records', tell: forged.map((c) => `${c.phase}: a call "${c.name}" the package forged`).join('; ') });
    expect((report.behavior.calls ?? []).some((c) => c.phase === 'execute'), `the execute harness's own records still arrive (${phases})`).toBe(true);
    console.log(`what a PyPI package saw of its importer (${phases}):\n${visible.map((v) => `✗ ${v.name}\n      ${v.tell}`).join('\n') || '✓ nothing'}`);
    expect(visible.map((v) => `${v.name}: ${v.tell}`)).toEqual([]);
  }, 400_000);
});

/** As production detonates (sinkhole, canaries, persona); the container is gone afterwards. */
async function detonateFixture(staged: Awaited<ReturnType<typeof stageNpm>>): Promise<{ report: Report; text: string }> {
  cleanup.push(staged.dir);
  const analysisId = `test-tells-${randomUUID()}`;
  const { report } = await detonate(staged, { analysisId, image, limits: { graceMs: 1000, phaseTimeoutMs: 120_000 } });
  expect(await runtime.listByLabel(LABEL_ANALYSIS, analysisId)).toEqual([]);
  const text = [
    `${staged.name}: ${report.verdict} — ${report.summary}`,
    ...report.phases.map((p) => `  ${p.name} ${p.status}: ${p.stdoutTail.trim().split('\n').slice(-3).join(' | ')} ${p.stderrTail.trim().split('\n').slice(-2).join(' | ')}`),
    ...report.findings.map((f) => `  ${f.rule}(${f.severity}) ${f.title}`),
  ].join('\n');
  console.log(text);
  return { report, text };
}

describe('tells: imitation malware that needs a workstation reaches its payload (#15)', () => {
  it('setup.py calls os.getlogin() before it sends the SSH key: malicious', async () => {
    const staged = await stagePypiSdist({ name: 'loginsteal', setupPy: getloginSshKeySetupPy('loginsteal'), files: { 'loginsteal.py': 'VALUE = 1\n' } });
    const { report, text } = await detonateFixture(staged);
    expect(report.verdict, text).toBe('malicious');
    expect(report.findings.map((f) => f.rule), text).toContain('credential-exfiltration');
  }, 400_000);

  it('a postinstall that beacons only where it sees no container and no tracer: malicious', async () => {
    const staged = await stageNpm({ name: 'quiet-telemetry', scripts: { postinstall: 'node beacon.js' }, files: { 'beacon.js': SANDBOX_AWARE_BEACON_JS, 'index.js': 'module.exports = 1;\n' } });
    const { report, text } = await detonateFixture(staged);
    expect(report.phases[0]?.stdoutTail, text).toMatch(/sandbox-aware: container=none/);
    expect(report.verdict, text).toBe('malicious');
    expect(report.findings.map((f) => f.rule), text).toContain('credential-exfiltration');
    const contacted = report.findings.filter((f) => f.rule === 'network-activity').map((f) => f.title).join('\n');
    // The eBPF tracer (#17) is invisible, so the second stage fires; only a worker told to trace
    // with strace shows as TracerPid, and then the second stage stays quiet.
    if (loadEnv().SANDBOX_TRACER === 'strace') {
      expect(report.phases[0]?.stdoutTail, text).toMatch(/tracer=tracerpid/);
    } else {
      expect(report.sandbox?.tracer?.visibleToPackage, text).toBe(false);
      expect(contacted, text).toMatch(/checkin\.example/);
    }
  }, 400_000);
});
