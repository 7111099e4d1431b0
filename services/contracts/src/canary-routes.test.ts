import { describe, expect, it } from 'vitest';
import type { CanaryReport } from './report.js';
import { canaryRoutes } from './canary-routes.js';

type Leak = CanaryReport['evidence'][number];
const leak = (destination: string, channel: Leak['channel'] = 'dns', encoding: Leak['encoding'] = 'hex'): Leak => ({ encoding, channel, destination, phase: 'install' });

describe('canaryRoutes', () => {
  it('groups a value chunked over many names under one domain into one counted route', () => {
    const evidence = [...Array.from({ length: 120 }, (_, i) => leak(`${i.toString(16)}.c${i % 7}.collect.invalid`)), leak('hooks.example', 'https', 'plain'), leak('x.collect.invalid', 'dns', 'base32')];
    expect(canaryRoutes({ evidence })).toEqual([
      { channel: 'dns', domain: 'collect.invalid', count: 121, encodings: ['hex', 'base32'] },
      { channel: 'https', domain: 'hooks.example', count: 1, encodings: ['plain'] },
    ]);
  });

  it('keeps channels and tenants of hosting services apart, addresses as they are', () => {
    const evidence = [leak('a.collect.invalid', 'dns'), leak('collect.invalid', 'https', 'base64'), leak('abc.ngrok-free.app', 'https'), leak('def.ngrok-free.app', 'https'), leak('198.51.100.7', 'tcp', 'plain')];
    expect(canaryRoutes({ evidence }).map((r) => `${r.channel} ${r.domain} ${r.count}`)).toEqual(['dns collect.invalid 1', 'https collect.invalid 1', 'https abc.ngrok-free.app 1', 'https def.ngrok-free.app 1', 'tcp 198.51.100.7 1']);
  });
});
