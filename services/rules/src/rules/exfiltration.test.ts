import { describe, expect, it } from 'vitest';
import type { CanaryLeak, CanaryReport } from '@vetbox/contracts';
import { BehaviorBuilder } from '../__fixtures__/builder.js';
import { fired, run } from '../__fixtures__/run.js';
import { FLOOD_DOMAINS } from './network.js';

const identity = (planted: string, value: string, evidence: Partial<CanaryLeak>[]): CanaryReport => ({
  kind: 'identity',
  planted,
  read: null,
  leaked: evidence.length > 0,
  valuePreview: value,
  evidence: evidence.map((e) => ({ encoding: 'plain', channel: 'dns', destination: 'collector.example', phase: 'install', ...e })),
});

describe('identity-exfiltration', () => {
  it('the hostname as a DNS label: malicious, one row showing the value and the lookup', () => {
    const b = new BehaviorBuilder();
    const dns = b.dns('priya-thinkpad.collector.example', b.lifecycle('node x.js'));
    const result = run(b, { canaries: [identity('hostname', 'priya-thinkpad', [{ index: dns, capture: { list: 'dns', index: 0, part: 'name' } }])] });
    const [f] = fired(result, 'identity-exfiltration');
    expect([f?.severity, f?.title]).toEqual(['high', "Sends the machine's identity (hostname) to collector.example"]);
    expect(f?.evidence.map((e) => [e.kind, e.index])).toEqual([['canary', 0], ['dns', dns]]);
    expect(f?.evidence[1]?.summary).toBe('DNS A lookup of priya-thinkpad.collector.example carried the hostname "priya-thinkpad" (plain)');
    expect(result.verdict).toBe('malicious');
    // The persona is not a planted credential.
    expect(fired(result, 'credential-exfiltration')).toEqual([]);
  });

  it('hex chunks of host, user and cwd over ten queries: one identity finding, one lookup finding with ten rows', () => {
    const b = new BehaviorBuilder();
    const sh = b.lifecycle('python setup.py');
    const idx = Array.from({ length: 10 }, (_, i) => b.dns(`${'a1b2c3d4e5'.repeat(3)}${i}.t.attacker.example`, sh));
    const leak = (i: number): Partial<CanaryLeak> => ({ index: idx[i], destination: 'attacker.example', encoding: 'hex', layers: ['dns-labels', 'hex'], capture: { list: 'dns', index: i, part: 'name' } });
    const result = run(b, {
      canaries: [
        identity('hostname', 'priya-thinkpad', [leak(0)]),
        identity('user name', 'priya.patel', [leak(1)]),
        identity('project directory', '/home/priya.patel/projects/api', [leak(2), leak(3)]),
      ],
    });
    const ids = fired(result, 'identity-exfiltration');
    expect(ids).toHaveLength(1);
    expect(ids[0]!.title).toBe("Sends the machine's identity (hostname, user name, project directory) to attacker.example");
    expect(ids[0]!.evidence.filter((e) => e.kind === 'dns')).toHaveLength(4);
    expect(ids[0]!.evidence.find((e) => e.kind === 'dns')!.summary).toContain('(hex, split across DNS labels)');
    const lookups = fired(result, 'network-activity');
    expect(lookups.map((f) => f.title)).toEqual(['Looks up 10 names under attacker.example during install']);
    expect(lookups[0]!.evidence).toHaveLength(10);
    expect(result.verdict).toBe('malicious');
  });

  it("does not count asking a geolocation service about the machine's own address", () => {
    const b = new BehaviorBuilder();
    const http = b.http('ipinfo.io', 'GET', '/73.44.118.23/json', '', b.lifecycle('node x.js'));
    const result = run(b, { canaries: [identity('public address', '73.44.118.23', [{ channel: 'https', destination: 'ipinfo.io', index: http }])] });
    expect(fired(result, 'identity-exfiltration')).toEqual([]);
    expect(fired(result, 'exfiltration-channel')[0]?.severity).toBe('low');
  });

  it('is critical together with a planted credential', () => {
    const b = new BehaviorBuilder();
    const http = b.http('c2.example', 'POST', '/x', 'data', b.lifecycle('node x.js'));
    const where = { channel: 'http' as const, destination: 'c2.example', index: http };
    const result = run(b, {
      canaries: [
        identity('user name', 'priya.patel', [where]),
        { kind: 'env-npm', planted: 'NPM_TOKEN', read: null, leaked: true, evidence: [{ encoding: 'plain', phase: 'install', ...where }] },
      ],
    });
    expect(fired(result, 'identity-exfiltration')[0]?.severity).toBe('critical');
  });
});

describe('environment-exfiltration', () => {
  it('base64 JSON of the environment in a URL query: malicious, critical with the credentials it held', () => {
    const b = new BehaviorBuilder();
    const http = b.http('c2.example', 'GET', '/p?d=eyJQQVRIIjoi', '', b.lifecycle('node x.js'));
    const leak: CanaryLeak = { encoding: 'base64', layers: ['base64'], channel: 'http', destination: 'c2.example', phase: 'install', index: http, capture: { list: 'streams', index: 0, http: 0, part: 'path' } };
    const env: CanaryReport = { kind: 'environment', planted: 'process environment', read: null, leaked: true, evidence: [leak], valuePreview: 'HOME, PATH, USER, … (23 variables)' };
    const alone = run(b, { canaries: [env] });
    const [f] = fired(alone, 'environment-exfiltration');
    expect([f?.severity, f?.title]).toEqual(['high', 'Sends the process environment to c2.example']);
    expect(f?.evidence[1]?.summary).toBe('HTTP GET c2.example/p?d=eyJQQVRIIjoi (path) carried the process environment (base64)');
    expect(alone.verdict).toBe('malicious');
    const withToken = run(b, { canaries: [env, { kind: 'env-aws', planted: 'AWS_SECRET_ACCESS_KEY', read: null, leaked: true, evidence: [leak] }] });
    expect(fired(withToken, 'environment-exfiltration')[0]?.severity).toBe('critical');
    // Geolocating the machine's own address is profiling: it does not make the dump critical.
    const geo = b.http('ipinfo.io', 'GET', '/73.44.118.23/json', '', b.lifecycle('node y.js'));
    const profiled = run(b, { canaries: [env, identity('public address', '73.44.118.23', [{ channel: 'https', destination: 'ipinfo.io', index: geo }])] });
    expect(fired(profiled, 'environment-exfiltration')[0]?.severity).toBe('high');
  });
});

describe('exfiltration-channel', () => {
  it('names a webhook-shaped POST on any host, critical when it carried the user name', () => {
    const b = new BehaviorBuilder();
    const sh = b.lifecycle('node x.js');
    b.dns('hooks.example', sh);
    const http = b.http('hooks.example', 'POST', '/api/webhooks/123456789012345678/AbCdEfGhIjKlMnOpQrStUv-w', '{"content":"priya.patel"}', sh);
    const plain = run(b);
    const [before] = fired(plain, 'exfiltration-channel');
    expect([before?.severity, before?.title]).toEqual(['high', 'Sends to a Discord webhook (hooks.example) during install']);
    expect(before?.explanation).toContain('discord.com/developers/docs');
    expect(fired(plain, 'network-activity')).toEqual([]);
    const carried = run(b, { canaries: [identity('user name', 'priya.patel', [{ channel: 'https', destination: 'hooks.example', index: http }])] });
    expect(fired(carried, 'exfiltration-channel')[0]?.severity).toBe('critical');
    expect(carried.verdict).toBe('malicious');
  });

  it('rates a public-IP lookup low alone and medium when data was also sent', () => {
    const lookup = new BehaviorBuilder();
    lookup.http('api.ipify.org', 'GET', '/?format=json', '', lookup.lifecycle('node x.js'));
    const [alone] = fired(run(lookup), 'exfiltration-channel');
    expect([alone?.severity, alone?.title]).toEqual(['low', 'Contacts a public-IP lookup (ipify.org) during install']);
    expect(run(lookup).verdict).toBe('benign');
    lookup.http('collector.example', 'POST', '/in', 'ip=73.44.1.2', 1);
    expect(fired(run(lookup), 'exfiltration-channel')[0]?.severity).toBe('medium');
  });
});

describe('grouped network findings', () => {
  it('a flood of connections is one finding with every connection as a row', () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node flood.js');
    for (let i = 0; i < 1500; i++) b.connect(node, `198.51.100.${i % 250}`, 1000 + i, { hostname: `h${i}.d${i % (FLOOD_DOMAINS + 20)}.example` });
    const found = fired(run(b), 'network-activity');
    expect(found).toHaveLength(1);
    expect(found[0]!.title).toBe(`Floods the network: ${FLOOD_DOMAINS + 20} destinations during install`);
    expect(found[0]!.evidence.filter((e) => e.kind === 'connection')).toHaveLength(1500);
  });

  it('an installer reporting OS and architecture to its own host is not identity exfiltration', () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node install.js');
    b.http('downloads.tool.example', 'GET', '/latest?os=linux&arch=x64&node=v20.18.0', '', node);
    const result = run(b, { declaredHosts: ['downloads.tool.example'] });
    expect(fired(result, 'identity-exfiltration')).toEqual([]);
    expect(fired(result, 'environment-exfiltration')).toEqual([]);
  });
});
