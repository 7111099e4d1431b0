import type { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import { SinkholeCapture, VetboxError, isVetboxError } from '@vetbox/contracts';
import { CLOCK_STATE_PATH, FASTCLOCK_LIBRARY, DockerRuntime, clockStatePage, LABEL_ANALYSIS, LABEL_WORKER, randomIdentity, workerId as currentWorkerId, type SandboxIdentity, type SandboxRuntime } from '@vetbox/sandbox';
import { sinkholeBundles } from './bundle.js';
import { STARTUP_ERROR_FILE, type SinkholeServerConfig } from './server/config.js';
import type { CannedResponse } from './server/responses.js';
import type { KnownCredentials } from './server/services.js';
import { createAnalysisCa } from './server/tls.js';

const DIR = '/opt/vetbox-sinkhole';
const LAUNCHER = `${DIR}/launcher.cjs`;
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
   * The workstation the sandbox pretends to be (pass the sandbox's identity; default: a fresh
   * random one). Its hostname is the namespace's (a sandbox joining it shares the UTS name), its
   * LAN interface is the namespace's interface, its public address and location are what "what
   * is my IP" and geolocation services answer.
   */
  persona?: SandboxIdentity;
  /** The planted credentials: token-validation endpoints accept these and refuse the rest. */
  credentials?: KnownCredentials;
}

export interface Sinkhole extends AsyncDisposable {
  containerId: string;
  /** PEM of this analysis's CA: the sandbox must trust it to have its HTTPS decrypted. */
  caCertPem: string;
  /** What the sandbox's network option is: `{ mode: 'container', containerId }`. */
  network: { mode: 'container'; containerId: string };
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
  // The namespace's wall clock follows the sandbox's fast clock and date jump (its own timeouts
  // stay real), so HTTP Date headers and minted certificates agree with what the package sees.
  tar.entry({ name: CLOCK_STATE_PATH.slice(1), mode: 0o644 }, clockStatePage(0, { wallOnly: true }));
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
  const ca = await createAnalysisCa();
  const persona = opts.persona ?? randomIdentity();
  const serverConfig: SinkholeServerConfig = {
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    ports: PORTS,
    controlSocket: CONTROL,
    canned: opts.canned ?? [],
    persona: {
      user: persona.user,
      fullName: persona.fullName,
      email: persona.email,
      hostname: persona.hostname,
      timezone: persona.timezone,
      publicAddress: persona.publicAddress,
      ...(persona.lan.address6 ? { address6: persona.lan.address6 } : {}),
      geo: persona.geo,
      lan: persona.lan,
    },
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  };
  const bundles = await sinkholeBundles();
  const id = await runtime.create({
    image: opts.image,
    labels: sinkholeLabels(opts.analysisId, opts.workerId ?? currentWorkerId()),
    cmd: ['node', LAUNCHER, CONFIG],
    // Its wall clock follows the sandbox's fast clock (see archive()); the sandbox user never sees this container.
    env: [`LD_PRELOAD=${FASTCLOCK_LIBRARY}`],
    hostname: persona.hostname,
    networkMode: 'none',
    // NET_ADMIN: links, routes, iptables, reading conntrack; NET_RAW: iptables; BIND: port 53;
    // SYS_ADMIN: making the router namespace (unshare/nsenter); SETPCAP: dropping SYS_ADMIN and
    // NET_RAW from the listeners' bounding set (they keep NET_ADMIN and NET_BIND_SERVICE only).
    capAdd: ['NET_ADMIN', 'NET_RAW', 'NET_BIND_SERVICE', 'SYS_ADMIN', 'SETPCAP'],
    // Docker turns IPv6 off in a network-less container; the workstation has an IPv6 address.
    sysctls: { 'net.ipv6.conf.all.disable_ipv6': '0', 'net.ipv6.conf.default.disable_ipv6': '0' },
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
    await runtime.copyIn(id, '/', await archive({ 'launcher.cjs': bundles.launcher, 'sinkhole.cjs': bundles.server, 'config.json': JSON.stringify(serverConfig) }));
    await runtime.start(id);
    // Generous: on a loaded host its start (CA, listeners, the LAN wiring) can take tens of seconds,
    // and a retry costs an attempt.
    await waitReady(runtime, id, opts.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await stop().catch(() => {});
    throw isVetboxError(err) ? err : new VetboxError('SANDBOX_FAILED', `sinkhole start failed: ${(err as Error).message}`, { cause: err });
  }

  const collect = async (): Promise<SinkholeCapture> => {
    const r = await runtime.exec(id, ['node', LAUNCHER, '--dump', CONTROL], { user: '0:0', maxOutputBytes: MAX_CAPTURE_BYTES });
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
