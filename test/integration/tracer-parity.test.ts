// Parity (#17): each project fixture — the imitations and a real package with an install script —
// detonated under strace and under eBPF, as the same workstation, through the real pipeline
// (sinkhole, canaries, rules). The package's processes, files, connections, DNS names and canary
// hits must agree: eBPF replaces strace without losing what the reports show.
// Payloads target `.example` names and documentation addresses only, and run only in the sandbox.
import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report, StagedPackage } from '@vetbox/contracts';
import { detonate } from '@vetbox/pipeline';
import { DockerRuntime, ensureSandboxImage, randomIdentity } from '@vetbox/sandbox';
import { DNS_EXFIL_JS, NPMRC_HTTPS_JS, NPM_PAYLOAD, awsStealerSetupPy, stageNpm, stagePypiSdist, tempDir } from '../fixtures/sandbox/stage.js';

const runtime = new DockerRuntime();
let image = '';
const dirs: string[] = [];

beforeAll(async () => {
  image = await ensureSandboxImage(runtime, { build: true });
}, 600_000);

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function esbuild(): Promise<StagedPackage> {
  const dir = await tempDir('parity-esbuild');
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'stage', version: '0.0.0', private: true }));
  execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', 'esbuild@0.24.0'], { cwd: dir, stdio: 'pipe' });
  return {
    ecosystem: 'npm', name: 'esbuild', version: '0.24.0', source: 'registry',
    sha256: '0'.repeat(64), size: 0,
    dir, archiveFile: 'esbuild-0.24.0.tgz', importNames: ['esbuild'], entryPoints: ['lib/main.js'], declaredHosts: [],
  };
}

const FIXTURES: Array<{ name: string; stage: () => Promise<StagedPackage> }> = [
  {
    name: 'npm postinstall: reads ~/.ssh/id_rsa, curl | sh, raw TCP to 192.0.2.10',
    stage: () => stageNpm({ name: 'parity-postinstall', scripts: { postinstall: 'node install.js' }, files: { 'install.js': NPM_PAYLOAD } }),
  },
  {
    name: 'npm import-time payload: NPM_TOKEN hex-encoded into DNS names, ~/.npmrc over HTTPS',
    stage: () => stageNpm({ name: 'parity-import', scripts: {}, files: { 'index.js': `${DNS_EXFIL_JS}\n${NPMRC_HTTPS_JS}\nmodule.exports = {};\n` } }),
  },
  {
    name: 'PyPI sdist: setup.py sends ~/.aws/credentials over raw TCP to 198.51.100.20',
    stage: () => stagePypiSdist({ name: 'parityaws', setupPy: awsStealerSetupPy('parityaws'), files: { 'parityaws.py': 'VALUE = 1\n' } }),
  },
  { name: 'a real package with an install script (esbuild 0.24.0)', stage: esbuild },
];

/** Run-specific text: the canaries' random values (hex in DNS labels), pip's random temp dirs. */
const stable = (s: string): string => s.replace(/[0-9a-f]{16,}/g, '<hex>').replace(/(\/tmp\/pip-[a-z-]+-)[a-z0-9_]{8}\b/g, '$1<r>');

/**
 * What a report shows of the package (housekeeping folded away), with run-specific parts removed:
 * a connection to an address the sinkhole answered is named by its host (each sinkhole answers
 * with addresses of its own).
 */
function shown(report: Report): Record<string, string[]> {
  const b = report.behavior;
  const pkg = new Set(b.processes.filter((p) => !p.housekeeping).map((p) => `${p.phase}:${p.pid}`));
  const ofPkg = (phase: string, pid: number) => pkg.has(`${phase}:${pid}`);
  const sorted = (xs: string[]) => [...new Set(xs.map(stable))].sort();
  return {
    processes: sorted(b.processes.filter((p) => !p.housekeeping).map((p) => `${p.phase} ${p.argv.join(' ')}`)),
    files: sorted(b.files.filter((f) => ofPkg(f.phase, f.pid) && f.op !== 'stat').map((f) => `${f.phase} ${f.op} ${f.path} ${f.result}`)),
    connections: sorted(b.network.connections.filter((c) => c.family === 'inet' || c.family === 'inet6').map((c) => `${c.phase} ${c.syscall} ${c.protocol} ${c.hostname ?? c.address}:${c.port}`)),
    dns: sorted(b.network.dns.map((d) => `${d.phase} ${d.name} ${d.type}`)),
    canaries: sorted(report.canaries.filter((c) => c.leaked).map((c) => c.planted)),
    rules: sorted(report.findings.map((f) => `${f.rule} ${f.severity}`)),
  };
}

describe('tracer parity: strace and eBPF show the same behavior', () => {
  for (const fx of FIXTURES) {
    it(fx.name, async () => {
      const staged = await fx.stage();
      dirs.push(staged.dir);
      const identity = randomIdentity();
      const run = (tracer: 'strace' | 'ebpf') =>
        detonate(staged, {
          analysisId: `test-parity-${tracer}-${staged.name}-${process.pid}`,
          runtime,
          image,
          tracer,
          identity: { ...identity },
          workRoot: path.join(os.tmpdir(), 'vetbox-parity-work'),
          limits: { graceMs: 1000 },
        });
      const [strace, ebpf] = await Promise.all([run('strace'), run('ebpf')]);
      expect(strace.report.sandbox?.tracer?.name).toBe('strace');
      expect(ebpf.report.sandbox?.tracer).toEqual({ name: 'ebpf', visibleToPackage: false, lostEvents: 0 });
      const a = shown(strace.report);
      const b = shown(ebpf.report);
      for (const key of Object.keys(a)) expect(b[key], key).toEqual(a[key]);
      expect(ebpf.report.verdict).toBe(strace.report.verdict);
    }, 600_000);
  }
});
