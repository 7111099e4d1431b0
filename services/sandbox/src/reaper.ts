import { LABEL_ANALYSIS, LABEL_WORKER, type LabeledResource, type SandboxRuntime } from './runtime.js';
import { defaultLogger, type Logger } from './log.js';
import { reapMachineViews } from './machine.js';
import os from 'node:os';

export interface ReapOptions {
  runtime: SandboxRuntime;
  /** Decides whether the worker named in a vetbox.worker label still runs (default: same host and pid alive). */
  isWorkerAlive?: (workerId: string) => boolean;
  /** Also remove labeled resources older than this, whatever their worker (default: never). */
  olderThanMs?: number;
  logger?: Logger;
  now?: number;
}

/** Default liveness for `<hostname>:<pid>:<nonce>` ids: another host's worker is assumed alive. */
export function localWorkerAlive(workerId: string): boolean {
  const [host, pidText] = workerId.split(':');
  if (host !== os.hostname()) return true;
  return processAlive(Number(pidText));
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes containers and networks that dead workers left behind. Label-only: it lists resources
 * carrying vetbox.analysis and never touches anything unlabeled. Containers go before networks
 * (a network in use cannot be removed).
 */
export async function reapOrphans(opts: ReapOptions): Promise<LabeledResource[]> {
  const log = opts.logger ?? defaultLogger();
  const alive = opts.isWorkerAlive ?? localWorkerAlive;
  const now = opts.now ?? Date.now();
  const resources = await opts.runtime.listByLabel(LABEL_ANALYSIS);
  const doomed = resources.filter((r) => {
    if (!r.labels[LABEL_ANALYSIS]) return false;
    if (opts.olderThanMs !== undefined && now - r.createdAtMs > opts.olderThanMs) return true;
    const worker = r.labels[LABEL_WORKER];
    return worker !== undefined && !alive(worker);
  });
  doomed.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'container' ? -1 : 1));
  for (const r of doomed) {
    log.info({ kind: r.kind, id: r.id, analysisId: r.labels[LABEL_ANALYSIS], worker: r.labels[LABEL_WORKER] }, 'reaping orphaned sandbox resource');
    if (r.kind === 'container') await opts.runtime.remove(r.id);
    else await opts.runtime.removeNetwork(r.id);
  }
  // The host-side files of the machine views (machine.ts) those workers left.
  await reapMachineViews(processAlive).catch((err: unknown) => log.warn({ err: String(err) }, 'reaping machine views failed'));
  return doomed;
}

export interface ReapStaleOptions {
  runtime: SandboxRuntime;
  /**
   * Whether an analysis's resources may go: its analysis is over, or was handed back. Called
   * with the labels' analysis id and worker id; an unknown analysis (another deployment sharing
   * this Docker) must answer false.
   */
  isStale: (analysisId: string, workerId: string | undefined) => boolean | Promise<boolean>;
  logger?: Logger;
}

/**
 * After the container engine came back from an outage: removes every labeled container and
 * network whose analysis is no longer running, whether or not the worker that made it is alive
 * (an interrupted analysis was handed back and will start over with new ones). Label-only, like
 * reapOrphans; containers go before networks.
 */
export async function reapStale(opts: ReapStaleOptions): Promise<LabeledResource[]> {
  const log = opts.logger ?? defaultLogger();
  const resources = await opts.runtime.listByLabel(LABEL_ANALYSIS);
  const verdicts = new Map<string, Promise<boolean>>();
  const stale = async (r: LabeledResource): Promise<boolean> => {
    const analysisId = r.labels[LABEL_ANALYSIS];
    if (!analysisId) return false;
    const key = `${analysisId}\u0000${r.labels[LABEL_WORKER] ?? ''}`;
    if (!verdicts.has(key)) verdicts.set(key, Promise.resolve(opts.isStale(analysisId, r.labels[LABEL_WORKER])));
    return verdicts.get(key)!;
  };
  const doomed: LabeledResource[] = [];
  for (const r of resources) if (await stale(r)) doomed.push(r);
  doomed.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'container' ? -1 : 1));
  for (const r of doomed) {
    log.info({ kind: r.kind, id: r.id, analysisId: r.labels[LABEL_ANALYSIS], worker: r.labels[LABEL_WORKER] }, 'removing a sandbox resource its analysis no longer needs');
    if (r.kind === 'container') await opts.runtime.remove(r.id);
    else await opts.runtime.removeNetwork(r.id);
  }
  return doomed;
}
