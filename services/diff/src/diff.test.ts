import { describe, expect, it } from 'vitest';
import { emptyBehavior, type Report } from '@vetbox/contracts';
import { diffReports } from './diff.js';
import { normalizeText } from './normalize.js';

function report(version: string, user: string, mutate: (r: Report) => void = () => {}): Report {
  const home = `/home/${user}`;
  const r: Report = {
    schemaVersion: 1,
    analyzer: { version: 'test' },
    package: { ecosystem: 'npm', name: 'left-padder', version, sha256: 'a'.repeat(64), source: 'upload' },
    verdict: 'benign',
    score: 0,
    findings: [],
    phases: [],
    behavior: emptyBehavior(),
    canaries: [],
    sandbox: {
      image: 'vetbox-sandbox:test',
      hostname: `dev-${user}`,
      user,
      home,
      workdir: `${home}/project`,
      packageDirs: [`${home}/project/node_modules/left-padder`],
      network: 'sinkhole',
    },
  };
  // The harmless build step both versions share, with run-specific temp names and pids.
  r.behavior.processes.push({
    pid: 100 + version.length,
    ppid: 1,
    phase: 'install',
    argv: ['sh', '-c', `node build.js --out /tmp/build-${user}x9Q2`],
    cwd: `${home}/project/node_modules/left-padder`,
    startMs: 5,
    endMs: 50,
    exit: { code: 0, signal: null },
  });
  r.behavior.files.push({ phase: 'install', pid: 101, path: `${home}/project/node_modules/left-padder/dist/index.js`, op: 'write', result: 'ok' });
  r.behavior.files.push({ phase: 'import', pid: 130, path: `/proc/${1000 + version.length}/status`, op: 'read', result: 'ok' });
  mutate(r);
  return r;
}

describe('diffReports', () => {
  it('gives an empty diff for two runs of the same package despite random names, temp files and pids', () => {
    const a = report('1.0.0', 'alice7');
    const b = report('1.0.0', 'mbrown');
    const diff = diffReports(a, b);
    expect(diff.changes).toEqual([]);
    expect(diff.empty).toBe(true);
  });

  it('shows exactly the new DNS name, HTTP request, credential read, process and finding', () => {
    const base = report('1.0.0', 'alice7');
    const target = report('1.0.1', 'mbrown', (r) => {
      const home = r.sandbox!.home;
      r.behavior.processes.push({ pid: 200, ppid: 1, phase: 'install', argv: ['sh', '-c', 'node steal.js'], cwd: home, startMs: 1, endMs: 2, exit: { code: 0, signal: null } });
      r.behavior.files.push({ phase: 'install', pid: 201, path: `${home}/.npmrc`, op: 'read', result: 'ok' });
      r.behavior.network.dns.push({ phase: 'install', name: 'collect.attacker.example', type: 'A' });
      r.behavior.network.http.push({ phase: 'install', method: 'POST', host: 'collect.attacker.example', path: '/u?id=123456', headers: {}, bodyPreview: 'x' });
      r.findings.push({ rule: 'credential-exfiltration', severity: 'critical', title: 'A planted credential left the sandbox', explanation: '', phase: 'install', evidence: [] });
    });
    const diff = diffReports(base, target);
    expect(diff.added.hosts.map((e) => e.key)).toEqual(['dns:collect.attacker.example', 'http:POST collect.attacker.example/u']);
    expect(diff.added.processes.map((e) => e.key)).toEqual(['sh -c node steal.js']);
    expect(diff.added.files.map((e) => e.key)).toEqual(['read ~/.npmrc']);
    expect(diff.added.findings.map((e) => e.key)).toEqual(['credential-exfiltration']);
    expect(diff.removed).toEqual({ hosts: [], processes: [], files: [], canaries: [], findings: [] });
    expect(diff.changes[0]!.change).toBe('added');
  });

  it('lists what a version stopped doing as removed, after the added entries', () => {
    const base = report('1.0.0', 'u1', (r) => r.behavior.network.dns.push({ phase: 'install', name: 'old.example', type: 'A' }));
    const target = report('1.0.1', 'u2', (r) => r.behavior.network.dns.push({ phase: 'import', name: 'new.example', type: 'AAAA' }));
    const diff = diffReports(base, target);
    expect(diff.changes.map((c) => `${c.change} ${c.key}`)).toEqual(['added dns:new.example', 'removed dns:old.example']);
  });

  it('ignores housekeeping processes and failed file accesses', () => {
    const base = report('1.0.0', 'u1');
    const target = report('1.0.1', 'u2', (r) => {
      r.behavior.processes.push({ pid: 9, ppid: 1, phase: 'install', argv: ['npm', 'rebuild'], cwd: '/', startMs: 0, endMs: 1, exit: null, housekeeping: true });
      r.behavior.files.push({ phase: 'install', pid: 9, path: '/etc/missing', op: 'read', result: 'ENOENT' });
    });
    expect(diffReports(base, target).empty).toBe(true);
  });

  it('tracks canaries read and leaked', () => {
    const base = report('1.0.0', 'u1');
    const target = report('1.0.1', 'u2', (r) =>
      r.canaries.push({
        kind: 'npmrc',
        planted: '~/.npmrc',
        read: true,
        leaked: true,
        evidence: [{ encoding: 'base64', channel: 'http', destination: 'x.example:80', phase: 'install' }],
      }),
    );
    expect(diffReports(base, target).added.canaries.map((e) => e.key)).toEqual(['leaked:npmrc:~/.npmrc', 'read:npmrc:~/.npmrc']);
  });

  it('names each canary by where it was planted, with the random home masked', () => {
    const target = report('1.0.1', 'priya-dev', (r) => {
      r.canaries.push({ kind: 'npmrc', planted: `${r.sandbox!.home}/.npmrc`, read: true, leaked: false, evidence: [] });
      r.canaries.push({ kind: 'env-aws', planted: 'AWS_ACCESS_KEY_ID', read: true, leaked: false, evidence: [] });
      r.canaries.push({ kind: 'env-aws', planted: 'AWS_SECRET_ACCESS_KEY', read: true, leaked: false, evidence: [] });
    });
    expect(diffReports(report('1.0.0', 'anna'), target).added.canaries.map((e) => e.summary)).toEqual([
      'read the env-aws canary (AWS_ACCESS_KEY_ID)',
      'read the env-aws canary (AWS_SECRET_ACCESS_KEY)',
      'read the npmrc canary (~/.npmrc)',
    ]);
  });

  it("does not list the sandbox's own resolver as a host: the DNS lookups are the destinations", () => {
    const target = report('1.0.1', 'u2', (r) => {
      r.behavior.network.dns.push({ phase: 'install', name: 'collect.attacker.example', type: 'A' });
      r.behavior.network.connections.push({ phase: 'install', pid: 300, protocol: 'udp', address: '10.255.255.53', port: 53, result: 'ok' });
    });
    expect(diffReports(report('1.0.0', 'u1'), target).added.hosts.map((e) => e.key)).toEqual(['dns:collect.attacker.example']);
  });
});

describe('phases only one side ran', () => {
  const phase = (name: 'install' | 'import' | 'execute', status: 'completed' | 'error_other' = 'completed', durationMs = 100) => ({ name, status, exitCode: 0, durationMs, stdoutTail: '', stderrTail: '' });
  it('leaves out what only a phase the baseline never ran saw, and names that phase', () => {
    // The baseline was analysed before the execute phase existed (install and import only).
    const base = report('1.0.0', 'alice7', (r) => {
      r.phases = [phase('install'), phase('import')];
    });
    const target = report('1.0.1', 'mbrown', (r) => {
      r.phases = [phase('install'), phase('import'), phase('execute')];
      r.behavior.network.dns.push({ phase: 'execute', name: 'api.vendor.example', type: 'A' });
      r.behavior.network.dns.push({ phase: 'install', name: 'collect.attacker.example', type: 'A' });
    });
    const diff = diffReports(base, target);
    expect(diff.uncompared).toEqual(['execute']);
    expect(diff.added.hosts.map((e) => e.key)).toEqual(['dns:collect.attacker.example']);
  });

  it('compares a phase both ran, and treats a phase skipped before it started as not run', () => {
    const base = report('1.0.0', 'alice7', (r) => {
      r.phases = [phase('install'), phase('import'), phase('execute', 'error_other', 0)];
    });
    const target = report('1.0.1', 'mbrown', (r) => {
      r.phases = [phase('install'), phase('import'), phase('execute')];
      r.behavior.network.dns.push({ phase: 'execute', name: 'api.vendor.example', type: 'A' });
    });
    expect(diffReports(base, target).uncompared).toEqual(['execute']);
    expect(diffReports(base, target).empty).toBe(true);
    base.phases[2] = phase('execute');
    const both = diffReports(base, target);
    expect(both.uncompared).toEqual([]);
    expect(both.added.hosts.map((e) => e.key)).toEqual(['dns:api.vendor.example']);
  });
});

describe('generated file names', () => {
  const withWrite = (version: string, user: string, names: string[]) =>
    report(version, user, (r) => {
      for (const name of names) {
        r.behavior.files.push({ phase: 'install', pid: 150, path: `${r.sandbox!.workdir}/node_modules/left-padder/build/${name}`, op: 'write', result: 'ok' });
      }
    });

  it('treats a temp file written under another random name, even a word-shaped one, as the same behavior', () => {
    // Seen in CI: binutils' stXXXXXX produced `stygVcqm`, which reads like camelCase.
    const diff = diffReports(withWrite('5.1.0', 'alice7', ['st5e0acI']), withWrite('5.1.1', 'mbrown', ['stygVcqm']));
    expect(diff.changes).toEqual([]);
  });

  it('still shows the extra files when the new version writes more of them, and other directories', () => {
    const diff = diffReports(withWrite('1.0.0', 'alice7', ['stAb12Cd']), withWrite('1.0.1', 'mbrown', ['stygVcqm', 'stQwErTy']));
    expect(diff.added.files).toHaveLength(1);
    expect(diff.removed.files).toEqual([]);
    const elsewhere = report('1.0.1', 'mbrown', (r) => {
      r.behavior.files.push({ phase: 'install', pid: 150, path: `${r.sandbox!.home}/.config/autostart/stygVcqm`, op: 'write', result: 'ok' });
    });
    expect(diffReports(withWrite('1.0.0', 'alice7', ['stAb12Cd']), elsewhere).added.files.map((e) => e.key)).toEqual([
      'write ~/.config/autostart/stygVcqm',
    ]);
  });
});

describe('normalizeText', () => {
  it('maps run-specific parts to placeholders', () => {
    const ctx = { home: '/home/kim', workdir: '/home/kim/project', user: 'kim', hostname: 'dev-box-1a2b' };
    expect(normalizeText('/home/kim/project/node_modules/x', ctx)).toBe('<workdir>/node_modules/x');
    expect(normalizeText('/home/kim/.aws/credentials', ctx)).toBe('~/.aws/credentials');
    expect(normalizeText('/tmp/npm-12345-abc/file', ctx)).toBe('/tmp/<tmp>/file');
    expect(normalizeText('/proc/4312/cmdline', ctx)).toBe('/proc/<pid>/cmdline');
    expect(normalizeText('cache/5f2b9c1e7d3a4b6c.json', ctx)).toBe('cache/<id>.json');
    expect(normalizeText('log-1732650000123.txt', ctx)).toBe('log-<n>.txt');
    expect(normalizeText('~/.config/gh/hosts.yml', ctx)).toBe('~/.config/gh/hosts.yml');
  });

  it('maps mkstemp-style random segments, and keeps names people write', () => {
    // Seen for real: bcrypt's build writes build/Release/node-addon-api/st<random>.
    expect(normalizeText('<workdir>/build/Release/node-addon-api/stmUjdN', {})).toBe('<workdir>/build/Release/node-addon-api/<tmp>');
    expect(normalizeText('<workdir>/build/Release/node-addon-api/stwXI5Ju', {})).toBe('<workdir>/build/Release/node-addon-api/<tmp>');
    expect(normalizeText('<workdir>/build/Release/node-addon-api/st5e0acI', {})).toBe('<workdir>/build/Release/node-addon-api/<tmp>');
    for (const kept of ['/bin/sha256sum', '/src/CMakeLists', '/pkg/Makefile', '/pkg/README', '/pkg/LICENSE', '/lib/readFile', '/lib/HttpClient2', '/x/index.js']) {
      expect(normalizeText(kept, {})).toBe(kept);
    }
  });

  it("maps the package's own version in release URLs and paths", () => {
    const ctx = { version: '5.1.1' };
    expect(normalizeText('github.com/kelektiv/node.bcrypt.js/releases/download/v5.1.1/bcrypt_lib-v5.1.1-napi-v3-linux-x64-glibc.tar.gz', ctx)).toBe(
      'github.com/kelektiv/node.bcrypt.js/releases/download/v<version>/bcrypt_lib-v<version>-napi-v3-linux-x64-glibc.tar.gz',
    );
    // A version without a dot is too short to replace safely.
    expect(normalizeText('/a/1/b', { version: '1' })).toBe('/a/1/b');
  });
});
