import type { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import { SinkholeCapture, VetboxError, isVetboxError } from '@vetbox/contracts';
import { DockerRuntime, LABEL_ANALYSIS, LABEL_WORKER, workerId as currentWorkerId, type SandboxRuntime } from '@vetbox/sandbox';
import { sinkholeBundle } from './bundle.js';
import { ANSWER_RANGE } from './server/dns.js';
import { STARTUP_ERROR_FILE, type SinkholeServerConfig } from './server/main.js';
import type { CannedResponse } from './server/responses.js';
import { createAnalysisCa } from './server/tls.js';

const DIR = '/opt/vetbox-sinkhole';
const BUNDLE = `${DIR}/sinkhole.cjs`;
const CONFIG = `${DIR}/config.json`;
const CONTROL = `${DIR}/control.sock`;
const PORTS = { dns: 53, tcp: 15001, udp: 15002 };
const MAX_CAPTURE_BYTES = 256 * 1024 * 1024;
export const LABEL_ROLE = 'vetbox.role';

export interface StartSinkholeOptions {
  analysisId: string;
  /** The sandbox image (node + iptables + iproute2): the sinkhole runs in a container of it. */
  image: string;
  /** Container engine (default: DockerRuntime from the environment). */
  runtime?: SandboxRuntime;
  workerId?: string;
  /** Canned HTTP answers, e.g. a stage-2 script for a downloader fixture. */
  canned?: CannedResponse[];
  readyTimeoutMs?: number;
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
  /** What the sandbox's network option is: `{ mode: 'container', containerId }`. */
  network: { mode: 'container'; containerId: string };
  /** DNS answers come from this range, one address per name. */
  answerRange: string;
  /** Everything recorded so far; can be called more than once (e.g. after each phase). */
  collect(): Promise<SinkholeCapture>;
  /** Removes the container; idempotent. */
  stop(): Promise<void>;
}

export function sinkholeLabels(analysisId: string, workerId: string): Record<string, string> {
  return { [LABEL_ANALYSIS]: analysisId, [LABEL_WORKER]: workerId, [LABEL_ROLE]: 'sinkhole' };
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

/** First regular file of a tar stream (what getArchive returns for one path), capped. */
async function firstFile(tar: Readable, limit = 64 * 1024): Promise<string> {
  const ex = extract();
  tar.pipe(ex);
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of entry as AsyncIterable<Buffer>) if ((size += c.length) <= limit) chunks.push(c);
    if (entry.header.type === 'file') return Buffer.concat(chunks).toString('utf8');
  }
  return '';
}

async function startupError(runtime: SandboxRuntime, id: string): Promise<string> {
  try {
    return (await firstFile(await runtime.copyOut(id, `${DIR}/${STARTUP_ERROR_FILE}`))).trim();
  } catch {
    return '';
  }
}

/** Polls until the control socket exists (the server creates it last), or time runs out. */
async function waitReady(runtime: SandboxRuntime, id: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      const r = await runtime.exec(id, ['test', '-S', CONTROL], { user: '0:0' });
      if (r.exitCode === 0) return;
    } catch (err) {
      // The container stopped: the server failed to start.
      lastError = (err as Error).message;
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const detail = (await startupError(runtime, id)) || lastError || `not ready after ${timeoutMs} ms`;
  throw new VetboxError('SANDBOX_FAILED', `sinkhole did not start: ${detail}`, { details: { containerId: id } });
}

/**
 * Starts the per-analysis sinkhole: a container whose network namespace has only `lo`, with
 * every outbound TCP/UDP flow redirected to its recorders. The sandbox joins it with
 * `network: sinkhole.network` and must NOT get NET_ADMIN.
 */
export async function startSinkhole(opts: StartSinkholeOptions): Promise<Sinkhole> {
  const runtime = opts.runtime ?? new DockerRuntime();
  const ca = createAnalysisCa(opts.analysisId);
  const serverConfig: SinkholeServerConfig = {
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    ports: PORTS,
    controlSocket: CONTROL,
    canned: opts.canned ?? [],
  };
  const bundle = await sinkholeBundle();
  const id = await runtime.create({
    image: opts.image,
    labels: sinkholeLabels(opts.analysisId, opts.workerId ?? currentWorkerId()),
    cmd: ['node', BUNDLE, CONFIG],
    hostname: opts.hostname ?? 'dev-workstation',
    networkMode: 'none',
    // NET_ADMIN: route, iptables, reading conntrack; NET_RAW: iptables-legacy; BIND: port 53.
    capAdd: ['NET_ADMIN', 'NET_RAW', 'NET_BIND_SERVICE'],
    memoryBytes: 512 * 1024 * 1024,
    nanoCpus: 1e9,
    pidsLimit: 64,
    tmpfs: {},
    shmSizeBytes: 16 * 1024 * 1024,
    runtime: runtime.runtimeName,
  });

  let removed = false;
  const stop = async () => {
    if (removed) return;
    removed = true;
    await runtime.remove(id);
  };

  try {
    await runtime.copyIn(id, '/', await archive({ 'sinkhole.cjs': bundle, 'config.json': JSON.stringify(serverConfig) }));
    await runtime.start(id);
    // Generous: on a loaded host its start (CA, listeners) can take tens of seconds, and a retry costs more.
    await waitReady(runtime, id, opts.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await stop().catch(() => {});
    throw isVetboxError(err) ? err : new VetboxError('SANDBOX_FAILED', `sinkhole start failed: ${(err as Error).message}`, { cause: err });
  }

  const collect = async (): Promise<SinkholeCapture> => {
    const r = await runtime.exec(id, ['node', BUNDLE, '--dump', CONTROL], { user: '0:0', maxOutputBytes: MAX_CAPTURE_BYTES });
    if (r.exitCode !== 0) {
      throw new VetboxError('SANDBOX_FAILED', `sinkhole capture dump exited ${r.exitCode}: ${r.stderr.toString('utf8').trim()}`, {
        details: { containerId: id },
      });
    }
    try {
      return SinkholeCapture.parse(JSON.parse(r.stdout.toString('utf8')));
    } catch (err) {
      throw new VetboxError('SANDBOX_FAILED', `sinkhole capture unreadable (${r.stdout.length} bytes)`, { cause: err, details: { containerId: id } });
    }
  };

  return {
    containerId: id,
    caCertPem: ca.certPem,
    network: { mode: 'container', containerId: id },
    answerRange: ANSWER_RANGE,
    collect,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Removes the sinkhole containers an analysis left behind (by label only). Returns how many. */
export async function removeSinkholes(analysisId: string, runtime: SandboxRuntime = new DockerRuntime()): Promise<number> {
  const list = (await runtime.listByLabel(LABEL_ANALYSIS, analysisId)).filter(
    (r) => r.kind === 'container' && r.labels[LABEL_ROLE] === 'sinkhole',
  );
  for (const r of list) await runtime.remove(r.id);
  return list.length;
}
