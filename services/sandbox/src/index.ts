export { phaseReport, runSandbox, runInSandbox, type RunSandboxOptions, type SandboxRunResult, type RunInSandboxOptions, type RunInSandboxResult } from './run.js';
export {
  Sandbox,
  SANDBOX_CAPS,
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
  type SandboxNetwork,
  type HomeFile,
  type PhaseResult,
  type CommandResult,
  type LeftoverProcess,
  type TraceMode,
} from './sandbox.js';
export { DockerRuntime, classifyDockerError, type DockerRuntimeOptions } from './docker-runtime.js';
export { LABEL_ANALYSIS, LABEL_WORKER, type SandboxRuntime, type ContainerSpec, type ExecOptions, type ExecResult, type ContainerChange, type LabeledResource } from './runtime.js';
export { reapOrphans, localWorkerAlive, type ReapOptions } from './reaper.js';
export { createWorkDir, reapWorkDirs, type ReapWorkDirsOptions } from './workdirs.js';
export { sandboxImage, sandboxImageTag, ensureSandboxImage, buildSandboxImage, IMAGE_DIR, IMAGE_INPUTS } from './image.js';
export { limitsFromEnv, type SandboxLimits } from './limits.js';
export { randomIdentity, plausibleHostname, plausibleUser, homeSkeleton, type SandboxIdentity } from './identity.js';
export { phaseCommand, packageDirs } from './commands.js';
export { appProject, bystanderDirs, APP_PROJECT_DIR, APP_PROJECT_FROM_WORKDIR, GLOBAL_NODE_MODULES, type NpmProject } from './project.js';
export { workerId } from './worker-id.js';
export type { Logger } from './log.js';
