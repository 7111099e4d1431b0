import { loadEnv, type Env } from '@vetbox/config';

export interface SandboxLimits {
  memoryMb: number;
  cpus: number;
  pids: number;
  /** Size of the writable home (workdir included); /tmp gets half. tmpfs: charged to memory too. */
  diskMb: number;
  /** Wall clock per phase, grace included. */
  phaseTimeoutMs: number;
  /** How long detached children are followed after the package manager exits. */
  graceMs: number;
  /** Size of the root-only trace tmpfs. */
  traceMb: number;
}

export function limitsFromEnv(env: Env = loadEnv()): SandboxLimits {
  return {
    memoryMb: env.SANDBOX_MEMORY_MB,
    cpus: env.SANDBOX_CPUS,
    pids: env.SANDBOX_PIDS,
    diskMb: env.SANDBOX_DISK_MB,
    phaseTimeoutMs: env.SANDBOX_PHASE_TIMEOUT_MS,
    graceMs: env.SANDBOX_GRACE_MS,
    traceMb: Math.max(64, Math.min(512, Math.floor(env.SANDBOX_MEMORY_MB / 4))),
  };
}
