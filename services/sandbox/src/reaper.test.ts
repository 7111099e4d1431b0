import { describe, expect, it } from 'vitest';
import { reapOrphans } from './reaper.js';
import type { LabeledResource, SandboxRuntime } from './runtime.js';

function fakeRuntime(resources: LabeledResource[]) {
  const removed: string[] = [];
  const runtime = {
    listByLabel: async () => resources,
    remove: async (id: string) => void removed.push(`container:${id}`),
    removeNetwork: async (id: string) => void removed.push(`network:${id}`),
  } as unknown as SandboxRuntime;
  return { runtime, removed };
}
const res = (kind: 'container' | 'network', id: string, worker: string | undefined, createdAtMs = 0): LabeledResource => ({
  kind, id, createdAtMs, labels: { 'vetbox.analysis': `a-${id}`, ...(worker ? { 'vetbox.worker': worker } : {}) },
});
const quiet = { info() {}, warn() {}, error() {}, debug() {} };

describe('reapOrphans', () => {
  it("removes a dead worker's containers before its networks, and leaves live workers alone", async () => {
    const { runtime, removed } = fakeRuntime([res('network', 'n1', 'dead'), res('container', 'c1', 'dead'), res('container', 'c2', 'live')]);
    await reapOrphans({ runtime, isWorkerAlive: (w) => w === 'live', logger: quiet });
    expect(removed).toEqual(['container:c1', 'network:n1']);
  });

  it('with a threshold, also removes anything labeled that is older', async () => {
    const { runtime, removed } = fakeRuntime([res('container', 'old', 'live', 0), res('container', 'new', 'live', 9_000)]);
    await reapOrphans({ runtime, isWorkerAlive: () => true, olderThanMs: 5_000, now: 10_000, logger: quiet });
    expect(removed).toEqual(['container:old']);
  });
});
