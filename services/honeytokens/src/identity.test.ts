import { describe, expect, it } from 'vitest';
import type { CanaryReport, Persona } from '@vetbox/contracts';
import { capture, dns, httpStream, rawStream } from './__fixtures__/capture.js';
import { detectMachineLeaks, identityCanaries, type IdentitySource } from './identity.js';

const persona: Persona = {
  user: 'priya.patel',
  fullName: 'Priya Patel',
  email: 'priya.patel@fastmail.com',
  hostname: 'priya-thinkpad',
  home: '/home/priya.patel',
  workdir: '/home/priya.patel/projects/billing-service',
  machineId: '4f6c0e9a2b7d41c8a35e90d1f2b6c7a8',
  timezone: 'America/Chicago',
  lan: { interface: 'wlp0s20f3', address: '192.168.1.57', prefix: 24, gateway: '192.168.1.1', mac: '3c:58:c2:1a:2b:3c', address6: '2601:240:c500:1a2:5d1e:7a0b:3c4f:91e2' },
  publicAddress: '73.44.118.23',
  geo: { country: 'US', region: 'Illinois', city: 'Chicago', isp: 'Comcast Cable Communications, LLC' },
  kernelRelease: '6.1.0-28-amd64',
};
const sandbox: IdentitySource = { hostname: persona.hostname, user: persona.user, home: persona.home, workdir: persona.workdir, persona };

const leaks = (c: ReturnType<typeof capture>, credentials: CanaryReport[] = []) => detectMachineLeaks({ capture: c, sandbox, credentials });
const fields = (reports: CanaryReport[]) => reports.filter((r) => r.kind === 'identity').map((r) => r.planted).sort();
const hex = (s: string) => Buffer.from(s).toString('hex');

describe('identity canaries', () => {
  it('are the persona values, long enough to be unambiguous, with the spellings payloads produce', () => {
    const list = identityCanaries(sandbox);
    expect(list.map((c) => c.planted)).toEqual(
      expect.arrayContaining(['hostname', 'user name', 'home directory', 'project directory', 'machine id', 'e-mail address', 'MAC address', 'public address', 'kernel release']),
    );
    expect(list.find((c) => c.planted === 'user name')!.values).toEqual(['priya.patel', 'priyapatel']);
    expect(list.find((c) => c.planted === 'MAC address')!.values).toContain('3c58c21a2b3c');
    expect(list.filter((c) => c.weak).map((c) => c.planted).sort()).toEqual(['LAN address', 'kernel release']);
    for (const c of list) for (const v of c.values) expect(v.length).toBeGreaterThanOrEqual(8);
    // Reports made before personas still have the host, user and paths.
    expect(identityCanaries({ hostname: 'old-host-name', user: 'olduser1', home: '/home/olduser1', workdir: '/home/olduser1/app' }).map((c) => c.planted)).toEqual([
      'hostname',
      'user name',
      'home directory',
      'project directory',
    ]);
  });
});

describe('detectMachineLeaks', () => {
  it('finds the hostname sent as a DNS label', () => {
    const r = leaks(capture({ dns: [dns('priya-thinkpad.collector.example')] }));
    expect(fields(r)).toEqual(['hostname']);
    expect(r[0]!.valuePreview).toBe('priya-thinkpad');
    expect(r[0]!.evidence[0]).toMatchObject({ channel: 'dns', destination: 'collector.example', encoding: 'plain', capture: { list: 'dns', index: 0 } });
  });

  it('finds host, user and working directory hex-encoded and chunked over several queries', () => {
    const payload = hex([persona.hostname, persona.user, persona.kernelRelease, persona.workdir].join('|'));
    const chunks = payload.match(/.{1,30}/g)!;
    const queries = chunks.map((c, i) => dns(`${c}.${i}.t.attacker.example`));
    const r = leaks(capture({ dns: queries }));
    expect(fields(r)).toEqual(['home directory', 'hostname', 'kernel release', 'project directory', 'user name']);
    const user = r.find((x) => x.planted === 'user name')!;
    expect(user.evidence[0]).toMatchObject({ channel: 'dns', destination: 'attacker.example', encoding: 'hex' });
    // The working directory spans several queries: found in their joined labels.
    expect(r.find((x) => x.planted === 'project directory')!.evidence[0]).toMatchObject({ encoding: 'hex', layers: ['dns-labels', 'hex'] });
    // The row points at the query where the value starts.
    expect(user.evidence[0]!.capture!.index).toBeGreaterThan(0);
  });

  it('finds base32 (DNS-style, lowercased) and reversed values', () => {
    const base32 = (s: string) => {
      const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
      let bits = '';
      for (const b of Buffer.from(s)) bits += b.toString(2).padStart(8, '0');
      return bits.match(/.{1,5}/g)!.map((c) => A[parseInt(c.padEnd(5, '0'), 2)]).join('');
    };
    // `id=` shifts the value off a 5-byte boundary; the name is split into two labels.
    const encoded = base32(`id=${persona.machineId}`).toLowerCase();
    const r = leaks(
      capture({
        dns: [dns(`${encoded.slice(0, 40)}.${encoded.slice(40)}.b32.example`)],
        streams: [httpStream({ host: 'rev.example', path: `/?h=${[...persona.hostname].reverse().join('')}`, method: 'GET' })],
      }),
    );
    const byField = Object.fromEntries(r.map((x) => [x.planted, x.evidence[0]!.encoding]));
    expect(byField['machine id']).toBe('base32');
    expect(byField.hostname).toBe('reversed');
  });

  it('finds the user name in a webhook POST body, inside JSON', () => {
    const body = JSON.stringify({ content: `new install by ${persona.user} in ${persona.workdir}` });
    const r = leaks(capture({ streams: [httpStream({ host: 'hooks.example', path: '/api/webhooks/123456789012345678/AbC-dEf', body, tls: true })] }));
    expect(fields(r)).toEqual(['home directory', 'project directory', 'user name']);
    expect(r.find((x) => x.planted === 'user name')!.evidence[0]).toMatchObject({ channel: 'https', destination: 'hooks.example', capture: { part: 'body' } });
  });

  it('finds the environment sent whole as base64 JSON in a URL query', () => {
    const env = { PATH: '/usr/bin:/bin', HOME: persona.home, USER: persona.user, SHELL: '/bin/bash', LANG: 'C.UTF-8', TERM: 'xterm', npm_lifecycle_event: 'postinstall', NPM_TOKEN: 'npm_x' };
    const q = Buffer.from(JSON.stringify(env)).toString('base64');
    const r = leaks(
      capture({ streams: [httpStream({ host: 'c2.example', method: 'GET', path: `/p?d=${encodeURIComponent(q)}` })] }),
      [{ kind: 'env-npm', planted: 'NPM_TOKEN', read: null, leaked: false, evidence: [] }],
    );
    const environment = r.find((x) => x.kind === 'environment')!;
    expect(environment.leaked).toBe(true);
    expect(environment.valuePreview).toMatch(/^HOME, LANG, PATH, SHELL, TERM, USER, npm_lifecycle_event, NPM_TOKEN \(8 variables\)$/);
    expect(environment.evidence[0]).toMatchObject({ channel: 'http', destination: 'c2.example', encoding: 'base64', capture: { part: 'path' } });
    // The dump also carried the user name and home: identity leaks of their own.
    expect(fields(r)).toEqual(['home directory', 'user name']);
  });

  it('is not fooled by the machine resolving its own name, mDNS, or a few variable names', () => {
    const r = leaks(
      capture({
        dns: [dns('priya-thinkpad'), dns('priya-thinkpad.lan'), dns('priya-thinkpad.local', 'AAAA')],
        streams: [
          rawStream('udp', { address: '224.0.0.251', port: 5353 }, `\u0000\u0000priya-thinkpad\u0005local`),
          httpStream({ host: 'telemetry.example', body: JSON.stringify({ PATH: 'x', HOME: 'y', os: 'linux', arch: 'x64' }) }),
        ],
      }),
    );
    expect(r).toEqual([]);
  });

  it('counts shared values (kernel release, LAN address) only beside an unambiguous one to the same place', () => {
    const ua = `pip/23.0.1 {"system":{"name":"Linux","release":"${persona.kernelRelease}"},"cpu":"x86_64"}`;
    const alone = leaks(capture({ streams: [httpStream({ host: 'pypi.org', method: 'GET', path: '/simple/requests/', headers: { 'user-agent': ua }, tls: true })] }));
    expect(alone).toEqual([]);
    const together = leaks(
      capture({ streams: [httpStream({ host: 'x.collector.example', body: `h=${persona.hostname}&k=${persona.kernelRelease}&ip=${persona.lan.address}` })] }),
    );
    expect(fields(together)).toEqual(['LAN address', 'hostname', 'kernel release']);
    const elsewhere = leaks(
      capture({
        streams: [
          httpStream({ host: 'a.example', body: `h=${persona.hostname}` }),
          httpStream({ host: 'b.example', body: `k=${persona.kernelRelease}` }),
        ],
      }),
    );
    expect(fields(elsewhere)).toEqual(['hostname']);
  });
});
