import type { SandboxInfo } from '@vetbox/contracts';
import { parseTraceText } from '@vetbox/trace';
import { describe, expect, it } from 'vitest';
import { buildBehavior } from '../build.js';
import { classifyContext } from '../classify.js';
import { dependencyOf } from './dependencies.js';

const sandbox: SandboxInfo = { image: 'i', hostname: 'h', user: 'u', home: '/home/u', workdir: '/w', packageDirs: ['/w/node_modules/evil'], network: 'sinkhole' };
const ctx = classifyContext(sandbox);
const HEX = '5d0f3c1e9a8b7c6d5e4f3a2b1c0d9e8f';

describe('dependencyOf', () => {
  it('pip: a named requirement built in pip-install-*/<name>_<hex> (cwd or the setup.py path in argv)', () => {
    expect(dependencyOf(`/tmp/pip-install-k2x_p0/beacon-helper_${HEX}`, ['python3', 'x.py'], ctx)).toBe('beacon-helper');
    expect(dependencyOf('/tmp', ['python3', '-c', `exec(compile(open('/tmp/pip-install-ab/beacon_helper_${HEX}/setup.py').read()))`, 'egg_info'], ctx)).toBe('beacon_helper');
    expect(dependencyOf('/tmp/pip-install-ab/requests', ['python3'], ctx)).toBe('requests');
    // The analyzed archive (given by path) builds in pip-req-build-*: its own code.
    expect(dependencyOf('/tmp/pip-req-build-xy12', ['python3', 'setup.py'], ctx)).toBeUndefined();
  });

  it('npm: a lifecycle script in another package directory of the project', () => {
    expect(dependencyOf('/w/node_modules/dep', ['sh', '-c', 'node install.js'], ctx)).toBe('dep');
    expect(dependencyOf('/w/node_modules/evil/node_modules/@s/inner', ['sh'], ctx)).toBe('@s/inner');
    expect(dependencyOf('/w/node_modules/evil', ['sh'], ctx)).toBeUndefined();
    expect(dependencyOf('/elsewhere/node_modules/dep', ['sh'], ctx)).toBeUndefined();
  });
});

// pip (200) builds the dependency's sdist (201, whose child 202 connects out) and the analyzed
// sdist (203); the analyzed setup.py starts 204 in a directory named like a dependency build,
// and a pip of its own (205) whose build (206) looks like a dependency's: package code's pip vouches for nothing.
const PIP_TRACE = `
200 1000.000000 execve("/usr/bin/python3", ["python3", "-m", "pip", "install", "dist/needs-dep-1.0.tar.gz"], 0x7ffd /* 20 vars */) = 0
200 1000.010000 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 201
201 1000.011000 chdir("/tmp/pip-install-k2x_p0/beacon-helper_${HEX}") = 0
201 1000.012000 execve("/usr/bin/python3", ["python3", "-c", "exec(compile(...))", "egg_info"], 0x7ffd /* 20 vars */) = 0
201 1000.020000 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 202
202 1000.021000 execve("/usr/bin/curl", ["curl", "http://collector.example/"], 0x7ffd /* 20 vars */) = 0
202 1000.030000 connect(5<TCP:[0.0.0.0:40000]>, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("198.51.100.7")}, 16) = 0
200 1000.040000 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 203
203 1000.041000 chdir("/tmp/pip-req-build-xy12") = 0
203 1000.042000 execve("/usr/bin/python3", ["python3", "setup.py", "egg_info"], 0x7ffd /* 20 vars */) = 0
203 1000.050000 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 204
204 1000.051000 chdir("/tmp/pip-install-zz/requests_${HEX}") = 0
204 1000.052000 execve("/bin/sh", ["sh", "-c", "curl http://collector.example/"], 0x7ffd /* 20 vars */) = 0
203 1000.060000 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 205
205 1000.061000 execve("/usr/bin/python3", ["python3", "-m", "pip", "install", "/tmp/pip-install-qq/requests_${HEX}"], 0x7ffd /* 20 vars */) = 0
205 1000.070000 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f) = 206
206 1000.071000 chdir("/tmp/pip-install-qq/requests_${HEX}") = 0
206 1000.072000 execve("/usr/bin/python3", ["python3", "-c", "exec(compile(...))", "egg_info"], 0x7ffd /* 20 vars */) = 0
`;

describe('process attribution', () => {
  it('a dependency build pip started, and its children, are the dependency’s; the package’s own processes never are', async () => {
    const b = await buildBehavior({ phases: [{ name: 'install', events: parseTraceText(PIP_TRACE) }], sandbox });
    const dep = Object.fromEntries(b.processes.map((p) => [p.pid, p.dependency]));
    expect(dep).toEqual({ 200: undefined, 201: 'beacon-helper', 202: 'beacon-helper', 203: undefined, 204: undefined, 205: undefined, 206: undefined });
  });
});
