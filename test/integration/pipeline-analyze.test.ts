// The real pipeline end to end on uploaded imitation packages: fetch (inspect) → stage →
// sinkhole + canaries → sandbox → behavior → leaks → rules → report. Real Docker, no mocks.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Report, type AnalysisJob, type AnalyzeContext, type Stage } from '@vetbox/contracts';
import { diffReports } from '@vetbox/diff';
import { inspectUpload } from '@vetbox/fetch';
import { createAnalyzer, rescoreReport } from '@vetbox/pipeline';
import { DockerRuntime, LABEL_ANALYSIS, ensureSandboxImage } from '@vetbox/sandbox';
import { envStealer, harmless, npmrcThief, prebuiltAddon, writeNpmArchive, type NpmArchiveSpec } from '../fixtures/pipeline/imitation.js';

const runtime = new DockerRuntime();
let dir = '';
let workRoot = '';
let analyze: ReturnType<typeof createAnalyzer>;
const used: string[] = [];

beforeAll(async () => {
  const image = await ensureSandboxImage(runtime, { build: true });
  dir = await mkdtemp(path.join(os.tmpdir(), 'vetbox-pipeline-'));
  workRoot = path.join(dir, 'work');
  analyze = createAnalyzer({ runtime, image, workRoot, limits: { graceMs: 1000 } });
}, 600_000);

afterEach(async () => {
  for (const id of used.splice(0)) expect(await runtime.listByLabel(LABEL_ANALYSIS, id)).toEqual([]);
  // Every work directory (staging, download, traces) is gone once analyze returns or throws.
  expect(await readdir(workRoot).catch(() => [])).toEqual([]);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function uploadJob(spec: NpmArchiveSpec): Promise<AnalysisJob> {
  const file = await writeNpmArchive(path.join(dir, 'uploads'), spec);
  const inspected = await inspectUpload(file);
  const analysisId = `test-pipeline-${randomUUID()}`;
  used.push(analysisId);
  return {
    analysisId,
    artifact: { ecosystem: 'npm', name: inspected.name, version: inspected.version, source: 'upload', storedPath: file, sha256: inspected.sha256 },
    phases: ['install', 'import'],
    force: false,
  };
}

function context(extra: Partial<AnalyzeContext> = {}): AnalyzeContext & { stages: Stage[] } {
  const stages: Stage[] = [];
  return { signal: new AbortController().signal, attempt: 1, onStage: (s) => stages.push(s), stages, ...extra };
}

const rulesOf = (r: Report) => r.findings.map((f) => f.rule);

describe('pipeline: analyze', () => {
  it('an uploaded env stealer is malicious: the canary leaked over HTTP, with traces and capture kept', async () => {
    const job = await uploadJob(envStealer());
    const ctx = context();
    const { report, raw } = await analyze(job, ctx);
    expect(Report.safeParse(report).success).toBe(true);
    expect(report.verdict, report.summary).toBe('malicious');
    expect(rulesOf(report)).toEqual(expect.arrayContaining(['credential-exfiltration', 'network-activity']));
    expect(report.findings.find((f) => f.rule === 'credential-exfiltration')!.severity).toBe('critical');
    expect(report.canaries.some((c) => c.leaked)).toBe(true);
    expect(report.behavior.network.http.some((h) => h.host === 'collector.example' && h.method === 'POST')).toBe(true);
    expect(report.package).toMatchObject({ ecosystem: 'npm', name: 'env-stealer', version: '1.0.0', source: 'upload', sha256: job.artifact.sha256 });
    expect(report.phases.map((p) => p.name)).toEqual(['install', 'import']);
    // The trace is kept: per phase under strace, one session under eBPF (the default where it loads).
    if (report.sandbox?.tracer?.name === 'ebpf') expect(raw.filter((r) => r.kind === 'ebpf-session').map((r) => r.phase)).toEqual([null]);
    else expect(raw.filter((r) => r.kind === 'strace').map((r) => r.phase)).toEqual(['install', 'import']);
    expect(raw.find((r) => r.kind === 'sinkhole-capture')!.data.toString()).toContain('collector.example');
    expect(ctx.stages).toEqual(['fetch', 'install', 'import', 'parse', 'rules']);
    // Rescoring the stored report with the same rules changes nothing.
    const { verdict, score, findings, summary, incomplete, incompletePhases, knownMalicious } = report;
    expect(rescoreReport(report)).toEqual({ verdict, score, findings, summary, incomplete: incomplete ?? false, incompletePhases, knownMalicious });
  }, 300_000);

  it('a harmless build step is benign, and the same archive twice diffs to nothing', async () => {
    const spec = harmless('tidy-twice', '2.0.0');
    const first = await analyze(await uploadJob(spec), context());
    expect(first.report.verdict, JSON.stringify(first.report.findings.map((f) => [f.rule, f.severity]))).toBe('benign');
    const second = await analyze(await uploadJob(spec), context());
    const diff = diffReports(first.report, second.report);
    expect(diff.changes).toEqual([]);
    expect(diff.empty).toBe(true);
  }, 300_000);

  it('a malicious update: 1.0.1 adds a ~/.npmrc read posted to a new host, and says so against 1.0.0', async () => {
    const base = await analyze(await uploadJob(harmless()), context());
    expect(base.report.verdict).toBe('benign');
    const { report } = await analyze(await uploadJob(npmrcThief()), context({ baseline: base.report }));
    expect(report.verdict, report.summary).toBe('malicious');
    const added = report.baseline!.added;
    expect(report.baseline!.version).toBe('1.0.0');
    const summaries = (xs: { summary: string }[]) => xs.map((x) => x.summary).join('\n');
    expect(summaries(added.hosts)).toContain('telemetry.tidy-helper.example');
    expect(summaries(added.files)).toContain('.npmrc');
    expect(summaries(added.processes)).toContain('report.js');
    const newBehavior = report.findings.find((f) => f.rule === 'new-behavior');
    expect(newBehavior, rulesOf(report).join(',')).toBeDefined();
    expect(['high', 'critical']).toContain(newBehavior!.severity);
    // Only the old postinstall command line went away (it grew `&& node report.js`).
    const { processes: removedProcesses, ...removedRest } = report.baseline!.removed;
    for (const side of Object.values(removedRest)) expect(side).toEqual([]);
    expect(removedProcesses.map((p) => p.key)).toEqual(['sh -c node build.js']);
    // The comparison is stored with the report, so a rescore keeps the new-behavior finding.
    expect(rulesOf({ ...report, ...rescoreReport(report) })).toContain('new-behavior');
  }, 400_000);

  it("a prebuilt binary from the host package.json declares is benign (low); the same download undeclared is not", async () => {
    const declared = await analyze(await uploadJob(prebuiltAddon('demo-addon', true)), context());
    const network = declared.report.findings.find((f) => f.rule === 'network-activity');
    const text = JSON.stringify(declared.report.findings.map((f) => [f.rule, f.severity, f.explanation]));
    expect(declared.report.package.declaredHosts, text).toEqual(['binaries.demo-addon.example']);
    // Seen decrypted by the sinkhole: the GET of the release archive, rated low with the reason.
    expect(declared.report.behavior.network.http.map((h) => `${h.method} ${h.host}${h.path}`)).toContain(
      'GET binaries.demo-addon.example/v1.0.0/demo-addon-v1.0.0-node-v115-linux-x64.tar.gz',
    );
    expect(network?.severity, text).toBe('low');
    expect(network?.explanation, text).toContain('declared in its metadata');
    expect(declared.report.verdict, text).toBe('benign');
    // Rescoring the stored report reaches the same verdict: the declaration is stored with it.
    expect(rescoreReport(declared.report).verdict).toBe('benign');

    const undeclared = await analyze(await uploadJob(prebuiltAddon('demo-addon-undeclared', false)), context());
    expect(undeclared.report.findings.find((f) => f.rule === 'network-activity')?.severity).toBe('high');
    expect(undeclared.report.verdict).not.toBe('benign');
  }, 400_000);

  it('cancellation stops the sandbox and leaves nothing behind', async () => {
    const job = await uploadJob({
      name: 'slow-install',
      version: '1.0.0',
      scripts: { postinstall: 'node -e "setTimeout(() => {}, 120000)"' },
      files: { 'index.js': 'module.exports = 1;\n' },
    });
    const controller = new AbortController();
    const started = Date.now();
    const ctx = context({
      signal: controller.signal,
      onStage: (stage) => {
        if (stage === 'install') setTimeout(() => controller.abort('cancelled'), 3000);
      },
    });
    await expect(analyze(job, ctx)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 200_000);
});
