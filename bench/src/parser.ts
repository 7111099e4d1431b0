/**
 * Parser benchmark: generates a large, realistic `strace -f -ttt -yy -s 4096` trace (streamed
 * to a temp file), then parses it end to end (parser + behavior model) in a child process and
 * prints throughput and that child's peak RSS. Figures only: nothing is asserted.
 *
 * The mix follows the recorded sandbox traces (services/trace/src/__fixtures__/real): npm's own
 * process makes ~85% of the calls (openat/statx/read of its cache and node_modules), lifecycle
 * scripts the rest; about one line in ten is half of an unfinished/resumed pair; execve, clone,
 * socket/connect, signals and exits are sprinkled in.
 *
 *   npm run bench:parser                       (220 MB by default)
 *   BENCH_TRACE_MB=500 npm run bench:parser
 *
 * Last lines: `parser: <N> MB/s` and `parser-rss: <N> MB`. Goals: >= 100 MB/s, < 200 MB.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const MB = 1024 * 1024;

// ---- generator ------------------------------------------------------------------------------

/** Deterministic PRNG so every run parses the same bytes. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

const TEXT = 'module.exports = function (a, b) {\\n  return a + b;\\n};\\n// \\"quoted\\" \\\\ and \\t tabs \\x7f\\0\\n';

class TraceWriter {
  private readonly rand = rng(42);
  private t = 1_795_000_000.0;
  /** Live package processes (pid → open fds it may use). */
  private readonly pids: number[] = [];
  private nextPid = 2000;
  private readonly pending = new Map<number, string>(); // pid → resume text

  constructor() {
    this.pids.push(1000);
  }

  private ts(): string {
    this.t += 0.000013 + this.rand() * 0.00002;
    return this.t.toFixed(6);
  }

  private pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.rand() * a.length)];
  }

  header(): string {
    return (
      `1000 ${this.ts()} execve("/usr/bin/npm", ["npm", "rebuild", "--foreground-scripts"], 0x7ffd4b75ed58 /* 20 vars */) = 0\n` +
      `1000 ${this.ts()} openat(AT_FDCWD</w>, "/home/node/.npmrc", O_RDONLY|O_CLOEXEC) = 3</home/node/.npmrc>\n`
    );
  }

  /** About `target` bytes of lines. */
  chunk(target: number): string {
    const out: string[] = [];
    let size = 0;
    while (size < target) {
      const line = this.line();
      out.push(line);
      size += line.length;
    }
    return out.join('');
  }

  private line(): string {
    const r = this.rand();
    // Finish an interrupted call now and then (another pid's lines ran in between).
    if (this.pending.size > 0 && r < 0.08) {
      const [pid, rest] = this.pending.entries().next().value as [number, string];
      this.pending.delete(pid);
      return `${pid} ${this.ts()} ${rest}\n`;
    }
    // As in the recorded sandbox traces, the package manager's own process makes most calls.
    const pid = this.rand() < 0.85 ? 1000 : this.pick(this.pids);
    if (this.pending.has(pid)) return `${pid} ${this.ts()} futex(0x7f2a5c0fe9c8, FUTEX_WAKE_PRIVATE, 1) = 0\n`;
    const pkg = Math.floor(this.rand() * 200);
    const file = Math.floor(this.rand() * 50);
    const path = `/w/node_modules/pkg${pkg}/lib/file${file}.js`;
    const fd = 18 + Math.floor(this.rand() * 10);
    if (r < 0.2) return `${pid} ${this.ts()} openat(AT_FDCWD</w>, "${path}", O_RDONLY|O_CLOEXEC) = ${fd}<${path}>\n`;
    if (r < 0.23) return `${pid} ${this.ts()} openat(AT_FDCWD</w>, "${path}x", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)\n`;
    if (r < 0.4) {
      const n = 40 + Math.floor(this.rand() * 200);
      const data = TEXT.repeat(1 + Math.floor(this.rand() * 4)).slice(0, n);
      return `${pid} ${this.ts()} read(${fd}<${path}>, "${data}"..., 4096) = ${n}\n`;
    }
    if (r < 0.5) return `${pid} ${this.ts()} newfstatat(${fd}<${path}>, "", {st_mode=S_IFREG|0644, st_size=${pkg * 31 + file}, ...}, AT_EMPTY_PATH) = 0\n`;
    if (r < 0.6) return `${pid} ${this.ts()} mmap(NULL, ${8192 * (1 + file)}, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f2a${(pkg * 4099 + file).toString(16).padStart(8, '0')}\n`;
    if (r < 0.67) return `${pid} ${this.ts()} close(${fd}<${path}>) = 0\n`;
    if (r < 0.72) return `${pid} ${this.ts()} write(1<pipe:[55348]>, "added ${pkg} packages in ${file}s\\n", 28) = 28\n`;
    if (r < 0.77) return `${pid} ${this.ts()} epoll_wait(13<anon_inode:[eventpoll]>, [{events=EPOLLIN, data={u32=${fd}, u64=${fd}}}], 1024, 0) = 1\n`;
    if (r < 0.8) return `${pid} ${this.ts()} futex(0x7f2a5c0fe9c8, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, NULL, FUTEX_BITSET_MATCH_ANY) = -1 EAGAIN (Resource temporarily unavailable)\n`;
    if (r < 0.9) {
      // Interrupted calls: `<unfinished ...>` now, `<... resumed>` a few lines later.
      if (r < 0.85) {
        this.pending.set(pid, `<... read resumed>"${TEXT.slice(0, 30)}", 4096) = 30`);
        return `${pid} ${this.ts()} read(${fd}<${path}>,  <unfinished ...>\n`;
      }
      this.pending.set(pid, `<... openat resumed>) = ${fd}<${path}>`);
      return `${pid} ${this.ts()} openat(AT_FDCWD</w>, "${path}", O_RDONLY|O_CLOEXEC <unfinished ...>\n`;
    }
    if (r < 0.93) return `${pid} ${this.ts()} statx(AT_FDCWD</w>, "${path}", AT_STATX_SYNC_AS_STAT, STATX_ALL, {stx_mask=STATX_ALL|STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFREG|0644, stx_size=${file}, ...}) = 0\n`;
    if (r < 0.95 && this.rand() < 0.05) {
      const port = 1024 + Math.floor(this.rand() * 60000);
      return (
        `${pid} ${this.ts()} socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = ${fd}<TCP:[${port}]>\n` +
        `${pid} ${this.ts()} connect(${fd}<TCP:[${port}]>, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("198.51.100.${pkg % 250}")}, 16) = -1 EINPROGRESS (Operation now in progress)\n` +
        `${pid} ${this.ts()} write(${fd}<TCP:[10.0.0.2:${port}->198.51.100.${pkg % 250}:443]>, "\\26\\3\\1\\2\\0\\1\\0\\1\\374\\3\\3", 517) = 517\n`
      );
    }
    if (r >= 0.95 && r < 0.97 && this.pids.length < 40 && this.rand() < 0.05) {
      // A lifecycle script: clone, execve, some work later, exit.
      const child = this.nextPid++;
      this.pids.push(child);
      return (
        `${pid} ${this.ts()} clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f2a5c0fe9d0) = ${child}\n` +
        `${child} ${this.ts()} execve("/bin/sh", ["sh", "-c", "node scripts/postinstall.js --pkg ${pkg}"], 0x7ffd4b75ed58 /* 20 vars */) = 0\n`
      );
    }
    if (r >= 0.97 && r < 0.98 && this.pids.length > 5 && this.rand() < 0.05) {
      const i = 1 + Math.floor(this.rand() * (this.pids.length - 1));
      const gone = this.pids[i];
      if (this.pending.has(gone)) return `${pid} ${this.ts()} getpid() = ${pid}\n`;
      this.pids.splice(i, 1);
      return `${gone} ${this.ts()} exit_group(0)   = ?\n${gone} ${this.ts()} +++ exited with 0 +++\n`;
    }
    return `${pid} ${this.ts()} rt_sigprocmask(SIG_SETMASK, [], NULL, 8) = 0\n`;
  }
}

async function generate(path: string, bytes: number): Promise<number> {
  const out = createWriteStream(path);
  const w = new TraceWriter();
  out.write(w.header());
  let written = 0;
  while (written < bytes) {
    const c = w.chunk(MB);
    written += c.length;
    if (!out.write(c, 'latin1')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return (await stat(path)).size;
}

// ---- parse (child process) ------------------------------------------------------------------

/**
 * The measured process runs the compiled packages (dist/, as the worker does), with no
 * TypeScript loader in it: its peak RSS is then the parser's and the model's, not tsx's.
 */
const CHILD = `
const { TraceParserState } = await import('@vetbox/trace');
const { buildBehavior } = await import('@vetbox/behavior');
const state = new TraceParserState();
const cpu0 = process.cpuUsage();
const started = process.hrtime.bigint();
const behavior = await buildBehavior({
  phases: [{ name: 'install', tracePath: process.env.BENCH_TRACE_PATH, parserState: state }],
  sandbox: { image: 'bench', hostname: 'bench', user: 'node', home: '/home/node', workdir: '/w', packageDirs: ['/w/node_modules/pkg7'], network: 'sinkhole' },
});
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(JSON.stringify({
  seconds,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  bytes: state.stats.bytes,
  lines: state.stats.lines,
  events: state.stats.events,
  malformed: state.stats.malformed,
  processes: behavior.processes.length,
  files: behavior.files.length,
  connections: behavior.network.connections.length,
  peakRssMb: process.resourceUsage().maxRSS / 1024, // KiB: the child's peak over its life
}) + '\\n');
`;

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const child = spawn(cmd, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${code}`);
  return out;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--generate') {
    // Keep a trace around for profiling: `--generate FILE`.
    await generate(process.argv[3], Number(process.env.BENCH_TRACE_MB ?? 220) * MB);
    return;
  }
  const targetMb = Number(process.env.BENCH_TRACE_MB ?? 220);
  console.error('building @vetbox/trace and @vetbox/behavior (the child runs dist/)...');
  await run('npx', ['turbo', 'run', 'build', '--filter=@vetbox/behavior...', '--output-logs=errors-only']);
  const dir = await mkdtemp(join(tmpdir(), 'vetbox-bench-parser-'));
  const path = join(dir, 'trace.txt');
  try {
    const g0 = Date.now();
    const size = await generate(path, targetMb * MB);
    console.error(`generated ${(size / MB).toFixed(0)} MB in ${((Date.now() - g0) / 1000).toFixed(1)} s: ${path}`);
    const out = await run(process.execPath, ['--input-type=module', '-e', CHILD], { ...process.env, BENCH_TRACE_PATH: path });
    const r = JSON.parse(out.trim().split('\n').pop()!) as {
      seconds: number; cpuSeconds: number; bytes: number; lines: number; events: number; malformed: number; processes: number; files: number; connections: number; peakRssMb: number;
    };
    console.log(`trace: ${(r.bytes / MB).toFixed(0)} MB, ${r.lines} lines, ${r.events} events, ${r.malformed} malformed`);
    console.log(`behavior: ${r.processes} processes, ${r.files} file entries, ${r.connections} connections (caps 5000 / 20000 / 5000)`);
    console.log(`time: ${r.seconds.toFixed(2)} s wall, ${r.cpuSeconds.toFixed(2)} s CPU (parser + behavior model, streaming)`);
    // The host is shared: CPU time says what the code costs when load inflates the wall clock.
    console.log(`parser-cpu: ${(r.bytes / MB / r.cpuSeconds).toFixed(0)} MB per CPU-second; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs`);
    console.log(`parser: ${(r.bytes / MB / r.seconds).toFixed(0)} MB/s`);
    console.log(`parser-rss: ${r.peakRssMb.toFixed(0)} MB`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
