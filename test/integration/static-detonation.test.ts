// #20 acceptance, end to end: the four imitation fixtures of the static pass uploaded as archives,
// staged as production stages uploads (scripts disabled on the host), detonated in the real
// sandbox with its sinkhole, and judged. Their payloads die or never run on Linux (a missing
// module, a Windows-only branch, a PE, a download that the sinkhole answers with nothing to run),
// so the verdict must come from reading the code, located, and say when a phase failed.
// Fixtures target `.example` names and documentation addresses only and run only in the sandbox.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '@vetbox/contracts';
import { inspectUpload, stage } from '@vetbox/fetch';
import { detonate } from '@vetbox/pipeline';
import { DockerRuntime, LABEL_ANALYSIS, ensureSandboxImage } from '@vetbox/sandbox';
import { bundledPeLauncher, obfuscatedSetupPy, remoteLoader, windowsStealer, writeFixtureArchive, type FixtureFiles } from '../../services/static/src/__fixtures__/imitation.js';

const runtime = new DockerRuntime();
const limits = { graceMs: 1000, phaseTimeoutMs: 180_000 };
let image = '';
let work = '';
const used: string[] = [];

beforeAll(async () => {
  image = await ensureSandboxImage(runtime, { build: true });
  work = await mkdtemp(path.join(os.tmpdir(), 'vetbox-static-detonation-'));
}, 600_000);

afterEach(async () => {
  for (const id of used.splice(0)) expect(await runtime.listByLabel(LABEL_ANALYSIS, id)).toEqual([]);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Upload → stage → detonate, as an uploaded archive is analyzed. */
async function analyzeUpload(fx: FixtureFiles, ecosystem: 'npm' | 'pypi'): Promise<{ report: Report; text: string }> {
  // A unique name per run, so nothing cached from another run stands in for this one.
  const unique = { ...fx, name: `${fx.name}-${randomUUID().slice(0, 6)}` };
  if (ecosystem === 'npm') unique.files = { ...fx.files, 'package.json': JSON.stringify({ ...JSON.parse(String(fx.files['package.json'])), name: unique.name }) };
  else unique.files = Object.fromEntries(Object.entries(fx.files).map(([f, c]) => [f, f === 'setup.py' ? String(c).replace(`name='${fx.name}'`, `name='${unique.name}'`) : c]));
  const archive = await writeFixtureArchive(work, unique, ecosystem);
  const staged = await stage(await inspectUpload(archive), work);
  const analysisId = `test-static-detonation-${randomUUID()}`;
  used.push(analysisId);
  const { report } = await detonate(staged, { analysisId, image, limits });
  const text = [
    `${unique.name}: ${report.verdict} ${report.score} — ${report.summary}`,
    ...report.phases.map((p) => `  phase ${p.name}: ${p.status} ${p.reason ?? ''} ${p.stderrTail.slice(-300).replace(/\n/g, ' | ')}`),
    ...report.findings.map((f) => `  ${f.rule}(${f.severity}) ${f.title}: ${f.evidence.slice(0, 3).map((e) => e.summary).join(' | ')}`),
    ...(report.static?.signals ?? []).map((s) => `  static ${s.kind} ${s.file}:${s.line}`),
  ].join('\n');
  console.log(text);
  return { report, text };
}

/** The static signal a finding cites, by kind and file. */
function staticEvidence(report: Report, kind: string, file: RegExp) {
  const signals = report.static?.signals ?? [];
  const cited = report.findings.flatMap((f) => f.evidence.filter((e) => e.kind === 'static' && e.index !== undefined).map((e) => signals[e.index!]!));
  return cited.find((s) => s.kind === kind && file.test(s.file));
}

describe('static pass joined with detonation: payloads that cannot run here are still caught (#20)', () => {
  it('an obfuscated setup.py whose payload dies on a missing module: not benign, incomplete, the exec located with its decoded layer', async () => {
    const { report, text } = await analyzeUpload(obfuscatedSetupPy(), 'pypi');
    expect(report.verdict, text).not.toBe('benign');
    expect(report.incomplete, text).toBe(true);
    expect(report.summary, text).toMatch(/incomplete/);
    const exec = staticEvidence(report, 'exec-decoded', /setup\.py$/);
    expect(exec, text).toMatchObject({ line: 2 });
    expect(JSON.stringify(exec), text).toContain('browser_cookie_vault');
  }, 400_000);

  it('a Windows-only stealer that never runs on Linux: not benign, the platform gate and its targets explained', async () => {
    const { report, text } = await analyzeUpload(windowsStealer(), 'pypi');
    expect(report.verdict, text).not.toBe('benign');
    expect(staticEvidence(report, 'exfil-endpoint', /__init__\.py$/), text).toMatchObject({ line: 6 });
    expect(staticEvidence(report, 'credential-path', /__init__\.py$/), text).toBeDefined();
    // The findings say the payload targets Windows, which is why behavior alone could not show it.
    expect(report.findings.map((f) => f.explanation).join(' '), text).toMatch(/gated to Windows/);
  }, 400_000);

  it('an npm postinstall that launches a bundled PE: not benign, the launch located in install.js', async () => {
    const { report, text } = await analyzeUpload(bundledPeLauncher(), 'npm');
    expect(report.verdict, text).not.toBe('benign');
    expect(staticEvidence(report, 'launches-bundled-executable', /install\.js$/), text).toBeDefined();
  }, 400_000);

  it('a loader that exec()s text downloaded from a .example URL: malicious', async () => {
    const { report, text } = await analyzeUpload(remoteLoader(), 'pypi');
    expect(report.verdict, text).toBe('malicious');
    expect(staticEvidence(report, 'exec-fetched', /__init__\.py$/), text).toBeDefined();
  }, 400_000);
});
