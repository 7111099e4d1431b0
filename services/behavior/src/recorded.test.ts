import { fileURLToPath } from 'node:url';
import { Behavior, type SandboxInfo } from '@vetbox/contracts';
import { describe, expect, it } from 'vitest';
import { buildBehavior } from './build.js';

/**
 * The recorded host traces (services/trace/src/__fixtures__, scripts/ beside them): the
 * behavior model must say exactly what those scripts did.
 */
const trace = (name: string) => fileURLToPath(new URL(`../../trace/src/__fixtures__/${name}`, import.meta.url));
const SCRIPTS = '/work/main/services/trace/src/__fixtures__/scripts';

const sandbox: SandboxInfo = {
  image: 'host',
  hostname: 'vm',
  user: 'root',
  home: '/root',
  workdir: '/tmp/vetbox-work',
  // The scripts play the package: their own directory is the package's.
  packageDirs: [SCRIPTS],
  network: 'none',
};

describe('recorded node script', async () => {
  const b = await buildBehavior({ phases: [{ name: 'install', tracePath: trace('node-activity.trace') }], sandbox });

  it('produces a contract-valid behavior', () => {
    expect(() => Behavior.parse(b)).not.toThrow();
    expect(b.malformedLines).toBe(0);
  });

  it('rebuilds the process tree: ppids, argv, exits, the killed child, what outlived the root', () => {
    const tree = b.processes.map((p) => ({
      pid: p.pid,
      ppid: p.ppid,
      argv: p.argv.join(' '),
      exe: p.exe,
      exit: p.exit,
      outlived: p.outlived ?? false,
    }));
    const ok = { code: 0, signal: null };
    expect(tree).toEqual([
      { pid: 9040, ppid: null, argv: `node ${SCRIPTS}/node-activity.cjs /tmp/vetbox-work`, exe: '/usr/bin/node', exit: { code: 3, signal: null }, outlived: false },
      { pid: 9047, ppid: 9040, argv: '/bin/sh -c sh -c "echo hi > /tmp/vetbox-work/out.txt; cat /tmp/vetbox-work/out.txt > /dev/null"', exe: '/bin/sh', exit: ok, outlived: false },
      { pid: 9048, ppid: 9047, argv: 'sh -c echo hi > /tmp/vetbox-work/out.txt; cat /tmp/vetbox-work/out.txt > /dev/null', exe: '/usr/bin/sh', exit: ok, outlived: false },
      { pid: 9049, ppid: 9048, argv: 'cat /tmp/vetbox-work/out.txt', exe: '/usr/bin/cat', exit: ok, outlived: false },
      { pid: 9050, ppid: 9040, argv: 'sh -c sleep 0.3; echo late > /dev/null', exe: '/usr/bin/sh', exit: ok, outlived: true },
      { pid: 9051, ppid: 9040, argv: 'sleep 5', exe: '/usr/bin/sleep', exit: { code: null, signal: 'SIGKILL' }, outlived: false },
      { pid: 9052, ppid: 9050, argv: 'sleep 0.3', exe: '/usr/bin/sleep', exit: ok, outlived: true },
    ]);
    // Node's worker threads are threads, not processes.
    expect(b.processes.some((p) => p.pid === 9041)).toBe(false);
    // cwd followed process.chdir() and was inherited by the children.
    expect(b.processes.every((p) => p.cwd === '/tmp/vetbox-work/sub')).toBe(true);
    const root = b.processes[0];
    expect(root.endMs! - root.startMs).toBeGreaterThan(100);
    expect(root.endMs! - root.startMs).toBeLessThan(1000);
  });

  it('lists exactly the file operations the script did, resolved to absolute paths', () => {
    const ops = b.files
      .filter((f) => f.op !== 'stat')
      .map((f) => [f.pid, f.op, f.path, f.result, f.target ?? f.mode ?? ''].join(' '));
    expect(ops).toEqual([
      '9040 exec /usr/bin/node ok ',
      '9040 read /etc/hostname ok ',
      '9040 read /nonexistent/secret ENOENT ',
      '9040 mkdir /tmp/vetbox-work/sub ok ',
      '9040 write /tmp/vetbox-work/sub/a.txt ok ',
      '9040 rename /tmp/vetbox-work/sub/a.txt ok /tmp/vetbox-work/sub/b.txt',
      '9040 chmod /tmp/vetbox-work/sub/b.txt ok 0755',
      '9040 read /tmp/vetbox-work/sub/b.txt ok ', // `openat(AT_FDCWD</tmp/vetbox-work/sub>, "b.txt", ...)`
      '9040 delete /tmp/vetbox-work/sub/b.txt ok ', // `unlink("b.txt")` after chdir
      '9047 exec /bin/sh ok ',
      '9048 exec /usr/bin/sh ok ',
      '9048 write /tmp/vetbox-work/out.txt ok ',
      '9049 exec /usr/bin/cat ok ',
      '9049 read /tmp/vetbox-work/out.txt ok ',
      '9050 exec /usr/bin/sh ok ',
      '9051 exec /usr/bin/sleep ok ',
      '9052 exec /usr/bin/sleep ok ',
    ]);
  });

  it('records the network activity: DNS datagram, local listener, connects with results', () => {
    const net = b.network.connections.map((c) => [c.pid, c.syscall, c.protocol, c.address, c.port, c.result].join(' '));
    expect(net).toEqual([
      '9040 sendmsg udp 192.0.2.10 53 ENETUNREACH',
      '9040 listen tcp 127.0.0.1 37415 ok',
      '9040 connect tcp 127.0.0.1 37415 EINPROGRESS',
      '9040 connect tcp 192.0.2.10 4444 ENETUNREACH',
    ]);
    // Client ports, from `-yy` decorations: the later write() on the TCP socket, and the bound
    // UDP socket's own decoration on sendmsg (`18<UDP:[0.0.0.0:54372]>`).
    expect(b.network.connections[2].sourcePort).toBe(39086);
    expect(b.network.connections[0].sourcePort).toBe(54372);
    expect(b.network.dns).toEqual([{ phase: 'install', name: 'example.invalid', type: 'A', pid: 9040, tMs: expect.any(Number) }]);
  });

  it('folds runtime noise into housekeeping and keeps every syscall in the counts', () => {
    const cats = Object.fromEntries((b.housekeeping ?? []).map((h) => [h.category, h.count]));
    expect(cats['shared-libraries']).toBeGreaterThan(10);
    expect(cats.locale).toBeGreaterThan(10);
    expect(cats['exec-path-search']).toBeGreaterThan(0);
    expect(cats.devices).toBeGreaterThan(0);
    expect(cats['package-own-files']).toBeGreaterThan(0); // the script reading itself
    expect(b.files.some((f) => f.path.endsWith('.so.6') || f.path === '/etc/ld.so.cache')).toBe(false);
    const counts = b.syscallCounts.install;
    expect(counts.execve).toBe(23); // `grep -c " execve(" node-activity.trace`: PATH misses included
    expect(counts.openat).toBeGreaterThan(50);
    expect(counts.mmap).toBeGreaterThan(10);
  });
});

describe('recorded python script', async () => {
  const b = await buildBehavior({ phases: [{ name: 'import', tracePath: trace('py-activity.trace') }], sandbox });

  it('gives the fork+exec tree and the file, DNS and connect evidence with the stdlib folded away', () => {
    expect(b.processes.map((p) => [p.pid, p.ppid, p.argv[0], p.exit?.code])).toEqual([
      [9059, null, '/usr/bin/python3', 0],
      [9060, 9059, 'true', 0],
    ]);
    const ops = b.files.filter((f) => f.op !== 'stat').map((f) => `${f.pid} ${f.op} ${f.path} ${f.result}`);
    expect(ops).toEqual([
      '9059 exec /usr/bin/python3 ok',
      '9059 read /etc/hostname ok',
      '9059 write /tmp/vetbox-work/py/py.txt ok',
      '9060 exec /bin/true ok',
      '9059 delete /tmp/vetbox-work/py/py.txt ok',
    ]);
    expect(b.network.connections.map((c) => `${c.syscall} ${c.protocol} ${c.address}:${c.port} ${c.result}`)).toEqual([
      'connect tcp 192.0.2.10:443 ENETUNREACH',
      'sendto udp 192.0.2.10:53 ENETUNREACH',
    ]);
    expect(b.network.dns.map((d) => `${d.name} ${d.type} ${d.pid}`)).toEqual(['pypi.example AAAA 9059']);
    // The UDP socket was unbound at sendto (`4<UDP:[55412]>`); its port shows on the later getpeername.
    expect(b.network.connections[1].sourcePort).toBe(43276);
    expect(b.housekeeping?.find((h) => h.category === 'python-stdlib')?.count).toBeGreaterThan(20);
    expect(b.files.some((f) => f.path.startsWith('/usr/lib/python3'))).toBe(false);
  });
});
