import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultLogger, type Logger } from './log.js';
import { localWorkerAlive } from './reaper.js';
import { workerId } from './worker-id.js';

// Written into every work directory an analysis creates on the host, naming the worker that
// holds it, so a worker that was SIGKILLed leaves nothing that another cannot attribute.
const OWNER_FILE = '.vetbox-owner';
const DAY_MS = 24 * 60 * 60 * 1000;

/** mkdtemp under `root`, stamped with this process's worker id (the same id its containers carry). */
export async function createWorkDir(root: string, prefix: string): Promise<string> {
  await mkdir(root, { recursive: true });
  const dir = await mkdtemp(path.join(root, prefix));
  await writeFile(path.join(dir, OWNER_FILE), `${workerId()}\n`, { mode: 0o600 });
  return dir;
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
    const owner = (await readFile(path.join(dir, OWNER_FILE), 'utf8').catch(() => '')).trim();
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
