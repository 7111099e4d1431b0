import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { FileAnalysis, SignalCall } from './file-analysis.js';
import { HEAD_BYTES } from './magic.js';
import type { Budget } from './source.js';

/** One code file sent to a pool thread: its bytes (read by the pass, in order) or its text. */
export interface FileJob {
  id: number;
  file: string;
  bytes?: Uint8Array;
  text?: string;
  budget: Budget;
}

/** The heads (first bytes) of a directory's files, read on a pool thread. */
export interface HeadsJob {
  id: number;
  headsOf: { dir: string; files: readonly string[] };
}

export type FileReply = { id: number } & ((FileAnalysis & { calls: SignalCall[] }) | { heads: Uint8Array; lengths: Uint8Array } | { error: string });

export type FileOutcome = FileAnalysis & { calls: SignalCall[] };

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve: (reply: any) => void; reject: (e: Error) => void }>;
}

/**
 * Threads that decode and analyze code files for the static pass, so a large package's closure
 * is parsed on every core while the pass's own thread reads files and records results. Made
 * once per process (the long-lived worker pays the threads' start-up and JIT warm-up once) and
 * shared by every pass. A thread that fails breaks the pool: callers then analyze in their own
 * thread, with the same results.
 */
export class FilePool {
  private readonly threads: Thread[] = [];
  private nextId = 0;
  /** Files analyzed on the pool's threads so far (heads jobs not counted). */
  completed = 0;
  broken?: Error;

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) this.threads.push(this.spawn());
  }

  private spawn(): Thread {
    const thread: Thread = { worker: startWorker(), pending: new Map() };
    thread.worker.unref();
    thread.worker.on('message', (reply: FileReply) => {
      const p = thread.pending.get(reply.id);
      if (!p) return;
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) thread.worker.unref();
      if ('error' in reply) p.reject(new Error(`static pool thread: ${reply.error}`));
      else {
        if ('calls' in reply) this.completed += 1;
        p.resolve(reply);
      }
    });
    const fail = (err: Error): void => {
      this.broken ??= err;
      for (const p of thread.pending.values()) p.reject(err);
      thread.pending.clear();
    };
    thread.worker.on('error', fail);
    thread.worker.on('exit', (code) => fail(new Error(`static pool thread exited (${code})`)));
    return thread;
  }

  /** Threads with nothing to do. */
  idleThreads(): number {
    return this.threads.filter((t) => t.pending.size === 0).length;
  }

  /** Analyzes one file on the least busy thread; rejects when the pool is (or becomes) broken. */
  analyze(job: Omit<FileJob, 'id'>, transfer?: ArrayBuffer): Promise<FileOutcome> {
    return this.send<FileOutcome>((id) => ({ id, ...job }) satisfies FileJob, transfer);
  }

  /** The heads of a directory's files, in order (each `HEAD_BYTES` long at most), read on a pool thread. */
  async readHeads(dir: string, files: readonly string[]): Promise<Buffer[]> {
    const reply = await this.send<{ heads: Uint8Array; lengths: Uint8Array }>((id) => ({ id, headsOf: { dir, files } }) satisfies HeadsJob);
    const all = Buffer.from(reply.heads.buffer, reply.heads.byteOffset, reply.heads.byteLength);
    return files.map((_, i) => all.subarray(i * HEAD_BYTES, i * HEAD_BYTES + reply.lengths[i]!));
  }

  /** `transfer`: memory that moves to the thread (detached here once sent). */
  private send<T>(message: (id: number) => FileJob | HeadsJob, transfer?: ArrayBuffer): Promise<T> {
    if (this.broken) return Promise.reject(this.broken);
    const thread = this.threads.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      // A thread with work keeps the process alive until it answers; an idle one never does.
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage(message(id), transfer ? [transfer] : []);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }
}

/**
 * The thread runs the compiled file-worker.js next to this module; from TypeScript sources
 * (tests, benchmarks) it registers tsx in the thread first, since a worker does not inherit the
 * parent's loader.
 */
function startWorker(): Worker {
  const source = import.meta.url.endsWith('.ts');
  const entry = new URL(`./file-worker.${source ? 'ts' : 'js'}`, import.meta.url);
  if (!source) return new Worker(entry);
  const code = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { eval: true });
}

let shared: FilePool | undefined;

/**
 * The process's pool, when `VETBOX_STATIC_THREADS` asks for one: that many threads (`auto`: one
 * per core besides the pass's own). Off by default: on the 2-core machines shared with sandboxes
 * it was measured slower, not faster (bench:static at load ~7: 16.9 MB/s and 5.2 s of CPU with
 * one thread, 21.7 MB/s and 4.1 s without; the thread's own JIT warm-up and the copies cost more
 * than it gains when no core is idle), and still slower warm on a quiet machine (the two-fold
 * bench, 2026-12-05: 29 MB/s with one thread, 39 without). Undefined when off or broken: the
 * pass then reads alone.
 */
export function sharedFilePool(): FilePool | undefined {
  if (shared?.broken) return undefined;
  if (!shared) {
    const setting = process.env.VETBOX_STATIC_THREADS ?? '0';
    const size = setting === 'auto' ? availableParallelism() - 1 : Number.parseInt(setting, 10);
    if (!Number.isInteger(size) || size <= 0) return undefined;
    shared = new FilePool(Math.min(size, 8));
  }
  return shared;
}
