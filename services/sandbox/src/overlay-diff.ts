import { constants, existsSync, type BigIntStats } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerChange } from './runtime.js';

/** Entries walked at most: the upper layer is hostile input (a package may fill it). */
const MAX_ENTRIES = 100_000;
/** Directory levels walked at most (each holds a descriptor open while its children are walked). */
const MAX_DEPTH = 256;
/** A directory, never through a link: the last component is checked by the kernel at open. */
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/**
 * What `docker diff` reports for an overlay2 container, computed from its layers on the host.
 * The engine's own diff compares the whole image tree with the container's (3–6 s a call here,
 * once per phase); only the upper layer can differ, so this walks it alone (milliseconds) with the
 * engine's rules: a whiteout is `deleted`; an entry missing from every lower layer is `added`; one
 * whose mode, owner or device (and for a file, size or mtime) differs from the lower one is `changed`; every
 * directory above a change is `changed`. Never follows links. Undefined when the upper layer
 * cannot be read here (not root, a worker in a container): the caller asks the engine instead.
 */
export async function overlayChanges(
  upperDir: string,
  lowerDirs: string[],
  /** Called before each directory below the top is opened: lets a test race the walk as a package would. */
  beforeOpen?: (rel: string) => Promise<void>,
): Promise<ContainerChange[] | undefined> {
  if (!existsSync('/proc/self/fd') || !(await lstat(upperDir).then((s) => s.isDirectory(), () => false))) return undefined;
  const changes = new Map<string, ContainerChange['kind']>();
  let walked = 0;
  const lowerStat = async (rel: string): Promise<BigIntStats | undefined> => {
    for (const lower of lowerDirs) {
      const s = await lstat(path.join(lower, rel), { bigint: true }).catch(() => undefined);
      if (s !== undefined) return s;
    }
    return undefined;
  };
  // The sandbox is still running while this walks its upper layer (leftovers are followed), so a
  // directory seen here may be a link to a host path by the time it is read. Each directory is
  // opened without following links, and what is under it is named through that descriptor
  // (/proc/self/fd/N/name), never through a path a package could re-point.
  const walk = async (rel: string, dir: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) return;
    if (depth > 0) await beforeOpen?.(rel);
    const handle = await open(dir, DIR_FLAGS).catch(() => undefined);
    if (handle === undefined) return;
    try {
      await walkOpen(rel, `/proc/self/fd/${handle.fd}`, depth);
    } finally {
      await handle.close();
    }
  };
  const walkOpen = async (rel: string, here: string, depth: number): Promise<void> => {
    const names = (await readdir(here).catch(() => [] as string[])).sort();
    for (const name of names) {
      if (++walked > MAX_ENTRIES) return;
      const child = path.posix.join(rel, name);
      const st = await lstat(`${here}/${name}`, { bigint: true }).catch(() => undefined);
      if (st === undefined) continue;
      if (st.isCharacterDevice() && st.rdev === 0n) {
        changes.set(child, 'deleted');
        continue;
      }
      const old = await lowerStat(child);
      if (old === undefined) changes.set(child, 'added');
      else if (differs(old, st)) changes.set(child, 'changed');
      if (st.isDirectory()) await walk(child, `${here}/${name}`, depth + 1);
    }
  };
  await walk('/', upperDir, 0);
  for (const p of [...changes.keys()]) {
    for (let dir = path.posix.dirname(p); dir !== '/' && !changes.has(dir); dir = path.posix.dirname(dir)) changes.set(dir, 'changed');
  }
  return [...changes].map(([p, kind]) => ({ path: p, kind }));
}

/** The engine's test (mtimes equal to the nanosecond, or to the second when either has none). */
function differs(a: BigIntStats, b: BigIntStats): boolean {
  const sameTime = a.mtimeNs === b.mtimeNs || (a.mtimeNs / 1_000_000_000n === b.mtimeNs / 1_000_000_000n && (a.mtimeNs % 1_000_000_000n === 0n || b.mtimeNs % 1_000_000_000n === 0n));
  // A directory's size and mtime are not a measure of change (moby/moby#9874): only what is under it.
  return a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.rdev !== b.rdev || (!a.isDirectory() && (a.size !== b.size || !sameTime));
}
