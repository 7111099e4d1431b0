import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultLogger, type Logger } from './log.js';
import { localWorkerAlive } from './reaper.js';
import { workerId } from './worker-id.js';

// Written into every work directory an analysis creates on the host, naming the worker that
// holds it, so a worker that was SIGKILLed leaves nothing that another cannot attribute.
const OWNER_FILE = '.vetbox-owner';
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * mkdtemp under `root`, stamped with this process's worker id (the same id its containers carry)
 * and, when given, the analysis it belongs to (so a reconciler can tell whether it is still needed).
 */
export async function createWorkDir(root: string, prefix: string, analysisId?: string): Promise<string> {
  await mkdir(root, { recursive: true });
  const dir = await mkdtemp(path.join(root, prefix));
  await writeFile(path.join(dir, OWNER_FILE), `${workerId()}\n${analysisId ?? ''}\n`, { mode: 0o600 });
  return dir;
}

/** Worker id and analysis id written by createWorkDir ('' when absent). */
async function ownerOf(dir: string): Promise<{ worker: string; analysisId: string }> {
  const [worker = '', analysisId = ''] = (await readFile(path.join(dir, OWNER_FILE), 'utf8').catch(() => '')).split('\n').map((l) => l.trim());
  return { worker, analysisId };
}

/**
 * Removes the work directories under `root` that this worker made for analyses it no longer
 * runs (handed back during an outage, or whose cleanup could not finish). Directories of other
 * workers are left to reapWorkDirs (their worker may still use them).
 */
export async function reapStaleWorkDirs(root: string, isActive: (analysisId: string) => boolean, opts: { logger?: Logger } = {}): Promise<string[]> {
  const log = opts.logger ?? defaultLogger();
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const reaped: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(root, entry.name);
    const owner = await ownerOf(dir);
    if (owner.worker !== workerId() || !owner.analysisId || isActive(owner.analysisId)) continue;
    log.info({ dir, analysisId: owner.analysisId }, 'removing a work directory its analysis no longer needs');
    await rm(dir, { recursive: true, force: true });
    reaped.push(dir);
  }
  return reaped;
}

export interface ReapWorkDirsOptions {
  isWorkerAlive?: (workerId: string) => boolean;
  /** Directories without an owner file (made before ownership existed) go after this long. */
  unownedAfterMs?: number;
  logger?: Logger;
  now?: number;
}

/**
 * Removes the work directories under `root` whose worker is gone (same rule as the container
 * reaper: a pid on this host that no longer exists). Another host's workers are assumed alive.
 */
export async function reapWorkDirs(root: string, opts: ReapWorkDirsOptions = {}): Promise<string[]> {
  const alive = opts.isWorkerAlive ?? localWorkerAlive;
  const log = opts.logger ?? defaultLogger();
  const now = opts.now ?? Date.now();
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const reaped: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(root, entry.name);
    const owner = (await ownerOf(dir)).worker;
    const orphaned = owner
      ? !alive(owner)
      : now - (await stat(dir).then((s) => s.mtimeMs, () => now)) > (opts.unownedAfterMs ?? DAY_MS);
    if (!orphaned) continue;
    log.info({ dir, worker: owner || undefined }, 'removing an orphaned work directory');
    await rm(dir, { recursive: true, force: true });
    reaped.push(dir);
  }
  return reaped;
}
