import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { emptyBehavior, type Behavior } from '@vetbox/contracts';
import { capture, dns, httpStream, rawStream } from './__fixtures__/capture.js';
import { detectLeaks } from './detect.js';
import { base64Variants } from './encodings.js';
import { generateCanaries, type PlantedCanary } from './generate.js';

const canaries = generateCanaries({ home: '/home/bob', workdir: '/home/bob/projects/app' });
const byKind = (kind: string) => canaries.canaries.find((c) => c.kind === kind)!;
const npmEnv = byKind('env-npm');
const npmToken = npmEnv.values[0]!;
const custom = (value: string): PlantedCanary => ({ kind: 'env-aws', planted: 'AWS_SECRET_ACCESS_KEY', values: [value], preview: value.slice(0, 8) });

function leaksOf(planted: PlantedCanary, cap: ReturnType<typeof capture>, behavior?: Behavior) {
  return detectLeaks([planted], cap, behavior)[0]!;
}

describe('detectLeaks: encodings', () => {
  it('finds a plain value in an HTTP body', () => {
    const r = leaksOf(npmEnv, capture({ streams: [httpStream({ host: 'collector.example', body: `token=${npmToken}` })] }));
    expect(r.leaked).toBe(true);
    expect(r.evidence[0]).toMatchObject({ encoding: 'plain', channel: 'http', destination: 'collector.example', phase: 'install' });
  });

  it('finds base64 at every alignment', () => {
    for (const prefix of ['', 'x', 'xy', 'xyz', '{"NPM_TOKEN":"']) {
      const body = Buffer.from(prefix + npmToken + '"}').toString('base64');
      const r = leaksOf(npmEnv, capture({ streams: [httpStream({ host: 'c.example', body })] }));
      expect(r.evidence.map((e) => e.encoding), prefix).toEqual(['base64']);
    }
  });

  it('finds base64url in a path and url-escaped base64 in a form body', () => {
    const value = 'ab?>cd/+ef~~gh>>ij??kl/+mn';
    const b64url = Buffer.from(`k=${value}`).toString('base64url');
    const b64 = encodeURIComponent(Buffer.from(`k=${value}`).toString('base64'));
    const cap = capture({
      streams: [httpStream({ host: 'a.example', method: 'GET', path: `/p?d=${b64url}` }), httpStream({ host: 'b.example', body: `d=${b64}` })],
    });
    const r = leaksOf(custom(value), cap);
    expect(r.evidence.map((e) => [e.encoding, e.destination, e.capture?.part])).toEqual([
      ['base64url', 'a.example', 'path'],
      ['base64', 'b.example', 'body'],
    ]);
  });

  it('finds hex (lower and upper), url-encoding and JSON escaping', () => {
    const value = 'sl/ash+plus/and/more+x';
    const cap = capture({
      streams: [
        httpStream({ host: 'h1.example', body: Buffer.from(value).toString('hex') }),
        httpStream({ host: 'h2.example', body: Buffer.from(value).toString('hex').toUpperCase() }),
        httpStream({ host: 'h3.example', method: 'GET', path: `/?q=${encodeURIComponent(value)}` }),
        httpStream({ host: 'h4.example', body: `{"k":"${value.replace(/\//g, '\\/')}"}` }),
      ],
    });
    expect(leaksOf(custom(value), cap).evidence.map((e) => [e.destination, e.encoding])).toEqual([
      ['h1.example', 'hex'],
      ['h2.example', 'hex'],
      ['h3.example', 'url'],
      ['h4.example', 'json'],
    ]);
  });

  it('finds JSON-escaped multi-line secrets (a whole key file) by a piece of a line', () => {
    const ssh = byKind('ssh-key');
    const key = canaries.files.find((f) => f.path === '.ssh/id_rsa')!.content;
    const r = leaksOf(ssh, capture({ streams: [httpStream({ host: 'k.example', body: JSON.stringify({ key }) })] }));
    expect(r.leaked).toBe(true);
    expect(r.evidence[0]!.encoding).toBe('plain');
  });

  it('decompresses gzip and deflate bodies (by header or magic) and base64-wrapped gzip', () => {
    // Padding so every compressor really compresses (brotli stores tiny inputs verbatim).
    const payload = Buffer.from(JSON.stringify({ env: { NPM_TOKEN: npmToken, PATH: '/usr/local/bin:/usr/bin:/bin'.repeat(20) } }));
    const cap = capture({
      streams: [
        httpStream({ host: 'g1.example', headers: { 'content-encoding': 'gzip' }, body: zlib.gzipSync(payload) }),
        httpStream({ host: 'g2.example', body: zlib.deflateSync(payload) }),
        httpStream({ host: 'g3.example', headers: { 'content-encoding': 'deflate' }, body: zlib.deflateRawSync(payload) }),
        httpStream({ host: 'g4.example', body: zlib.gzipSync(payload).toString('base64') }),
        httpStream({ host: 'g5.example', headers: { 'content-encoding': 'br' }, body: zlib.brotliCompressSync(payload) }),
      ],
    });
    const r = leaksOf(npmEnv, cap);
    expect(r.evidence.map((e) => [e.destination, e.encoding, e.layers])).toEqual([
      ['g1.example', 'gzip', ['gzip']],
      ['g2.example', 'gzip', ['gzip']],
      ['g3.example', 'gzip', ['gzip']],
      ['g4.example', 'base64', ['base64', 'gzip']],
      ['g5.example', 'gzip', ['gzip']],
    ]);
  });
});

describe('detectLeaks: channels', () => {
  it('finds hex split across DNS labels', () => {
    const hex = Buffer.from(npmToken).toString('hex');
    const name = `${hex.slice(0, 40)}.${hex.slice(40)}.t.attacker.example`;
    const r = leaksOf(npmEnv, capture({ dns: [dns(name), dns(name, 'AAAA')] }));
    expect(r.evidence).toHaveLength(1);
    expect(r.evidence[0]).toMatchObject({ channel: 'dns', encoding: 'hex', layers: ['dns-labels', 'hex'], destination: 'attacker.example' });
  });

  it('finds hex split across successive DNS queries with sequence labels', () => {
    const hex = Buffer.from(npmToken).toString('hex');
    const chunks = hex.match(/.{1,30}/g)!;
    const queries = chunks.map((c, i) => dns(`${i}.${c}.x.exfil.example`));
    const r = leaksOf(npmEnv, capture({ dns: queries }));
    expect(r.evidence[0]).toMatchObject({ channel: 'dns', encoding: 'hex', destination: 'exfil.example', capture: { list: 'dns', index: 0 } });
  });

  it('finds case-randomised DNS names (0x20)', () => {
    const hex = Buffer.from(npmToken).toString('hex');
    const mixed = [...hex].map((ch, i) => (i % 2 ? ch.toUpperCase() : ch)).join('');
    const r = leaksOf(npmEnv, capture({ dns: [dns(`${mixed.slice(0, 60)}.${mixed.slice(60)}.q.example`)] }));
    expect(r.evidence[0]).toMatchObject({ encoding: 'hex' });
  });

  it('labels decrypted HTTPS, raw TCP and UDP', () => {
    const aws = byKind('aws-credentials');
    const file = canaries.files.find((f) => f.path === '.aws/credentials')!.content;
    const cap = capture({
      streams: [
        httpStream({ host: 'upload.example', tls: true, body: file }),
        rawStream('tcp', { address: '198.51.100.20', port: 9001 }, file),
        rawStream('udp', { address: '203.0.113.5', port: 5353 }, Buffer.from(file).toString('hex')),
      ],
    });
    const r = leaksOf(aws, cap);
    expect(r.evidence.map((e) => [e.channel, e.destination, e.encoding])).toEqual([
      ['https', 'upload.example', 'plain'],
      ['tcp', '198.51.100.20:9001', 'plain'],
      ['udp', '203.0.113.5:5353', 'hex'],
    ]);
  });

  it('finds values in headers and reports each carrying record once', () => {
    const gh = byKind('env-github');
    const token = gh.values[0]!;
    const cap = capture({ streams: [httpStream({ host: 'api.example', headers: { authorization: `token ${token}`, 'x-copy': token } })] });
    const r = leaksOf(gh, cap);
    expect(r.evidence).toHaveLength(1);
    expect(r.evidence[0]!.capture).toMatchObject({ part: 'headers' });
  });
});

describe('detectLeaks: no false hits', () => {
  it('ignores near misses: one character changed, truncated, other analyses’ tokens', () => {
    const changed = npmToken.slice(0, 20) + (npmToken[20] === 'A' ? 'B' : 'A') + npmToken.slice(21);
    const truncated = npmToken.slice(0, -1);
    const other = generateCanaries({ home: '/home/bob', workdir: '/home/bob/projects/app' }).env.NPM_TOKEN!;
    const bodies = [changed, truncated, other].flatMap((v) => [
      v,
      Buffer.from(v).toString('base64'),
      Buffer.from(v).toString('hex'),
      encodeURIComponent(v),
    ]);
    const cap = capture({
      dns: [dns(`${Buffer.from(truncated).toString('hex').slice(0, 60)}.x.example`)],
      streams: [...bodies.map((b) => httpStream({ host: 'n.example', body: b })), rawStream('tcp', { address: '192.0.2.1', port: 1 }, bodies.join('\n'))],
    });
    const r = detectLeaks(canaries.canaries, cap);
    expect(r.filter((x) => x.leaked)).toEqual([]);
  });

  it('does not count npm sending the .npmrc token to the registry', () => {
    const npmrc = byKind('npmrc');
    const cap = capture({
      streams: [httpStream({ host: 'registry.npmjs.org', tls: true, method: 'GET', path: '/left-pad', headers: { authorization: `Bearer ${npmrc.values[0]}` } })],
    });
    expect(leaksOf(npmrc, cap).leaked).toBe(false);
  });
});

describe('detectLeaks: joins to the trace', () => {
  it('takes pid, phase and behavior index from the connection with the same source port; read from file accesses', () => {
    const aws = byKind('aws-credentials');
    const file = canaries.files.find((f) => f.path === '.aws/credentials')!.content;
    const stream = rawStream('tcp', { address: '198.51.100.20', port: 9001 }, file, 43518);
    const behavior = emptyBehavior();
    behavior.processes.push(
      { pid: 10, ppid: null, phase: 'install', argv: ['npm'], cwd: null, startMs: 0, endMs: 1, exit: null, housekeeping: true },
      { pid: 42, ppid: 10, phase: 'import', argv: ['python3', 'setup.py'], cwd: null, startMs: 2, endMs: 3, exit: null },
    );
    behavior.network.connections.push(
      { phase: 'install', pid: 10, protocol: 'tcp', address: '198.51.100.9', port: 80, result: 'ok', sourcePort: 1111 },
      { phase: 'import', pid: 42, protocol: 'tcp', address: '198.51.100.20', port: 9001, result: 'EINPROGRESS', sourcePort: 43518 },
    );
    behavior.files.push({ phase: 'import', pid: 42, path: aws.file!, op: 'read', result: 'ok' });
    const [r, npm] = detectLeaks([aws, byKind('npmrc')], capture({ streams: [stream] }), behavior);
    expect(r!.read).toBe(true);
    expect(r!.evidence[0]).toMatchObject({ pid: 42, phase: 'import', index: 1, channel: 'tcp' });
    expect(npm!.read).toBe(false);
    // Only the package manager's own (housekeeping) process read it: not the package.
    behavior.files.push({ phase: 'install', pid: 10, path: byKind('npmrc').file!, op: 'read', result: 'ok' });
    expect(detectLeaks([byKind('npmrc')], capture({}), behavior)[0]!.read).toBe(false);
    expect(detectLeaks([npmEnv], capture({}), behavior)[0]!.read).toBeNull();
  });
});

describe('base64Variants', () => {
  it('yields substrings of the encoding at each alignment', () => {
    const v = Buffer.from('0123456789abcdef');
    const variants = base64Variants(v);
    expect(variants).toHaveLength(3);
    for (let pad = 0; pad < 3; pad++) {
      const enc = Buffer.concat([Buffer.from('zz').subarray(0, pad), v, Buffer.from('!')]).toString('base64');
      expect(enc).toContain(variants[pad]);
    }
  });
});
