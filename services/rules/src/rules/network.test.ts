import { describe, expect, it } from 'vitest';
import { BehaviorBuilder } from '../__fixtures__/builder.js';
import { fired, run } from '../__fixtures__/run.js';

describe('network-activity', () => {
  it('rates a connection to an unknown host high, one finding per destination domain, naming the host', () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node x.js');
    b.dns('c2.attacker.example', node);
    b.connect(node, '203.0.113.7', 443, { hostname: 'c2.attacker.example' });
    b.dns('other.example', node);
    const found = fired(run(b), 'network-activity');
    expect(found.map((f) => [f.title, f.severity])).toEqual([
      ['Contacts c2.attacker.example during install', 'high'],
      ['Looks up other.example during install', 'medium'],
    ]);
    expect(found[0]!.evidence.map((e) => e.kind)).toEqual(['dns', 'connection']);
  });

  it('rates a DNS lookup alone medium and a hard-coded IP connection high', () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node x.js');
    b.dns('beacon.example', node);
    b.connect(node, '198.51.100.9', 4444, { result: 'ENETUNREACH' });
    const found = fired(run(b), 'network-activity');
    const ip = found.find((f) => f.title.includes('198.51.100.9'))!;
    expect(ip.severity).toBe('high');
    expect(ip.explanation).toMatch(/hard-coded/);
    expect(ip.explanation).toMatch(/Port 4444/);
    expect(found.find((f) => f.title.includes('beacon.example'))!.severity).toBe('medium');
  });

  it('fires in the import phase too', () => {
    const b = new BehaviorBuilder().inPhase('import');
    const node = b.process(['node', '-e', "require('demo-pkg')"]);
    b.dns('telemetry.example', node);
    b.connect(node, '192.0.2.10', 443, { hostname: 'telemetry.example' });
    expect(fired(run(b), 'network-activity')[0]?.phase).toBe('import');
  });

  it('rates DNS-tunnel names high, and names out-of-band servers as exfiltration channels, even without a connection', () => {
    const b = new BehaviorBuilder();
    b.dns('6e706d5f464146454b45595f666f725f746573747335.x.attacker.example');
    b.dns('abc.oastify.com');
    expect(fired(run(b), 'network-activity').map((f) => f.severity)).toEqual(['high']);
    const [channel] = fired(run(b), 'exfiltration-channel');
    expect([channel?.title, channel?.severity]).toEqual(['Looks up a Burp Collaborator server (oastify.com) during install', 'high']);
  });

  it('rates a download from the GitHub release host low and says so', () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('prebuild-install || node-gyp rebuild');
    b.dns('github.com', node);
    b.connect(node, '140.82.112.3', 443, { hostname: 'github.com', sentBytes: 517 });
    b.tls('github.com', node);
    b.http('github.com', 'GET', '/TryGhost/node-sqlite3/releases/download/v5.1.7/sqlite3-v5.1.7-napi-v6-linux-x64.tar.gz', '', node);
    const [f] = fired(run(b), 'network-activity');
    expect(f?.severity).toBe('low');
    expect(f?.explanation).toContain('release asset of TryGhost/node-sqlite3');
    expect(run(b).verdict).toBe('benign');
  });

  it('rates a browser download from a known binary host low, naming what is published there', () => {
    const b = new BehaviorBuilder();
    const node = b.child(b.lifecycle('node install.mjs'), ['node', 'install.mjs']);
    b.dns('storage.googleapis.com', node);
    b.connect(node, '142.250.0.207', 443, { hostname: 'storage.googleapis.com', sentBytes: 517 });
    b.tls('storage.googleapis.com', node);
    const [f] = fired(run(b, { name: 'puppeteer' }), 'network-activity');
    expect(f?.severity).toBe('low');
    expect(f?.explanation).toMatch(/Chrome for Testing/);
  });

  it("rates the package's own declared release host low", () => {
    const b = new BehaviorBuilder();
    b.tls('downloads.demo-project.example', b.lifecycle('node install.js'));
    const [f] = fired(run(b, { declaredHosts: ['downloads.demo-project.example'] }), 'network-activity');
    expect(f?.severity).toBe('low');
    expect(f?.explanation).toMatch(/own repository\/release host \(declared in its metadata\)/);
  });

  it('rates a prebuilt addon from the binary host package.json declares low, and the same host undeclared high', () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node-pre-gyp install --fallback-to-build');
    b.dns('demo-binaries.s3.example', node);
    b.http('demo-binaries.s3.example', 'GET', '/v1.0.0/demo-v1.0.0-node-v115-linux-x64.tar.gz', '', node);
    const declared = run(b, { declaredHosts: ['demo-binaries.s3.example'] });
    expect(fired(declared, 'network-activity')[0]?.severity).toBe('low');
    expect(declared.verdict).toBe('benign');
    expect(fired(run(b), 'network-activity')[0]?.severity).toBe('high');
  });

  it('does not excuse a script fetched from a declared host, nor an upload to it', () => {
    const script = new BehaviorBuilder();
    script.http('www.demo-project.example', 'GET', '/stage2.js', '', script.lifecycle('node x.js'));
    expect(fired(run(script, { declaredHosts: ['www.demo-project.example'] }), 'network-activity')[0]?.severity).toBe('high');
    const upload = new BehaviorBuilder();
    upload.http('www.demo-project.example', 'POST', '/releases/upload', 'secrets', upload.lifecycle('node x.js'));
    expect(fired(run(upload, { declaredHosts: ['www.demo-project.example'] }), 'network-activity')[0]?.severity).toBe('high');
  });

  it('does not excuse an upload to a release host', () => {
    const b = new BehaviorBuilder();
    b.http('github.com', 'POST', '/api/upload', 'secrets', b.lifecycle('node x.js'));
    expect(fired(run(b), 'network-activity')[0]?.severity).toBe('high');
  });

  it('ignores the package registry, loopback, Unix sockets, PTR lookups and the resolver itself', () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node x.js');
    b.dns('registry.npmjs.org', node);
    b.connect(node, '104.16.0.35', 443, { hostname: 'registry.npmjs.org' });
    b.tls('registry.npmjs.org', node);
    b.http('registry.npmjs.org', 'GET', '/left-pad', '', node);
    b.connect(node, '127.0.0.1', 9229);
    b.connect(node, '/var/run/nscd/socket', null as unknown as number, { protocol: 'unix', family: 'unix' });
    b.dns('7.0.113.203.in-addr.arpa', node);
    b.connect(node, '10.0.0.2', 53, { protocol: 'udp', syscall: 'sendto' });
    b.connect(node, '0.0.0.0', 8080, { syscall: 'bind' });
    expect(fired(run(b), 'network-activity')).toEqual([]);
  });

  it('uses the registry hosts it is given (a private mirror)', () => {
    const b = new BehaviorBuilder();
    b.dns('npm.corp.example', b.lifecycle('node x.js'));
    expect(fired(run(b), 'network-activity')).toHaveLength(1);
    expect(fired(run(b, { registryHosts: ['npm.corp.example'] }), 'network-activity')).toEqual([]);
  });

  it("treats queries to the sandbox's own resolver as DNS transport, but not a hard-coded public resolver", () => {
    // glibc connect()s a UDP socket to the resolver, then sends; the name is in the DNS records.
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node-pre-gyp install --fallback-to-build');
    b.connect(node, '10.255.255.53', 53, { protocol: 'udp', result: 'ENETUNREACH' });
    b.connect(node, '127.0.0.11', 53, { protocol: 'udp' });
    expect(fired(run(b), 'network-activity')).toEqual([]);
    b.connect(node, '8.8.8.8', 53, { protocol: 'udp', syscall: 'sendto', sentBytes: 60 });
    const [f] = fired(run(b), 'network-activity');
    expect(f?.title).toBe('Contacts 8.8.8.8 during install');
    expect(f?.severity).toBe('high');
  });

  it("does not count getaddrinfo's UDP address-selection connects (nothing sent) as contact", () => {
    const b = new BehaviorBuilder();
    const curl = b.lifecycle('curl -s http://stage.example/x');
    b.dns('stage.example', curl);
    b.connect(curl, '141.94.57.251', 80, { protocol: 'udp', result: 'ok', hostname: 'stage.example' });
    b.connect(curl, '2001:41d0::1', 80, { protocol: 'udp', family: 'inet6', result: 'ok', hostname: 'stage.example' });
    const [f] = fired(run(b), 'network-activity');
    expect([f?.title, f?.severity]).toEqual(['Looks up stage.example during install', 'medium']);
    expect(f?.evidence.map((e) => e.kind)).toEqual(['dns']);
  });

  it('rates a listening socket on all interfaces medium, but not a loopback-only server', () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node x.js');
    b.connect(node, '127.0.0.1', 37415, { syscall: 'listen', result: 'ok' });
    expect(fired(run(b), 'network-activity')).toEqual([]);
    b.connect(node, '0.0.0.0', 31337, { syscall: 'listen', result: 'ok' });
    const [f] = fired(run(b), 'network-activity');
    expect(f?.severity).toBe('medium');
    expect(f?.evidence[0]?.summary).toContain('port 31337');
  });

  it('does not call a sinkhole-answered address (198.18.0.0/15) hard-coded', () => {
    const b = new BehaviorBuilder();
    b.connect(b.lifecycle('node x.js'), '198.18.0.7', 443);
    const [f] = fired(run(b), 'network-activity');
    expect(f?.severity).toBe('high');
    expect(f?.explanation).not.toMatch(/hard-coded/);
  });
});

describe('listening sockets', () => {
  const serve = (phase: 'import' | 'execute', called: boolean) => {
    const b = new BehaviorBuilder().inPhase(phase);
    const worker = b.process(['node', '/usr/local/libexec/execute-npm.cjs', '--worker', '0', 'demo-pkg']);
    const t = b.behavior.processes[0]!.startMs;
    if (called) b.behavior.calls = [{ phase, kind: 'call', name: 'preview()', of: 'demo-pkg', pid: worker, startMs: t, endMs: t + 50, outcome: 'resolved' }];
    b.connect(worker, '::', 4173, { syscall: 'listen', family: 'inet6', result: 'ok' });
    return fired(run(b), 'network-activity').find((f) => f.title.startsWith('Opens a listening socket'));
  };

  it("rates low a server the execute phase asked the package's API for, in the calling process", () => {
    const f = serve('execute', true);
    expect(f?.severity).toBe('low');
    expect(f?.explanation).toMatch(/API/);
  });

  it("rates low the package's own command serving (`vite` with no arguments), medium a program that command started", () => {
    const b = new BehaviorBuilder().inPhase('execute');
    const harness = b.process(['node', '/usr/local/libexec/execute-npm.cjs', '3000', '15000', 'demo-pkg']);
    const bin = b.child(harness, ['node', '/home/u/app/node_modules/.bin/demo-pkg']);
    const spawned = b.child(bin, ['nc', '-l', '-p', '4444']);
    const t = b.behavior.processes[0]!.startMs;
    b.behavior.calls = [{ phase: 'execute', kind: 'bin', name: 'demo-pkg', pid: bin, startMs: t, endMs: t + 3000, outcome: 'timeout' }];
    b.connect(bin, '0.0.0.0', 5173, { syscall: 'listen', result: 'ok' });
    const severities = () => fired(run(b), 'network-activity').filter((f) => f.title.startsWith('Opens a listening socket')).map((f) => f.severity);
    expect(severities()).toEqual(['low']);
    b.connect(spawned, '0.0.0.0', 4444, { syscall: 'listen', result: 'ok' });
    expect(severities().sort()).toEqual(['low', 'medium']);
  });

  it('keeps medium a listener nobody asked for: at import, or in execute outside a call', () => {
    expect(serve('import', false)?.severity).toBe('medium');
    expect(serve('execute', false)?.severity).toBe('medium');
  });
});
