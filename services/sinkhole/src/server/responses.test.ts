import { describe, expect, it } from 'vitest';
import { plausibleResponse } from './responses.js';

describe('plausibleResponse', () => {
  const canned = [{ host: 'stage.example', path: '/stage2.sh', body: '#!/bin/sh\ncurl http://next.example/\n' }];
  it('prefers a canned answer for its host and path (query ignored)', () => {
    expect(plausibleResponse('stage.example:80', '/stage2.sh?x=1', canned).body).toContain('next.example');
    expect(plausibleResponse('other.example', '/stage2.sh', canned).body).toBe('#!/bin/sh\necho ok\n');
  });
  it('answers by what the path looks like, JSON to API clients, HTML otherwise', () => {
    expect(plausibleResponse('h', '/x.py', []).body).toBe('print("ok")\n');
    expect(plausibleResponse('h', '/a.JS', []).contentType).toBe('application/javascript');
    expect(plausibleResponse('h', '/api/v1', [], 'application/json').contentType).toBe('application/json');
    expect(plausibleResponse('h', '/', []).contentType).toMatch(/^text\/html/);
    for (const r of [plausibleResponse('h', '/', []), plausibleResponse('h', '/x.sh', [])]) expect(r.status).toBe(200);
  });
});
