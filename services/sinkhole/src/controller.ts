import os from 'node:os';
import { PassThrough, type Readable } from 'node:stream';
import Docker from 'dockerode';
import { pack } from 'tar-stream';
import { SinkholeCapture, VetboxError } from '@vetbox/contracts';
import { sinkholeBundle } from './bundle.js';
import { ANSWER_RANGE } from './server/dns.js';
import { READY_LINE, type SinkholeServerConfig } from './server/main.js';
import type { CannedResponse } from './server/responses.js';
import { createAnalysisCa } from './server/tls.js';

const DIR = '/opt/vetbox-sinkhole';
const BUNDLE = `${DIR}/sinkhole.cjs`;
const CONFIG = `${DIR}/config.json`;
const CONTROL = `${DIR}/control.sock`;
const PORTS = { dns: 53, tcp: 15001, udp: 15002 };
const MAX_CAPTURE_BYTES = 256 * 1024 * 1024;

export interface StartSinkholeOptions {
  analysisId: string;
  /** The sandbox image (node + iptables + iproute2): the sinkhole runs in a container of it. */
  image: string;
  workerId?: string;
  docker?: Docker;
  /** OCI runtime for the container (default: the engine's default). */
  runtime?: string;
  /** Canned HTTP answers, e.g. a stage-2 script for a downloader fixture. */
  canned?: CannedResponse[];
  readyTimeoutMs?: number;
  log?: (line: string) => void;
  /**
   * Hostname of the namespace. A sandbox joining it shares its UTS name, so pass the sandbox
   * identity's hostname (default: a plausible workstation name, never "sinkhole").
   */
  hostname?: string;
}

export interface Sinkhole extends AsyncDisposable {
  containerId: string;
  /** PEM of this analysis's CA: the sandbox must trust it to have its HTTPS decrypted. */
  caCertPem: string;
  /** What the sandbox passes as HostConfig.NetworkMode (and nothing else network-related). */
  networkMode: string;
  /** DNS answers come from this range, one address per name. */
  answerRange: string;
  /** Everything recorded so far; can be called more than once (e.g. after each phase). */
  collect(): Promise<SinkholeCapture>;
  /** Removes the container; idempotent. */
  stop(): Promise<void>;
}

export function sinkholeLabels(analysisId: string, workerId: string): Record<string, string> {
  return { 'vetbox.analysis': analysisId, 'vetbox.worker': workerId, 'vetbox.role': 'sinkhole' };
}

function defaultDocker(): Docker {
  return new Docker({ socketPath: process.env.DOCKER_SOCKET || '/var/run/docker.sock' });
}

function dockerError(action: string, err: unknown, containerId?: string): VetboxError {
  const status = (err as { statusCode?: number }).statusCode;
  const code = status === undefined && /ENOENT|ECONNREFUSED/.test(String(err)) ? 'DOCKER_UNAVAILABLE' : 'SANDBOX_FAILED';
  return new VetboxError(code, `sinkhole ${action} failed: ${(err as Error).message ?? String(err)}`, {
    cause: err,
    details: { containerId },
  });
}

async function archive(files: Record<string, string>): Promise<Buffer> {
  const tar = pack();
  tar.entry({ name: DIR.slice(1), type: 'directory', mode: 0o700 });
  for (const [name, content] of Object.entries(files)) {
    tar.entry({ name: `${DIR.slice(1)}/${name}`, mode: 0o600 }, content);
  }
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const c of tar as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Splits Docker's multiplexed stream and reads stdout/stderr to the end (bounded). */
async function readMultiplexed(docker: Docker, stream: Readable): Promise<{ stdout: Buffer; stderr: Buffer }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let size = 0;
  out.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_CAPTURE_BYTES) stream.destroy(new Error('capture too large'));
    else stdout.push(c);
  });
  err.on('data', (c: Buffer) => stderr.length < 100 && stderr.push(c));
  docker.modem.demuxStream(stream, out, err);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  return { stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) };
}

/** Follows the container's output until the server says it is ready, exits, or time runs out. */
async function waitReady(docker: Docker, container: Docker.Container, timeoutMs: number): Promise<void> {
  const logs = (await container.logs({ follow: true, stdout: true, stderr: true })) as unknown as Readable;
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text = (text + c.toString('utf8')).slice(-8192)));
  docker.modem.demuxStream(logs, out, out);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs} ms: ${text.trim()}`)), timeoutMs);
      const check = () => {
        if (text.includes(READY_LINE)) {
          clearTimeout(timer);
          resolve();
        }
      };
      out.on('data', check);
      logs.on('end', () => {
        clearTimeout(timer);
        reject(new Error(`sinkhole exited before it was ready: ${text.trim()}`));
      });
    });
  } finally {
    logs.destroy();
  }
}

/**
 * Starts the per-analysis sinkhole: a container whose network namespace has only `lo`, with
 * every outbound TCP/UDP flow redirected to its recorders. The sandbox joins it with
 * `NetworkMode: sinkhole.networkMode` and must NOT get NET_ADMIN.
 */
export async function startSinkhole(opts: StartSinkholeOptions): Promise<Sinkhole> {
  const docker = opts.docker ?? defaultDocker();
  const log = opts.log ?? (() => {});
  const workerId = opts.workerId ?? process.env.VETBOX_WORKER_ID ?? os.hostname();
  const ca = createAnalysisCa(opts.analysisId);
  const serverConfig: SinkholeServerConfig = {
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    ports: PORTS,
    controlSocket: CONTROL,
    canned: opts.canned ?? [],
  };
  const bundle = await sinkholeBundle();

  let container: Docker.Container;
  try {
    container = await docker.createContainer({
      Image: opts.image,
      Cmd: ['node', BUNDLE, CONFIG],
      User: '0:0',
      WorkingDir: '/',
      Labels: sinkholeLabels(opts.analysisId, workerId),
      Hostname: opts.hostname ?? 'dev-workstation',
      HostConfig: {
        NetworkMode: 'none',
        // NET_ADMIN: route + iptables + reading conntrack; NET_RAW: iptables-legacy; BIND: port 53.
        CapDrop: ['ALL'],
        CapAdd: ['NET_ADMIN', 'NET_RAW', 'NET_BIND_SERVICE'],
        SecurityOpt: ['no-new-privileges'],
        Memory: 512 * 1024 * 1024,
        PidsLimit: 64,
        ...(opts.runtime ? { Runtime: opts.runtime } : {}),
      },
    });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) {
      throw new VetboxError('SANDBOX_IMAGE_MISSING', `sinkhole image ${opts.image} not found`, { cause: err });
    }
    throw dockerError('create', err);
  }
  const id = container.id;
  log(`sinkhole create ${id.slice(0, 12)} analysis=${opts.analysisId}`);

  let removed = false;
  const stop = async () => {
    if (removed) return;
    removed = true;
    try {
      await container.remove({ force: true, v: true });
      log(`sinkhole remove ${id.slice(0, 12)}`);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw dockerError('remove', err, id);
    }
  };

  try {
    await container.putArchive(await archive({ 'sinkhole.cjs': bundle, 'config.json': JSON.stringify(serverConfig) }), {
      path: '/',
    });
    log(`sinkhole putArchive ${id.slice(0, 12)}`);
    await container.start();
    log(`sinkhole start ${id.slice(0, 12)}`);
    await waitReady(docker, container, opts.readyTimeoutMs ?? 20_000);
    log(`sinkhole ready ${id.slice(0, 12)}`);
  } catch (err) {
    await stop().catch(() => {});
    throw err instanceof VetboxError ? err : dockerError('start', err, id);
  }

  const collect = async (): Promise<SinkholeCapture> => {
    try {
      const exec = await container.exec({
        Cmd: ['node', BUNDLE, '--dump', CONTROL],
        AttachStdout: true,
        AttachStderr: true,
        User: '0:0',
      });
      const stream = (await exec.start({ hijack: true, stdin: false })) as unknown as Readable;
      const { stdout, stderr } = await readMultiplexed(docker, stream);
      const info = await exec.inspect();
      log(`sinkhole collect ${id.slice(0, 12)} bytes=${stdout.length} exit=${info.ExitCode}`);
      if (info.ExitCode !== 0) throw new Error(`dump exited ${info.ExitCode}: ${stderr.toString('utf8').trim()}`);
      return SinkholeCapture.parse(JSON.parse(stdout.toString('utf8')));
    } catch (err) {
      throw err instanceof VetboxError ? err : dockerError('collect', err, id);
    }
  };

  return {
    containerId: id,
    caCertPem: ca.certPem,
    networkMode: `container:${id}`,
    answerRange: ANSWER_RANGE,
    collect,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Removes sinkhole containers an analysis left behind (by label only). Returns how many. */
export async function removeSinkholes(analysisId: string, docker: Docker = defaultDocker()): Promise<number> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`vetbox.analysis=${analysisId}`, 'vetbox.role=sinkhole'] },
  });
  await Promise.all(list.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => {})));
  return list.length;
}
