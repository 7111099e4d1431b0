import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** Repository root, so defaults work from any workspace's cwd. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const int = (def: number) => z.coerce.number().int().nonnegative().default(def);

/**
 * Every setting vetbox reads from the environment, with defaults that work on a developer
 * machine after `npm run setup`. The README's configuration table mirrors this object.
 */
export const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['auto', 'pretty', 'json']).default('auto'),
  PORT: int(3000),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: z.string().default('postgresql://vetbox:vetbox@127.0.0.1:5432/vetbox'),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  DOCKER_SOCKET: z.string().default('/var/run/docker.sock'),
  READYZ_DOCKER: z.stringbool().default(true),
  QUEUE_NAME: z.string().default('vetbox-analyses'),
  DATA_DIR: z.string().default(path.join(REPO_ROOT, '.vetbox', 'data')),
  /** Unset: `defaultConcurrency` (one analysis per SANDBOX_CPUS cores, as many as memory holds). */
  WORKER_CONCURRENCY: int(1),
  SANDBOX_IMAGE: z.string().default(''),
  SANDBOX_RUNTIME: z.string().default('runc'),
  SANDBOX_MEMORY_MB: int(2048),
  SANDBOX_CPUS: z.coerce.number().positive().default(1),
  SANDBOX_PIDS: int(512),
  SANDBOX_DISK_MB: int(1024),
  SANDBOX_PHASE_TIMEOUT_MS: int(180_000),
  SANDBOX_GRACE_MS: int(3_000),
  /** The execute phase: time box of one call (or bin, or planted command) and of the whole phase. */
  SANDBOX_CALL_MS: int(3_000),
  SANDBOX_EXECUTE_MS: int(15_000),
  /** The idle phase (fast clock while something is left running, then install and import a date ahead); off: skipped. */
  SANDBOX_IDLE: z.stringbool().default(true),
  /** The idle phase: how long the fast clock runs (real ms) and how much time passes in it (s). */
  SANDBOX_IDLE_WINDOW_MS: int(3_000),
  SANDBOX_IDLE_SPAN_S: int(86_400),
  /** The idle phase's second install and import run this many days ahead. */
  SANDBOX_DATE_AHEAD_DAYS: int(365),
  /** Wall clock for all phases of one analysis together. */
  SANDBOX_BUDGET_MS: int(600_000),
  /** seccomp: strace --seccomp-bpf on the syscalls the behavior model reads; lean: the same without the stat family (faster, blind to stat probes); full: every syscall. */
  SANDBOX_TRACE_MODE: z.enum(['seccomp', 'lean', 'full']).default('seccomp'),
  /** auto: eBPF when it loads here (root, BTF), else strace; ebpf: eBPF or fail; strace: strace (SANDBOX_TRACE_MODE). */
  SANDBOX_TRACER: z.enum(['auto', 'ebpf', 'strace']).default('auto'),
  /** Sandbox + sinkhole pairs a worker keeps prepared ahead (0: each analysis creates its own). Unset: WORKER_CONCURRENCY. */
  SANDBOX_POOL_SIZE: z.coerce.number().int().min(0).max(16).default(1),
  NPM_REGISTRY_URL: z.string().url().default('https://registry.npmjs.org'),
  PYPI_URL: z.string().url().default('https://pypi.org'),
  /** The registry gate queues this many never-analyzed newest releases when a package is listed (0: none). */
  GATE_PREFETCH_VERSIONS: int(3),
  /** How long the registry gate uses upstream metadata before asking again. */
  GATE_UPSTREAM_TTL_SECONDS: int(120),
  UPLOAD_MAX_BYTES: int(50 * 1024 * 1024),
  ARCHIVE_MAX_UNPACKED_BYTES: int(512 * 1024 * 1024),
  ARTIFACT_RETENTION_DAYS: int(30),
  JOB_ATTEMPTS: int(3),
  /** A Docker/PostgreSQL outage longer than this is reported loudly (log, metric); queued analyses still wait. */
  DEPENDENCY_OUTAGE_MAX_MS: int(30 * 60_000),
  RATE_LIMIT_PER_MINUTE: int(600),
  VETBOX_API_KEY: z.string().optional(),
  VETBOX_SERVER: z.string().url().default('http://127.0.0.1:3000'),
  /** The address users reach this service at, for links that leave it (OSV records); default: the request's host. */
  PUBLIC_URL: z.string().url().optional(),
});
export type Env = z.infer<typeof EnvSchema>;

let cached: Env | undefined;

/** Parse once; a bad variable stops the process at boot with the reason. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  if (source === process.env && cached) return cached;
  const parsed = EnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  // Defaults that follow other settings: a worker sized to the machine, a warm sandbox per slot.
  if (!source.WORKER_CONCURRENCY) env.WORKER_CONCURRENCY = defaultConcurrency(env);
  if (!source.SANDBOX_POOL_SIZE) env.SANDBOX_POOL_SIZE = Math.min(16, env.WORKER_CONCURRENCY);
  if (source === process.env) cached = env;
  return env;
}

/**
 * Analyses a worker runs at once by default: one per SANDBOX_CPUS cores, since a sandbox is
 * capped there and fewer leave cores idle (measured on 2 cores, SANDBOX_CPUS=1: 6.1 analyses a
 * minute one at a time, 8.0 two at a time, 4.8 three), and no more than memory holds (a sandbox's
 * limit plus 512 MiB for its sinkhole and the worker's share).
 */
export function defaultConcurrency(
  env: Pick<Env, 'SANDBOX_CPUS' | 'SANDBOX_MEMORY_MB'>,
  machine: { cores: number; memoryMb: number } = { cores: os.cpus().length, memoryMb: os.totalmem() / 2 ** 20 },
): number {
  const byCpu = Math.floor(machine.cores / env.SANDBOX_CPUS);
  const byMemory = Math.floor(machine.memoryMb / (env.SANDBOX_MEMORY_MB + 512));
  return Math.max(1, Math.min(byCpu, byMemory));
}

export { createLogger, usePrettyLogs, type CreateLoggerOptions, type LogFormat, type Logger } from './logger.js';
export { runUntilSignal, type RunUntilSignalOptions } from './process.js';
export {
  DependencyMonitor,
  checkReadiness,
  dockerProbe,
  postgresProbe,
  redisProbe,
  within,
  DEFAULT_PROBE_TIMEOUT_MS,
  type DependencyChange,
  type DependencyMonitorOptions,
  type DependencyName,
  type DependencyState,
  type PingableRedis,
  type ProbeResult,
  type QueryablePrisma,
  type ReadinessProbe,
} from './dependencies.js';
