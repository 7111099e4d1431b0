import { PassThrough, Writable, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import Docker from 'dockerode';
import { VetboxError, type ErrorCode } from '@vetbox/contracts';
import { loadEnv } from '@vetbox/config';
import type {
  ContainerChange,
  ContainerSpec,
  ExecOptions,
  ExecResult,
  LabeledResource,
  SandboxRuntime,
} from './runtime.js';
import { defaultLogger, type Logger } from './log.js';
import { overlayChanges } from './overlay-diff.js';

const CHANGE_KINDS = ['changed', 'added', 'deleted'] as const;

interface DockerErrorShape {
  statusCode?: number;
  code?: string;
  message?: string;
  json?: { message?: string };
}

/** Which of our codes a dockerode failure is: engine unreachable, image missing, or the sandbox itself. */
export function classifyDockerError(err: unknown, action: string): ErrorCode {
  const e = (err ?? {}) as DockerErrorShape;
  if (e.code && ['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE'].includes(e.code)) return 'DOCKER_UNAVAILABLE';
  const message = `${e.json?.message ?? ''} ${e.message ?? ''}`;
  if (action === 'create' && e.statusCode === 404 && /image/i.test(message)) return 'SANDBOX_IMAGE_MISSING';
  return 'SANDBOX_FAILED';
}

function isGone(err: unknown): boolean {
  const e = (err ?? {}) as DockerErrorShape;
  const message = `${e.json?.message ?? ''} ${e.message ?? ''}`;
  return e.statusCode === 404 || (e.statusCode === 409 && /removal .* in progress|is not running/i.test(message)) || (e.statusCode === 304);
}

/** Collects at most `limit` bytes; the rest is counted and dropped (sandbox output is hostile). */
class CappedSink extends Writable {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    if (this.size < this.limit) {
      const part = chunk.subarray(0, this.limit - this.size);
      this.chunks.push(part);
      this.size += part.length;
    }
    cb();
  }
  data(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function finish(w: Writable): Promise<void> {
  w.end();
  return finished(w).then(() => undefined);
}

export interface DockerRuntimeOptions {
  socketPath?: string;
  runtimeName?: string;
  logger?: Logger;
  docker?: Docker;
}

/** SandboxRuntime over dockerode: one log line per Docker action, tagged with the container id. */
export class DockerRuntime implements SandboxRuntime {
  readonly runtimeName: string;
  private readonly docker: Docker;
  private readonly log: Logger;
  /** overlay2 layers per container (undefined: not overlay2 or not readable here). */
  private readonly layers = new Map<string, { upper: string; lower: string[] } | undefined>();

  constructor(opts: DockerRuntimeOptions = {}) {
    const env = loadEnv();
    this.docker = opts.docker ?? new Docker({ socketPath: opts.socketPath ?? env.DOCKER_SOCKET });
    this.runtimeName = opts.runtimeName ?? env.SANDBOX_RUNTIME;
    this.log = opts.logger ?? defaultLogger();
  }

  private async call<T>(action: string, containerId: string | undefined, fn: () => Promise<T>, level: 'info' | 'debug' = 'info'): Promise<T> {
    this.log[level]({ action, containerId }, `docker ${action}`);
    try {
      return await fn();
    } catch (err) {
      const code = classifyDockerError(err, action);
      this.log.warn({ action, containerId, err: String(err) }, `docker ${action} failed`);
      throw new VetboxError(code, `docker ${action} failed${containerId ? ` for ${containerId.slice(0, 12)}` : ''}: ${(err as Error)?.message ?? err}`, {
        cause: err,
        details: { action, containerId },
      });
    }
  }

  async ping(): Promise<void> {
    await this.call('ping', undefined, () => this.docker.ping(), 'debug');
  }

  async imageExists(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (err) {
      if ((err as DockerErrorShape).statusCode === 404) return false;
      throw new VetboxError(classifyDockerError(err, 'inspect-image'), `docker image inspect failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async create(spec: ContainerSpec): Promise<string> {
    if (spec.networkMode !== 'none' && !spec.networkMode.startsWith('container:')) {
      throw new VetboxError('INTERNAL', `refusing network mode ${spec.networkMode}: sandboxes get none or a sinkhole's namespace`);
    }
    const container = await this.call('create', undefined, () =>
      this.docker.createContainer({
        Image: spec.image,
        Cmd: spec.cmd,
        Hostname: spec.hostname,
        Labels: spec.labels,
        Env: spec.env,
        User: '0:0',
        HostConfig: {
          NetworkMode: spec.networkMode,
          Runtime: spec.runtime,
          Init: spec.dockerInit ?? true,
          ...(spec.privateCgroupNamespace ? { CgroupnsMode: 'private' } : {}),
          CapDrop: ['ALL'],
          CapAdd: spec.capAdd,
          SecurityOpt: ['no-new-privileges'],
          Memory: spec.memoryBytes,
          MemorySwap: spec.memoryBytes,
          NanoCpus: spec.nanoCpus,
          PidsLimit: spec.pidsLimit,
          Tmpfs: spec.tmpfs,
          ShmSize: spec.shmSizeBytes,
          ...(spec.sysctls ? { Sysctls: spec.sysctls } : {}),
          Binds: [],
          Mounts: (spec.readOnlyBinds ?? []).map((b) => ({ Type: 'bind', Source: b.source, Target: b.target, ReadOnly: true })),
          // The driver's results travel on the main process's output: keep the log small.
          LogConfig: { Type: 'json-file', Config: { 'max-size': '8m', 'max-file': '1' } },
          PortBindings: {},
          PublishAllPorts: false,
          Privileged: false,
          AutoRemove: false,
        },
      }),
    );
    this.log.info({ action: 'created', containerId: container.id }, 'docker container created');
    return container.id;
  }

  async start(id: string): Promise<void> {
    await this.call('start', id, () => this.docker.getContainer(id).start());
  }

  async exec(id: string, cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return this.call(
      'exec',
      id,
      async () => {
        const exec = await this.docker.getContainer(id).exec({
          Cmd: cmd,
          AttachStdout: true,
          AttachStderr: true,
          AttachStdin: opts.stdin !== undefined,
          User: opts.user,
          Env: opts.env,
          WorkingDir: opts.workingDir,
        });
        const stream = await exec.start({ hijack: true, stdin: opts.stdin !== undefined });
        const limit = opts.maxOutputBytes ?? 1024 * 1024;
        const out = opts.stdout ?? new CappedSink(limit);
        const err = new CappedSink(limit);
        const ended = new Promise<void>((resolve, reject) => {
          stream.once('end', resolve);
          stream.once('close', resolve);
          stream.once('error', reject);
        });
        this.docker.modem.demuxStream(stream, out, err);
        // Half-closes the connection after the input: the engine hands the command its EOF.
        if (opts.stdin) {
          opts.stdin.once('error', (e) => stream.destroy(e));
          opts.stdin.pipe(stream);
        }
        await ended;
        await Promise.all([finish(out), finish(err)]);
        const info = await exec.inspect();
        return {
          exitCode: info.ExitCode ?? null,
          stdout: out instanceof CappedSink ? out.data() : Buffer.alloc(0),
          stderr: err.data(),
        };
      },
      'debug',
    );
  }

  async wait(id: string): Promise<{ statusCode: number }> {
    const r = await this.call('wait', id, () => this.docker.getContainer(id).wait(), 'debug');
    return { statusCode: r.StatusCode };
  }

  async copyIn(id: string, dir: string, tar: Readable | Buffer): Promise<void> {
    await this.call('copy-in', id, () => this.docker.getContainer(id).putArchive(tar, { path: dir }), 'debug');
  }

  async copyOut(id: string, path: string): Promise<Readable> {
    return this.call('copy-out', id, async () => (await this.docker.getContainer(id).getArchive({ path })) as unknown as Readable, 'debug');
  }

  async changes(id: string): Promise<ContainerChange[]> {
    const layers = await this.layersOf(id);
    const fast = layers ? await overlayChanges(layers.upper, layers.lower) : undefined;
    if (fast !== undefined) return fast;
    const list = await this.call('changes', id, () => this.docker.getContainer(id).changes(), 'debug');
    return (list ?? []).map((c: { Path: string; Kind: number }) => ({ path: c.Path, kind: CHANGE_KINDS[c.Kind] ?? 'changed' }));
  }

  /** overlay2's upper and lower directories of a container, when this host can read them (cached). */
  private async layersOf(id: string): Promise<{ upper: string; lower: string[] } | undefined> {
    if (!this.layers.has(id)) {
      const info = await this.call('inspect', id, () => this.docker.getContainer(id).inspect(), 'debug');
      const data = info.GraphDriver?.Name === 'overlay2' ? (info.GraphDriver.Data as unknown as { UpperDir?: string; LowerDir?: string }) : undefined;
      this.layers.set(id, data?.UpperDir && data.LowerDir ? { upper: data.UpperDir, lower: data.LowerDir.split(':') } : undefined);
    }
    return this.layers.get(id);
  }

  async followOutput(id: string, sinceMs: number): Promise<Readable> {
    const raw = (await this.call('logs', id, () =>
      this.docker.getContainer(id).logs({ follow: true, stdout: true, stderr: true, since: Math.floor(sinceMs / 1000) }),
      'debug',
    )) as unknown as Readable;
    const out = new PassThrough();
    this.docker.modem.demuxStream(raw, out, out);
    raw.once('end', () => out.end());
    raw.once('error', (err) => out.destroy(err));
    out.once('close', () => raw.destroy());
    return out;
  }

  async inspectHostname(id: string): Promise<string> {
    const info = await this.call('inspect', id, () => this.docker.getContainer(id).inspect(), 'debug');
    return info.Config.Hostname;
  }

  async inspectPid(id: string): Promise<number> {
    const info = await this.call('inspect', id, () => this.docker.getContainer(id).inspect(), 'debug');
    return info.State.Pid;
  }

  async kill(id: string, signal = 'SIGKILL'): Promise<void> {
    this.log.info({ action: 'kill', containerId: id, signal }, 'docker kill');
    try {
      await this.docker.getContainer(id).kill({ signal });
    } catch (err) {
      if (!isGone(err)) throw new VetboxError(classifyDockerError(err, 'kill'), `docker kill failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async stop(id: string, timeoutS: number): Promise<void> {
    this.log.info({ action: 'stop', containerId: id, timeoutS }, 'docker stop');
    try {
      await this.docker.getContainer(id).stop({ t: timeoutS });
    } catch (err) {
      if (!isGone(err)) throw new VetboxError(classifyDockerError(err, 'stop'), `docker stop failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async remove(id: string): Promise<void> {
    this.log.info({ action: 'remove', containerId: id }, 'docker remove');
    this.layers.delete(id);
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      if (!isGone(err)) throw new VetboxError(classifyDockerError(err, 'remove'), `docker remove failed: ${(err as Error).message}`, { cause: err });
    }
  }

  async listByLabel(label: string, value?: string): Promise<LabeledResource[]> {
    const filter = { label: [value === undefined ? label : `${label}=${value}`] };
    const [containers, networks] = await this.call('list', undefined, () =>
      Promise.all([this.docker.listContainers({ all: true, filters: filter }), this.docker.listNetworks({ filters: filter })]),
      'debug',
    );
    return [
      ...containers.map((c) => ({ kind: 'container' as const, id: c.Id, labels: c.Labels ?? {}, createdAtMs: c.Created * 1000 })),
      ...networks.map((n) => ({ kind: 'network' as const, id: n.Id, labels: n.Labels ?? {}, createdAtMs: Date.parse(n.Created ?? '') || 0 })),
    ];
  }

  async removeNetwork(id: string): Promise<void> {
    this.log.info({ action: 'remove-network', networkId: id }, 'docker network remove');
    try {
      await this.docker.getNetwork(id).remove();
    } catch (err) {
      if (!isGone(err)) throw new VetboxError(classifyDockerError(err, 'remove-network'), `docker network remove failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
