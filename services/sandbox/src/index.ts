export { phaseReport, removeUserEntry, runSandbox, runInSandbox, type RunSandboxOptions, type SandboxRunResult, type RunInSandboxOptions, type RunInSandboxResult } from './run.js';
export {
  Sandbox,
  SANDBOX_CAPS,
  SANDBOX_CAPS_EBPF,
  SANDBOX_UID,
  STRACE_BASE_ARGS,
  STRACE_SECCOMP_ARGS,
  STRACE_SECCOMP_FILE_SYSCALLS,
  STRACE_LEAN_ARGS,
  STAT_SYSCALLS,
  straceModeArgs,
  parseDriverOutput,
  statusOf,
  parseReported,
  type SandboxOptions,
  type AdoptOptions,
  type SandboxNetwork,
  type HomeFile,
  type PhaseResult,
  type CommandResult,
  type LeftoverProcess,
  type TraceMode,
  type TraceLossCounts,
  type TraceSessionFile,
} from './sandbox.js';
export { EbpfLoader, LOADER_PATH, type LoaderCounters } from './tracer/loader.js';
export { selectTracer, type TracerChoice, type TracerSetting } from './tracer/select.js';
export { cgroupIdOf } from './tracer/cgroup.js';
export { DockerRuntime, classifyDockerError, type DockerRuntimeOptions } from './docker-runtime.js';
export { LABEL_ANALYSIS, LABEL_WORKER, type SandboxRuntime, type ContainerSpec, type ExecOptions, type ExecResult, type ContainerChange, type LabeledResource } from './runtime.js';
export { WarmPool, isPoolLabel, poolMemberInUse, poolMemberStale, POOL_LABEL_PREFIX, type PoolMember, type WarmPoolOptions } from './pool.js';
export { reapOrphans, reapStale, localWorkerAlive, type ReapOptions, type ReapStaleOptions } from './reaper.js';
export { createWorkDir, reapStaleWorkDirs, reapWorkDirs, type ReapWorkDirsOptions } from './workdirs.js';
export { sandboxImage, sandboxImageTag, ensureSandboxImage, buildSandboxImage, IMAGE_DIR, IMAGE_INPUTS } from './image.js';
export { limitsFromEnv, type SandboxLimits } from './limits.js';
export { randomIdentity, plausibleHostname, plausibleUser, homeSkeleton, type SandboxIdentity } from './identity.js';
export { HELPERS, phaseCommand, packageDirs } from './commands.js';
export { parseCallRecords, RECORD_MARK } from './phases/records.js';
export { laterPhaseSettings, type LaterPhaseSettings } from './phases/settings.js';
export { CLOCK_STATE_PATH, FASTCLOCK_LIBRARY, clockStatePage } from './phases/clock.js';
export type { CaptureSelector } from './phases/capture.js';
export type { PlantedItem } from './phases/planted.js';
export { appProject, bystanderDirs, APP_PROJECT_DIR, APP_PROJECT_FROM_WORKDIR, GLOBAL_NODE_MODULES, type NpmProject } from './project.js';
export { workerId } from './worker-id.js';
export type { Logger } from './log.js';
