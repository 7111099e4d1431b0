// Two real consecutive releases of a popular package with an install script, analyzed through
// the production pipeline and diffed: the diff must be small and every entry explainable (no
// noise from temp names, pids, timestamps or the random sandbox identity).
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisJob } from '@vetbox/contracts';
import { diffReports } from '@vetbox/diff';
import { createAnalyzer } from '@vetbox/pipeline';
import { DockerRuntime, ensureSandboxImage } from '@vetbox/sandbox';

const runtime = new DockerRuntime();

beforeAll(async () => {
  await ensureSandboxImage(runtime, { build: true });
}, 600_000);

function job(name: string, version: string): AnalysisJob {
  return { analysisId: `test-diff-real-${randomUUID()}`, artifact: { ecosystem: 'npm', name, version, source: 'registry' }, phases: ['install', 'import'], force: false };
}

describe('diff of real consecutive releases', () => {
  it('bcrypt 5.1.0 → 5.1.1: a small, explainable diff and a benign verdict', async () => {
    const analyze = createAnalyzer({ runtime, limits: { graceMs: 1000 } });
    const ctx = () => ({ signal: new AbortController().signal, attempt: 1, onStage: () => {} });
    const base = await analyze(job('bcrypt', '5.1.0'), ctx());
    const target = await analyze(job('bcrypt', '5.1.1'), { ...ctx(), baseline: base.report });
    const diff = diffReports(base.report, target.report);
    const lines = diff.changes.map((c) => `${c.change === 'added' ? '+' : '-'} [${c.category}] ${c.summary}`);
    console.log(`bcrypt 5.1.0 → 5.1.1: ${diff.changes.length} changes\n${lines.join('\n')}`);
    expect(diff.changes.length, lines.join('\n')).toBeLessThanOrEqual(4);
    // The release URL differs only by the version (normalized away); what remains is 5.1.1's
    // install script asking node for its major version: processes, nothing on the network.
    expect(diff.added.hosts, lines.join('\n')).toEqual([]);
    expect(diff.removed.hosts, lines.join('\n')).toEqual([]);
    expect(diff.changes.every((c) => c.category === 'processes'), lines.join('\n')).toBe(true);
    expect(diff.added.canaries).toEqual([]);
    expect(target.report.verdict).toBe('benign');
    // Spawning a new process is new behavior, reported at low severity: it does not change the verdict.
    const added = target.report.findings.find((f) => f.rule === 'new-behavior');
    expect(added?.severity).toBe('low');
    expect(added!.evidence.map((e) => e.summary).join('\n')).toContain('process.versions.node');
  }, 600_000);
});
