import { describe, expect, it } from 'vitest';
import { defaultConcurrency, loadEnv } from './index.js';

describe('defaults that follow other settings', () => {
  it('concurrency: one analysis per SANDBOX_CPUS cores, as many as memory holds, at least one', () => {
    const sandbox = { SANDBOX_CPUS: 1, SANDBOX_MEMORY_MB: 2048 };
    expect(defaultConcurrency(sandbox, { cores: 2, memoryMb: 23_000 })).toBe(2);
    expect(defaultConcurrency({ ...sandbox, SANDBOX_CPUS: 2 }, { cores: 8, memoryMb: 64_000 })).toBe(4);
    expect(defaultConcurrency(sandbox, { cores: 16, memoryMb: 8_000 })).toBe(3);
    expect(defaultConcurrency({ ...sandbox, SANDBOX_CPUS: 4 }, { cores: 2, memoryMb: 1_000 })).toBe(1);
  });

  it('the warm pool holds one pair per concurrent analysis unless set; explicit values win', () => {
    const auto = loadEnv({ SANDBOX_CPUS: '1', SANDBOX_MEMORY_MB: '2048' });
    expect(auto.WORKER_CONCURRENCY).toBe(defaultConcurrency(auto));
    expect(auto.SANDBOX_POOL_SIZE).toBe(Math.min(16, auto.WORKER_CONCURRENCY));
    expect(loadEnv({ WORKER_CONCURRENCY: '3' })).toMatchObject({ WORKER_CONCURRENCY: 3, SANDBOX_POOL_SIZE: 3 });
    expect(loadEnv({ WORKER_CONCURRENCY: '3', SANDBOX_POOL_SIZE: '0' })).toMatchObject({ WORKER_CONCURRENCY: 3, SANDBOX_POOL_SIZE: 0 });
  });
});
