import { describe, expect, it } from 'vitest';
import { ReportCache } from './report-cache.js';

describe('ReportCache', () => {
  it('expires entries after the ttl and gives each body a stable ETag', () => {
    const c = new ReportCache(1_000, 100);
    const e = c.set('a', '{"x":1}', 0);
    expect(c.get('a', 50)).toEqual(e);
    expect(e.etag).toBe(new ReportCache().set('a', '{"x":1}').etag);
    expect(c.get('a', 151)).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('evicts the least recently used beyond its byte budget', () => {
    const c = new ReportCache(100, 60_000);
    c.set('a', 'x'.repeat(20));
    c.set('b', 'x'.repeat(20));
    c.get('a');
    c.set('c', 'x'.repeat(20));
    c.set('d', 'x'.repeat(20));
    c.set('e', 'x'.repeat(25));
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBeDefined();
    expect(c.get('e')).toBeDefined();
  });

  it('does not keep bodies larger than a quarter of the budget', () => {
    const c = new ReportCache(100, 60_000);
    expect(c.set('big', 'x'.repeat(40)).json).toHaveLength(40);
    expect(c.get('big')).toBeUndefined();
  });
});
