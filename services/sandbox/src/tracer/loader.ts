import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '@vetbox/config';
import { VetboxError } from '@vetbox/contracts';
import type { Logger } from '../log.js';

/** Where `npm run setup` builds the loader (services/trace/ebpf/build.sh). */
export const LOADER_PATH = path.join(REPO_ROOT, 'services', 'trace', 'ebpf', 'build', 'vetbox-tracer');

/** The loader's counters for one container (cumulative), as it replies to mark and del. */
export interface LoaderCounters {
  records: number;
  lost: number;
  suppressed: number;
  dropped: number;
}

interface Pending {
  resolve: (c: LoaderCounters) => void;
  reject: (e: Error) => void;
}

/**
 * The worker's one eBPF loader (services/trace/ebpf/loader.c): a long-lived root process on the
 * host that traces every container the worker adds, each into its own session file. Adding or
 * removing a container is one line on its stdin and a map update, so a container costs no
 * program load. It exits with the worker: its stdin closes, and the kernel kills it when its
 * parent dies (PR_SET_PDEATHSIG).
 */
export class EbpfLoader {
  private readonly pending = new Map<string, Pending>();
  private seq = 0;
  private exited: string | null = null;
  private stderrTail = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams, private readonly log: Logger) {}

  /** Starts the loader; throws TRACER_UNAVAILABLE (with the loader's reason) when it cannot load. */
  static async start(opts: { binary?: string; ringMb?: number; logger: Logger; timeoutMs?: number }): Promise<EbpfLoader> {
    const binary = opts.binary ?? LOADER_PATH;
    if (!existsSync(binary)) throw new VetboxError('TRACER_UNAVAILABLE', `eBPF loader not built (${binary}): run \`npm run setup\``);
    const child = spawn(binary, [String(opts.ringMb ?? 64)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const loader = new EbpfLoader(child, opts.logger);
    child.stderr.on('data', (c: Buffer) => {
      loader.stderrTail = (loader.stderrTail + c.toString('utf8')).slice(-2000);
    });
    const ready = new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      let started = false;
      lines.on('line', (line) => {
        if (!started && line.startsWith('ready ')) {
          started = true;
          resolve();
          return;
        }
        loader.onReply(line);
      });
      child.on('error', (e) => reject(e));
      child.on('exit', (code, signal) => {
        loader.exited = `exited (${signal ?? code})`;
        const why = new VetboxError('TRACER_UNAVAILABLE', `eBPF loader ${loader.exited}: ${loader.stderrTail.trim().split('\n').slice(-3).join(' | ')}`);
        reject(why);
        for (const p of loader.pending.values()) p.reject(why);
        loader.pending.clear();
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new VetboxError('TRACER_UNAVAILABLE', 'eBPF loader did not get ready in time')), opts.timeoutMs ?? 30_000);
    });
    try {
      await Promise.race([ready, timeout]);
    } catch (e) {
      child.kill('SIGKILL');
      throw e instanceof VetboxError ? e : new VetboxError('TRACER_UNAVAILABLE', `eBPF loader failed: ${String(e)}`, { cause: e });
    } finally {
      clearTimeout(timer);
    }
    loader.idle();
    opts.logger.info({ pid: child.pid }, 'eBPF tracer loaded');
    return loader;
  }

  get alive(): boolean {
    return this.exited === null;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Starts recording the calls `uid` makes in cgroup `cgroupId` to `file` (created, 0600). */
  add(cgroupId: bigint, uid: number, maxBytes: number, file: string): Promise<LoaderCounters> {
    if (/\s/.test(file)) throw new VetboxError('INTERNAL', `session path with whitespace: ${file}`);
    return this.command((token) => `add ${cgroupId} ${uid} ${maxBytes} ${file} ${token}`);
  }

  /** Writes everything recorded so far, then a boundary: processes first seen after it belong to `phase`. */
  mark(cgroupId: bigint, phase: number): Promise<LoaderCounters> {
    return this.command((token) => `mark ${cgroupId} ${phase} ${token}`);
  }

  /** Stops recording; the session file is complete when this resolves. */
  remove(cgroupId: bigint): Promise<LoaderCounters> {
    return this.command((token) => `del ${cgroupId} ${token}`);
  }

  /** Ends the loader (tests; a worker's loader simply dies with it). */
  async stop(): Promise<void> {
    if (!this.alive) return;
    const gone = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    await Promise.race([gone, new Promise((r) => setTimeout(r, 2000).unref())]);
    if (this.alive) this.child.kill('SIGKILL');
  }

  private command(line: (token: string) => string): Promise<LoaderCounters> {
    if (!this.alive) return Promise.reject(new VetboxError('TRACER_UNAVAILABLE', `eBPF loader ${this.exited}`));
    const token = `t${++this.seq}`;
    const done = new Promise<LoaderCounters>((resolve, reject) => this.pending.set(token, { resolve, reject }));
    this.busy();
    this.child.stdin.write(`${line(token)}\n`);
    return done.finally(() => {
      if (this.pending.size === 0) this.idle();
    });
  }

  // `ok <token> <records> <lost> <suppressed> <dropped>` or `error <token> <reason>`
  private onReply(line: string): void {
    const [verb, token, ...rest] = line.split(' ');
    const p = this.pending.get(token);
    if (p === undefined) {
      this.log.warn({ line }, 'unexpected reply from the eBPF loader');
      return;
    }
    this.pending.delete(token);
    if (verb === 'ok') {
      const [records, lost, suppressed, dropped] = rest.map(Number);
      p.resolve({ records, lost, suppressed, dropped });
    } else p.reject(new VetboxError('TRACER_UNAVAILABLE', `eBPF loader: ${rest.join(' ')}`));
  }

  // While no command waits for a reply, the loader must not keep the worker's event loop alive.
  private busy(): void {
    this.child.ref();
    (this.child.stdout as unknown as { ref(): void }).ref();
  }

  private idle(): void {
    this.child.unref();
    (this.child.stdout as unknown as { unref(): void }).unref();
    (this.child.stderr as unknown as { unref(): void }).unref();
    (this.child.stdin as unknown as { unref(): void }).unref();
  }
}
