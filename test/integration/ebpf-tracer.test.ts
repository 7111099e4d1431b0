// The eBPF tracer against the real kernel and Docker engine: package code cannot see it (no
// TracerPid, no tracer process, no ptrace capability in the container), strace can be seen (the
// reason it is only the fallback), and the worker's loader dies with the worker.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { loadEnv, REPO_ROOT } from '@vetbox/config';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime, LABEL_ANALYSIS, ensureSandboxImage, runInSandbox } from '@vetbox/sandbox';

const runtime = new DockerRuntime();
const used: string[] = [];
const newId = (): string => {
  const id = `test-ebpf-${randomUUID()}`;
  used.push(id);
  return id;
};

beforeAll(async () => {
  await ensureSandboxImage(runtime, { build: true });
}, 600_000);

afterEach(async () => {
  for (const id of used.splice(0)) {
    expect(await runtime.listByLabel(LABEL_ANALYSIS, id)).toEqual([]);
    await rm(path.join(loadEnv().DATA_DIR, 'sandbox', id), { recursive: true, force: true });
  }
});

// What malware checks: its own TracerPid, the bounding capability set (bit 19 = CAP_SYS_PTRACE),
// and the process list, from inside a detached child too (a tracer follows children).
const LOOK = [
  'grep TracerPid /proc/self/status',
  '{ sh -c "grep TracerPid /proc/self/status" & wait; }',
  'printf "ptrace-cap=%d\\n" $(( (0x$(grep CapBnd /proc/self/status | cut -f2) >> 19) & 1 ))',
  'for c in /proc/[0-9]*/comm; do printf "comm=%s\\n" "$(cat $c 2>/dev/null)"; done',
].join('; ');

describe('eBPF tracer: invisible to package code', () => {
  it('with eBPF: TracerPid 0 everywhere, no ptrace capability, no tracer process; the run is traced all the same', async () => {
    const r = await runInSandbox({ analysisId: newId(), tracer: 'ebpf', cmd: LOOK, limits: { graceMs: 200 } });
    expect(r.status).toBe('completed');
    expect(r.sandbox.tracer).toEqual({ name: 'ebpf', visibleToPackage: false, lostEvents: 0 });
    const lines = r.stdoutTail.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('TracerPid')).map((l) => l.split(/\s+/)[1])).toEqual(['0', '0']);
    expect(lines).toContain('ptrace-cap=0');
    const comms = lines.filter((l) => l.startsWith('comm=')).map((l) => l.slice(5));
    expect(comms.length).toBeGreaterThan(2);
    expect(comms.filter((c) => /strace|vetbox-tracer|bpf/.test(c))).toEqual([]);
    // Traced from the host: the session holds the greps.
    expect(r.session?.phases).toEqual(['command']);
    expect(r.trace).toBe('');
  });

  it('with strace: TracerPid is set and strace is in the process list (why eBPF is the default)', async () => {
    const r = await runInSandbox({ analysisId: newId(), tracer: 'strace', cmd: LOOK, limits: { graceMs: 200 } });
    expect(r.sandbox.tracer).toMatchObject({ name: 'strace', visibleToPackage: true });
    const lines = r.stdoutTail.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('TracerPid')).every((l) => l.split(/\s+/)[1] !== '0')).toBe(true);
    expect(lines).toContain('ptrace-cap=1');
    expect(lines).toContain('comm=strace');
  });
});

describe('eBPF loader lifetime', () => {
  it('exits with the worker that started it, even when the worker is killed', async () => {
    // A stand-in worker: starts the loader, prints its pid, then waits to be killed.
    const script = `
      const { EbpfLoader } = await import('@vetbox/sandbox');
      const quiet = { info() {}, warn() {}, error() {}, debug() {} };
      const loader = await EbpfLoader.start({ logger: quiet });
      console.log(loader.pid);
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const loaderPid = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => resolve(Number(c.toString().trim())));
      child.on('exit', (code) => reject(new Error(`stand-in worker exited ${code}`)));
    });
    expect(alive(loaderPid)).toBe(true);
    child.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (alive(loaderPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(alive(loaderPid)).toBe(false);
  }, 120_000);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
