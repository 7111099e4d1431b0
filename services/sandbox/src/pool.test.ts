import { describe, expect, it } from 'vitest';
import { isPoolLabel, poolMemberInUse, poolMemberStale, WarmPool, type PoolMember } from './pool.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {}, child() { return quiet; } } as never;

/** Members that record their removal; `make` can be held open to test a drain mid-make. */
function fakePool(size: number, opts: { fail?: number; hold?: Promise<void>; refillDelayMs?: number } = {}) {
  const made: string[] = [];
  const discarded: string[] = [];
  let failures = opts.fail ?? 0;
  const pool = new WarmPool<PoolMember>({
    size,
    logger: quiet,
    retryMs: 10,
    refillDelayMs: opts.refillDelayMs ?? 10,
    make: async (label) => {
      await opts.hold;
      if (failures-- > 0) throw new Error('engine down');
      made.push(label);
      return { label, discard: async () => void discarded.push(label) };
    },
  });
  return { pool, made, discarded };
}

describe('WarmPool', () => {
  it('prepares nothing until started, so a take falls back to the caller', async () => {
    const { pool, made } = fakePool(2);
    expect(pool.take()).toBeUndefined();
    await new Promise((r) => setTimeout(r, 20));
    expect(made).toEqual([]);
  });

  it('hands out members made ahead, each once, labeled as pool members, and refills', async () => {
    const { pool, made } = fakePool(2);
    pool.start();
    await pool.whenIdle(2);
    const a = pool.take()!;
    const b = pool.take()!;
    expect(made).toContain(a.label);
    expect(made).toContain(b.label);
    expect(a.label).not.toBe(b.label);
    expect(isPoolLabel(a.label)).toBe(true);
    expect(poolMemberInUse(a.label)).toBe(true);
    await pool.whenIdle(2);
    const c = pool.take()!;
    expect([a.label, b.label]).not.toContain(c.label);
    pool.release(a);
    expect(poolMemberInUse(a.label)).toBe(false);
    await pool.drain();
  });

  it('makes a taken member\'s replacement only after the taker had time to stage its package', async () => {
    const { pool, made } = fakePool(1, { refillDelayMs: 300 });
    pool.start();
    await pool.whenIdle(1);
    pool.take();
    await new Promise((r) => setTimeout(r, 100));
    expect(made.length).toBe(1);
    await pool.whenIdle(1);
    expect(made.length).toBe(2);
    await pool.drain();
  });

  it('drain removes idle members, one still being made included, and stops refilling', async () => {
    let open!: () => void;
    const hold = new Promise<void>((r) => (open = r));
    const { pool, made, discarded } = fakePool(1, { hold });
    pool.start();
    const drained = pool.drain();
    open();
    await drained;
    expect(made.length).toBe(1);
    expect(discarded).toEqual(made);
    expect(pool.take()).toBeUndefined();
    expect(pool.idle).toBe(0);
  });

  it('retries a failed make after a back-off', async () => {
    const { pool, made } = fakePool(1, { fail: 2 });
    pool.start();
    await pool.whenIdle(1);
    expect(made.length).toBe(1);
    await pool.drain();
  });
});

describe('poolMemberStale (the outage reconciler)', () => {
  const alive = (w: string) => w === 'live';
  it('removes this worker\'s idle members and a dead worker\'s, never one an analysis runs in or a live worker\'s', async () => {
    const { pool } = fakePool(1);
    pool.start();
    await pool.whenIdle(1);
    const taken = pool.take()!;
    expect(poolMemberStale(taken.label, 'me', 'me', alive)).toBe(false);
    expect(poolMemberStale('pool-idle', 'me', 'me', alive)).toBe(true);
    expect(poolMemberStale('pool-x', 'dead', 'me', alive)).toBe(true);
    expect(poolMemberStale('pool-x', 'live', 'me', alive)).toBe(false);
    pool.release(taken);
    expect(poolMemberStale(taken.label, 'me', 'me', alive)).toBe(true);
    await pool.drain();
  });
});
