import { describe, expect, it } from 'vitest';
import { DependencyMonitor, checkReadiness, within, type DependencyChange, type ReadinessProbe } from './dependencies.js';

/** A probe the test switches on and off. */
function switchable(name: ReadinessProbe['name']): ReadinessProbe & { up: boolean } {
  const probe = {
    name,
    up: true,
    async check() {
      if (!probe.up) throw new Error(`${name} refused`);
    },
  };
  return probe;
}

describe('DependencyMonitor', () => {
  it('reports a dependency going down and coming back, with how long it was down', async () => {
    let now = 1_000;
    const docker = switchable('docker');
    const changes: DependencyChange[] = [];
    const m = new DependencyMonitor({ probes: [docker], now: () => now });
    m.onChange((c) => changes.push(c));
    await m.start();
    expect(m.isUp('docker')).toBe(true);

    docker.up = false;
    now = 2_000;
    await m.check();
    expect(m.isUp('docker')).toBe(false);
    expect(m.down()).toEqual([{ name: 'docker', since: 2_000, error: 'docker refused' }]);

    docker.up = true;
    now = 9_000;
    await m.check();
    expect(m.isUp('docker')).toBe(true);
    expect(changes).toEqual([
      { name: 'docker', up: false, error: 'docker refused' },
      { name: 'docker', up: true, downMs: 7_000 },
    ]);
    m.stop();
  });

  it('remembers an outage that is already over: a result from that window is not to be trusted', async () => {
    let now = 0;
    const docker = switchable('docker');
    const m = new DependencyMonitor({ probes: [docker], now: () => now });
    await m.start();
    now = 100;
    expect(m.wasDownSince('docker', 50)).toBe(false);
    docker.up = false;
    now = 200;
    await m.check();
    docker.up = true;
    now = 300;
    await m.check();
    expect(m.isUp('docker')).toBe(true);
    expect(m.wasDownSince('docker', 150)).toBe(true);
    expect(m.wasDownSince('docker', 250)).toBe(false);
    m.stop();
  });

  it('waitUntilUp waits for every named dependency; an outage past outageMaxMs is flagged, not fatal', async () => {
    let now = 0;
    const docker = switchable('docker');
    const postgres = switchable('postgres');
    const errors: string[] = [];
    const logger = { info() {}, warn() {}, error: (_o: object, m: string) => void errors.push(m) };
    const m = new DependencyMonitor({ probes: [docker, postgres], now: () => now, outageMaxMs: 1_000, logger });
    await m.start();
    docker.up = false;
    postgres.up = false;
    await m.check();
    let resolved = false;
    const waiting = m.waitUntilUp(['docker', 'postgres']).then(() => (resolved = true));
    now = 5_000;
    await m.check();
    expect(m.exceeded('docker')).toBe(true);
    expect(errors.filter((e) => e.startsWith('docker'))).toHaveLength(1);
    docker.up = true;
    await m.check();
    await new Promise((r) => setTimeout(r, 10));
    expect(resolved).toBe(false);
    postgres.up = true;
    await m.check();
    await waiting;
    expect(resolved).toBe(true);
    expect(m.exceeded('docker')).toBe(false);
    m.stop();
  });

  it('waitUntilUp returns when its signal aborts', async () => {
    const docker = switchable('docker');
    docker.up = false;
    const m = new DependencyMonitor({ probes: [docker] });
    await m.check();
    const ac = new AbortController();
    const waiting = m.waitUntilUp(['docker'], ac.signal);
    ac.abort();
    await waiting;
    expect(m.isUp('docker')).toBe(false);
    m.stop();
  });
});

describe('within', () => {
  it('passes the result or the failure through when it comes in time', async () => {
    await expect(within(Promise.resolve(7), 1_000, () => new Error('late'))).resolves.toBe(7);
    await expect(within(Promise.reject(new Error('refused')), 1_000, () => new Error('late'))).rejects.toThrow('refused');
  });

  it("rejects with the caller's error once the time passes; a probe that never answers is aborted and reported down", async () => {
    await expect(within(new Promise(() => {}), 20, () => new Error('no answer within 20 ms'))).rejects.toThrow('no answer within 20 ms');
    let aborted = false;
    const silent: ReadinessProbe = { name: 'docker', check: (signal) => new Promise(() => signal.addEventListener('abort', () => (aborted = true))) };
    const results = await checkReadiness([silent], 20);
    expect(results.docker).toMatchObject({ ok: false, error: 'docker did not answer within 20 ms' });
    expect(aborted).toBe(true);
  });
});
