// `npm start` (scripts/start.mjs): the built API and worker as children of one command.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, startNode } from '../helpers/processes.js';

function pidsOf(output: string, name: string): number[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{') && l.includes(`"name":"${name}"`))
    .map((l) => (JSON.parse(l) as { pid: number }).pid);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start', () => {
  it('runs the API and the worker, and SIGINT stops both cleanly', async () => {
    const service = await startNode(
      path.join(REPO_ROOT, 'scripts', 'start.mjs'),
      // Its own queue: this worker must not take jobs other tests enqueue.
      { PORT: '0', LOG_FORMAT: 'json', LOG_LEVEL: 'info', QUEUE_NAME: `test-start-${randomUUID()}` },
      ['"api listening"', '"worker started"'],
      60_000,
    );
    const url = (JSON.parse(service.output().split('\n').find((l) => l.includes('"api listening"')) ?? '{}') as { url: string }).url;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const children = [...new Set([...pidsOf(service.output(), 'api'), ...pidsOf(service.output(), 'worker')])];
    expect(children).toHaveLength(2);

    expect(await service.stop('SIGINT')).toBe(0);
    expect(service.output()).toContain('"api closed"');
    expect(service.output()).toContain('"worker closed"');
    expect(children.filter(alive)).toEqual([]);
  });
});
