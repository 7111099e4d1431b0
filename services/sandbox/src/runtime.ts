import type { Readable, Writable } from 'node:stream';

/** Labels are the cleanup contract: every container and network vetbox creates carries both. */
export const LABEL_ANALYSIS = 'vetbox.analysis';
export const LABEL_WORKER = 'vetbox.worker';

export interface ContainerSpec {
  image: string;
  labels: Record<string, string>;
  cmd: string[];
  /** Omitted when networkMode is `container:<id>`: Docker refuses a hostname there (the UTS name comes from the network container's config). */
  hostname?: string;
  /** `none` or `container:<id>`; nothing else is accepted (safety rule 1). */
  networkMode: 'none' | `container:${string}`;
  capAdd: string[];
  memoryBytes: number;
  nanoCpus: number;
  pidsLimit: number;
  /** Mount point → tmpfs options (size-limited writable places). */
  tmpfs: Record<string, string>;
  shmSizeBytes: number;
  /** OCI runtime name (runc, runsc). */
  runtime: string;
  env?: string[];
  /** Namespaced kernel settings (`net.*` only: the container has its own network namespace). */
  sysctls?: Record<string, string>;
  /**
   * Host files or directories bound at `target`, always read-only (safety rule 4). A bind at
   * /etc/hosts, /etc/hostname or /etc/resolv.conf replaces the file Docker would bind there.
   */
  readOnlyBinds?: Array<{ source: string; target: string }>;
  /** Docker's tiny init as pid 1 (default true); false when `cmd` is an init of its own. */
  dockerInit?: boolean;
  /** A cgroup namespace of its own, so /proc/<pid>/cgroup shows `/`, not the engine's path. */
  privateCgroupNamespace?: boolean;
}

export interface ExecOptions {
  user?: string;
  env?: string[];
  workingDir?: string;
  /** Where stdout goes; when omitted it is collected (up to maxOutputBytes) into the result. */
  stdout?: Writable;
  maxOutputBytes?: number;
  /** Streamed to the command's stdin, then closed (EOF): data in with no separate copy. */
  stdin?: Readable;
}

export interface ExecResult {
  exitCode: number | null;
  stdout: Buffer;
  stderr: Buffer;
}

export interface ContainerChange {
  path: string;
  kind: 'added' | 'changed' | 'deleted';
}

export interface LabeledResource {
  kind: 'container' | 'network';
  id: string;
  labels: Record<string, string>;
  createdAtMs: number;
}

/**
 * The narrow surface the sandbox needs from a container engine. Docker (runc or gVisor's runsc
 * via Docker's --runtime) implements it today; nothing above this interface imports dockerode.
 */
export interface SandboxRuntime {
  /** OCI runtime containers are created with (from SANDBOX_RUNTIME). */
  readonly runtimeName: string;
  ping(): Promise<void>;
  imageExists(image: string): Promise<boolean>;
  create(spec: ContainerSpec): Promise<string>;
  start(id: string): Promise<void>;
  exec(id: string, cmd: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Waits for the container's main process to exit. */
  wait(id: string): Promise<{ statusCode: number }>;
  /** Extracts a tar stream into `dir` (on the image's filesystem: Docker's archive API does not see tmpfs mounts). */
  copyIn(id: string, dir: string, tar: Readable | Buffer): Promise<void>;
  /** A tar stream of `path` (image filesystem only, same caveat as copyIn). */
  copyOut(id: string, path: string): Promise<Readable>;
  changes(id: string): Promise<ContainerChange[]>;
  /**
   * What the container's main process and its children write to stdout/stderr since `sinceMs`
   * (epoch ms, second granularity), merged, following until the container stops; destroy the
   * stream to stop following.
   */
  followOutput(id: string, sinceMs: number): Promise<Readable>;
  inspectHostname(id: string): Promise<string>;
  /** Host pid of the container's init process (its cgroup scopes the eBPF tracer). */
  inspectPid(id: string): Promise<number>;
  kill(id: string, signal?: string): Promise<void>;
  stop(id: string, timeoutS: number): Promise<void>;
  /** Force-removes the container; a container that is already gone is not an error. */
  remove(id: string): Promise<void>;
  listByLabel(label: string, value?: string): Promise<LabeledResource[]>;
  removeNetwork(id: string): Promise<void>;
}
