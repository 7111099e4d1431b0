import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { TracedEvent } from '../events.js';
import { EbpfSession, ipv6, readSockaddr, type PhasedEvent } from './session.js';
import { KIND, SYSCALLS } from './records.js';

const fixtures = fileURLToPath(new URL('../__fixtures__/ebpf/', import.meta.url));
const tmp = await mkdtemp(path.join(os.tmpdir(), 'vetbox-ebpf-session-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

async function readAll(file: string, reader: EbpfSession): Promise<PhasedEvent[]> {
  const out: PhasedEvent[] = [];
  for await (const batch of reader.read(file)) out.push(...batch);
  return out;
}

const sys = (name: string): number => SYSCALLS.findIndex((s) => s.name === name);

/** Records as the loader writes them (vetbox_tracer.h), for the cases a recording cannot pin down. */
class Writer {
  private parts: Buffer[] = [];
  private ts = 1_000_000_000;
  private offsetNs = 0n;

  private header(kind: number, sysId: number, pid: number, body: Buffer): void {
    const h = Buffer.alloc(40);
    h.writeUInt16LE(kind, 0);
    h.writeUInt16LE(sysId, 2);
    h.writeUInt32LE(40 + body.length, 4);
    h.writeBigUInt64LE(BigInt((this.ts += 1_000_000)), 8);
    h.writeBigUInt64LE(7n, 16);
    h.writeUInt32LE(pid, 24);
    h.writeUInt32LE(pid, 28);
    this.parts.push(h, body);
  }

  hello(offsetNs: bigint): this {
    const b = Buffer.alloc(16);
    b.writeUInt32LE(1, 0);
    b.writeBigInt64LE(offsetNs, 8);
    this.offsetNs = offsetNs;
    this.header(KIND.hello, 0, 0, b);
    return this;
  }

  mark(phase: number, counters: { lost?: number; suppressed?: number; dropped?: number } = {}, end = false): this {
    const b = Buffer.alloc(48);
    b.writeUInt32LE(phase, 0);
    b.writeBigInt64LE(this.offsetNs, 8);
    b.writeBigUInt64LE(BigInt(counters.lost ?? 0), 24);
    b.writeBigUInt64LE(BigInt(counters.suppressed ?? 0), 32);
    b.writeBigUInt64LE(BigInt(counters.dropped ?? 0), 40);
    this.header(end ? KIND.end : KIND.mark, 0, 0, b);
    return this;
  }

  fork(parent: number, child: number, thread = false): this {
    const b = Buffer.alloc(24);
    b.writeUInt32LE(child, 0);
    b.writeUInt32LE(child, 4);
    b.writeUInt32LE(thread ? 1 : 0, 16);
    this.header(KIND.fork, 0, parent, b);
    return this;
  }

  exec(pid: number, file: string, argv: string[]): this {
    const fixed = Buffer.alloc(8);
    this.header(KIND.exec, sys('execve'), pid, Buffer.concat([fixed, field(0, 6, Buffer.from(file)), field(1, 5, Buffer.from(argv.map((a) => `${a}\0`).join('')))]));
    return this;
  }

  call(pid: number, name: string, ret: number, args: number[], strings: Array<[number, string]> = []): this {
    const fixed = Buffer.alloc(56);
    fixed.writeBigInt64LE(BigInt(ret), 0);
    args.forEach((a, i) => fixed.writeBigInt64LE(BigInt(a), 8 + 8 * i));
    this.header(KIND.syscall, sys(name), pid, Buffer.concat([fixed, ...strings.map(([arg, s]) => field(arg, 1, Buffer.from(s)))]));
    return this;
  }

  exit(pid: number, status: number): this {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(status, 0);
    this.header(KIND.exit, 0, pid, b);
    return this;
  }

  flood(pid: number, name: string, emitted: number, suppressed: number): this {
    const b = Buffer.alloc(24);
    b.writeBigUInt64LE(BigInt(emitted), 0);
    b.writeBigUInt64LE(BigInt(suppressed), 8);
    this.header(KIND.flood, sys(name), pid, b);
    return this;
  }

  async file(name: string, cut = 0): Promise<string> {
    const all = Buffer.concat(this.parts);
    const file = path.join(tmp, name);
    await writeFile(file, all.subarray(0, all.length - cut));
    return file;
  }
}

function field(arg: number, type: number, bytes: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = arg;
  h[1] = type;
  h.writeUInt32LE(bytes.length, 4);
  return Buffer.concat([h, bytes]);
}

const AT_FDCWD = -100;
const O_CLOEXEC = 0x80000;
const O_DIRECTORY = 0x10000;

describe('EbpfSession on a recorded session (node-activity.cjs and ebpf-extra.py in the sandbox)', async () => {
  const meta = JSON.parse(readFileSync(`${fixtures}activity.json`, 'utf8')) as { cwds: string[]; sandbox: { workdir: string } };
  const work = meta.sandbox.workdir;
  const reader = new EbpfSession({ phaseCwd: (i) => meta.cwds[i] ?? null });
  const events = (await readAll(`${fixtures}activity.ebpf`, reader)).map((e) => e.event);
  const files = events.filter((e): e is Extract<TracedEvent, { kind: 'file' }> => e.kind === 'file');
  const has = (op: string, p: string, extra: Record<string, unknown> = {}) => files.some((f) => f.op === op && f.path === p && Object.entries(extra).every(([k, v]) => (f as unknown as Record<string, unknown>)[k] === v));

  it('reads every record, none malformed, all in the one phase', async () => {
    expect(reader.stats.malformed).toBe(0);
    expect(reader.stats.records).toBeGreaterThan(500);
    expect(reader.phaseCounters(1)).toEqual([{ lost: 0, suppressed: 0, dropped: 0 }]);
  });

  it('names programs with their whole argv, and exits with their status or signal', () => {
    const execs = events.filter((e): e is Extract<TracedEvent, { kind: 'exec' }> => e.kind === 'exec' && e.result === 'ok');
    expect(execs.find((e) => e.path === '/usr/bin/node')?.argv).toEqual(['node', 'node-activity.cjs', `${work}/n`]);
    const echo = execs.find((e) => e.path === '/bin/echo');
    expect(echo?.argv).toHaveLength(301);
    expect(echo?.argv?.[300]).toBe('arg299');
    const exits = events.filter((e): e is Extract<TracedEvent, { kind: 'exit' }> => e.kind === 'exit');
    expect(exits.some((e) => e.code === 3)).toBe(true); // node-activity exits 3
    expect(exits.some((e) => e.signal === 'SIGKILL')).toBe(true); // its `sleep 5` victim
    // A PATH search shows as failed exec attempts before the child gives up.
    expect(events.some((e) => e.kind === 'exec' && e.result === 'ENOENT' && e.path.endsWith('/no-such-tool-vetbox'))).toBe(true);
  });

  it('resolves paths against the cwd it tracks (chdir, fchdir) and directory fds', () => {
    expect(has('open', '/etc/hostname')).toBe(true);
    expect(has('open', `${work}/n/sub/b.txt`)).toBe(true); // `b.txt` after process.chdir
    expect(has('rename', `${work}/n/sub/a.txt`, { target: `${work}/n/sub/b.txt`, result: 'ok' })).toBe(true);
    expect(has('chmod', `${work}/n/sub/b.txt`, { mode: '0755' })).toBe(true);
    expect(has('delete', `${work}/n/sub/b.txt`)).toBe(true);
    // openat(dirfd, "f.txt", O_CREAT|O_EXCL), fchmod of it and of a dup2 copy, symlinkat, fchdir.
    expect(files.find((f) => f.path === `${work}/p/d/f.txt` && f.op === 'open' && f.flags?.creat)?.flags).toEqual({ creat: true, excl: true, write: true });
    expect(has('chmod', `${work}/p/d/f.txt`, { mode: '0700' })).toBe(true);
    expect(has('chmod', `${work}/p/d/f.txt`, { mode: '0750' })).toBe(true);
    expect(has('link', `${work}/p/d/link`, { target: '/etc/passwd' })).toBe(true);
    expect(files.some((f) => f.op === 'open' && f.path === `${work}/p/d/f.txt` && f.flags?.creat === false)).toBe(true);
  });

  it('describes sockets from the kernel: protocol, destination, client port, DNS payloads', () => {
    const net = events.filter((e): e is Extract<TracedEvent, { kind: 'net' }> => e.kind === 'net');
    const dns = net.find((e) => e.address === '198.51.100.53');
    expect(dns).toMatchObject({ syscall: 'sendmsg', protocol: 'udp', family: 'inet', port: 53, explicit: true });
    expect(Buffer.from(dns!.payloads![0]).includes(Buffer.from('ebpf1'))).toBe(true);
    const local = net.find((e) => e.syscall === 'connect' && e.address === '127.0.0.1');
    const listen = net.find((e) => e.syscall === 'listen');
    expect(listen).toMatchObject({ protocol: 'tcp', address: '127.0.0.1' });
    expect(local?.port).toBe(listen?.port);
    expect(local?.sourcePort).toBeGreaterThan(0);
    expect(net.find((e) => e.address === '192.0.2.10' && e.port === 4444)).toMatchObject({ protocol: 'tcp', result: 'ENETUNREACH' });
  });
});

describe('EbpfSession on written records', () => {
  it('gives a process the phase whose command started it, wherever its events fall', async () => {
    const file = await new Writer()
      .hello(1_700_000_000_000_000_000n)
      .mark(0)
      .exec(10, '/usr/bin/npm', ['npm', 'rebuild'])
      .fork(10, 11)
      .exec(11, 'sh', ['sh', '-c', 'sleep 100 &'])
      .exit(10, 0)
      .mark(1)
      .exec(20, '/usr/bin/node', ['node', 'import.cjs'])
      .call(11, 'openat', 3, [AT_FDCWD, 0, 0], [[1, 'late.txt']]) // the install leftover, during import
      .exit(20, 9) // SIGKILL
      .mark(1, {}, true)
      .file('phases.ebpf');
    const reader = new EbpfSession({ phaseCwd: (i) => ['/w', '/w/imp'][i] });
    const events = await readAll(file, reader);
    const byPid = (pid: number) => events.filter((e) => e.event.pid === pid).map((e) => e.phase);
    expect(new Set(byPid(10))).toEqual(new Set([0]));
    expect(new Set(byPid(11))).toEqual(new Set([0])); // still install's, in import's window
    expect(new Set(byPid(20))).toEqual(new Set([1]));
    const late = events.find((e) => e.event.kind === 'file')!.event;
    expect(late).toMatchObject({ path: '/w/late.txt', pid: 11 }); // cwd inherited from npm, the phase's dir
    expect(events.find((e) => e.event.kind === 'exec' && e.event.pid === 11)!.event).toMatchObject({ path: '/w/sh' });
    expect(events.find((e) => e.event.kind === 'exit' && e.event.pid === 20)!.event).toMatchObject({ code: null, signal: 'SIGKILL' });
    // Epoch ms from the loader's realtime offset.
    expect(Math.floor(events[0].event.tMs / 1e6)).toBe(1_700_000);
  });

  it("records none of the harness's own processes: daemons started before the first mark, the launcher until its exec", async () => {
    const file = await new Writer()
      .hello(1_700_000_000_000_000_000n)
      .exec(5, '/lib/systemd/systemd', ['/lib/systemd/systemd', '--user']) // the user's manager, while preparing
      .fork(5, 6)
      .exec(6, '/lib/systemd/systemd', ['(sd-pam)'])
      .mark(0)
      .call(30, 'openat', 3, [AT_FDCWD, 0, 0], [[1, '/proc/self/comm']]) // the login session's "-bash", first seen after its setuid
      .fork(30, 31)
      .call(31, 'chdir', 0, [0], [[0, '/w']])
      .exec(31, '/usr/bin/node', ['node', 'install.js'])
      .call(31, 'openat', 3, [AT_FDCWD, 0, 0], [[1, 'x.txt']])
      .call(5, 'openat', 3, [AT_FDCWD, 0, 0], [[1, '/etc/hostname']]) // the manager, during the phase
      .exit(31, 0)
      .exit(30, 0)
      .file('harness.ebpf');
    const events = (await readAll(file, new EbpfSession({ phaseCwd: () => '/w' }))).map((e) => e.event);
    expect(new Set(events.map((e) => e.pid))).toEqual(new Set([31]));
    expect(events.map((e) => e.kind)).toEqual(['cwd', 'exec', 'file', 'exit']);
    expect(events[0]).toMatchObject({ path: '/w' });
    expect(events[2]).toMatchObject({ path: '/w/x.txt' });
  });

  it('attributes losses to the phase that was current, and reads floods', async () => {
    const file = await new Writer()
      .hello(0n)
      .mark(0)
      .exec(10, '/bin/sh', ['sh'])
      .flood(10, 'readlink', 1000, 0)
      .flood(10, 'readlink', 1000, 159_000)
      .mark(0, { lost: 0, suppressed: 159_000 })
      .mark(1, { lost: 0, suppressed: 159_000 })
      .mark(1, { lost: 12, suppressed: 159_000, dropped: 3 }, true)
      .file('losses.ebpf');
    const reader = new EbpfSession();
    const events = await readAll(file, reader);
    expect(reader.phaseCounters(2)).toEqual([
      { lost: 0, suppressed: 159_000, dropped: 0 },
      { lost: 12, suppressed: 0, dropped: 3 },
    ]);
    expect(events.filter((e) => e.event.kind === 'flood').map((e) => e.event)).toMatchObject([
      { syscall: 'readlink', recorded: 1000, suppressed: 0 },
      { syscall: 'readlink', recorded: 1000, suppressed: 159_000 },
    ]);
  });

  it('copies the fd table at fork, honours close-on-exec, dup and close', async () => {
    const file = await new Writer()
      .hello(0n)
      .mark(0)
      .exec(10, '/bin/sh', ['sh'])
      .call(10, 'openat', 3, [AT_FDCWD, 0, O_DIRECTORY], [[1, '/etc']])
      .call(10, 'openat', 4, [AT_FDCWD, 0, O_DIRECTORY | O_CLOEXEC], [[1, '/root']])
      .call(10, 'dup2', 5, [3, 5])
      .fork(10, 11)
      .call(11, 'close', 0, [3])
      .exec(11, '/bin/x', ['x'])
      .call(11, 'openat', -2, [5, 0, 0], [[1, 'passwd']]) // dup2 copy survives exec
      .call(11, 'openat', -2, [4, 0, 0], [[1, 'secret']]) // cloexec: unknown after exec
      .call(11, 'openat', -2, [3, 0, 0], [[1, 'shadow']]) // closed in the child
      .call(10, 'openat', 6, [3, 0, 0], [[1, 'hosts']]) // the parent still has it
      .file('fds.ebpf');
    const events = (await readAll(file, new EbpfSession())).map((e) => e.event).filter((e) => e.kind === 'file');
    expect(events.map((e) => (e.kind === 'file' ? `${e.pid} ${e.path} ${e.result}` : ''))).toEqual([
      '10 /etc ok',
      '10 /root ok',
      '11 /etc/passwd ENOENT',
      '11 secret ENOENT',
      '11 shadow ENOENT',
      '10 /etc/hosts ok',
    ]);
  });

  it('stops at a cut record, counting what it could not read', async () => {
    const file = await new Writer().hello(0n).mark(0).exec(10, '/bin/sh', ['sh', '-c', 'x']).file('cut.ebpf', 5);
    const reader = new EbpfSession();
    const events = await readAll(file, reader);
    expect(events.some((e) => e.event.kind === 'exec')).toBe(false);
    expect(reader.stats.malformed).toBeGreaterThan(0);
  });
});

describe('socket addresses', () => {
  it('reads sockaddr_in, sockaddr_in6, unix paths and abstract names', () => {
    const in4 = Buffer.from([2, 0, 0x11, 0x5c, 192, 0, 2, 10, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(readSockaddr(in4)).toEqual({ family: 'inet', address: '192.0.2.10', port: 4444 });
    const in6 = Buffer.alloc(28);
    in6.writeUInt16LE(10, 0);
    in6.writeUInt16BE(443, 2);
    in6[23] = 1;
    expect(readSockaddr(in6)).toEqual({ family: 'inet6', address: '::1', port: 443 });
    expect(readSockaddr(Buffer.from('\x01\x00/run/x.sock\x00', 'latin1'))).toEqual({ family: 'unix', address: '/run/x.sock', port: null });
    expect(readSockaddr(Buffer.from('\x01\x00\x00abstract', 'latin1'))).toEqual({ family: 'unix', address: '@abstract', port: null });
    expect(ipv6(Buffer.from('20010db8000000000000000000000001', 'hex'))).toBe('2001:db8::1');
    expect(ipv6(Buffer.from('00000000000000000000ffffc0000201', 'hex'))).toBe('::ffff:192.0.2.1');
  });
});
