import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createWorkDir, reapStaleWorkDirs, reapWorkDirs } from './workdirs.js';
import { workerId } from './worker-id.js';

const root = await mkdtemp(path.join(os.tmpdir(), 'vetbox-workdirs-'));
afterAll(() => rm(root, { recursive: true, force: true }));
const quiet = { info() {}, warn() {}, error() {}, debug() {} };

describe('work directories', () => {
  it('are stamped with the worker that holds them, and reaped once that worker is gone', async () => {
    const mine = await createWorkDir(root, 'a1-');
    const dead = await createWorkDir(root, 'a2-');
    await writeFile(path.join(dead, '.vetbox-owner'), `${os.hostname()}:999999999:deadbeef\n`);
    await mkdir(path.join(dead, 'stage-x', 'node_modules'), { recursive: true });
    const other = await createWorkDir(root, 'a3-');
    await writeFile(path.join(other, '.vetbox-owner'), 'another-host:1:cafe\n');

    const reaped = await reapWorkDirs(root, { logger: quiet });
    expect(reaped).toEqual([dead]);
    expect((await readdir(root)).sort()).toEqual([path.basename(mine), path.basename(other)].sort());
    expect(workerId().startsWith(`${os.hostname()}:${process.pid}:`)).toBe(true);
  });

  it('without an owner (made before ownership existed), go only after a day', async () => {
    const legacy = path.join(root, 'legacy-1');
    await mkdir(legacy);
    expect(await reapWorkDirs(root, { logger: quiet })).toEqual([]);
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
    await utimes(legacy, twoDaysAgo, twoDaysAgo);
    expect(await reapWorkDirs(root, { logger: quiet })).toEqual([legacy]);
  });

  it('a missing root reaps nothing', async () => {
    expect(await reapWorkDirs(path.join(root, 'nope'), { logger: quiet })).toEqual([]);
  });

  it('after an outage, the directories of analyses this worker no longer runs go; active ones and other workers\' stay', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vetbox-stale-'));
    try {
      const handedBack = await createWorkDir(dir, 'x-', 'analysis-handed-back');
      const running = await createWorkDir(dir, 'y-', 'analysis-running');
      const others = await createWorkDir(dir, 'z-', 'analysis-elsewhere');
      await writeFile(path.join(others, '.vetbox-owner'), 'another-host:1:cafe\nanalysis-elsewhere\n');
      const reaped = await reapStaleWorkDirs(dir, (id) => id === 'analysis-running', { logger: quiet });
      expect(reaped).toEqual([handedBack]);
      expect((await readdir(dir)).sort()).toEqual([path.basename(running), path.basename(others)].sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
