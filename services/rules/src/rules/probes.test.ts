import { describe, expect, it } from 'vitest';
import { BehaviorBuilder } from '../__fixtures__/builder.js';
import { fired, run } from '../__fixtures__/run.js';
import { esbuildPostinstall } from '../__fixtures__/scenarios.js';

describe('sandbox-probe', () => {
  it('fires medium for init-process cgroup, DMI and hypervisor reads', () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node x.js');
    b.read(node, '/proc/1/cgroup');
    b.read(node, '/sys/class/dmi/id/product_name');
    b.read(node, '/sys/hypervisor/type');
    const [f] = fired(run(b), 'sandbox-probe');
    expect(f?.severity).toBe('medium');
    expect(f?.evidence).toHaveLength(3);
  });

  it('fires medium for a TracerPid check and for virtualization tools', () => {
    const b = new BehaviorBuilder();
    b.lifecycle('grep TracerPid /proc/self/status');
    b.child(b.lifecycle('true'), ['systemd-detect-virt']);
    expect(fired(run(b), 'sandbox-probe')[0]?.evidence).toHaveLength(2);
  });

  it('rates a lone /.dockerenv check low (is-docker does it)', () => {
    const b = new BehaviorBuilder().inPhase('import');
    const node = b.process(['node', '-e', "require('demo-pkg')"]);
    b.file(node, 'stat', '/.dockerenv', { result: 'ENOENT' });
    const [f] = fired(run(b), 'sandbox-probe');
    expect(f?.severity).toBe('low');
    expect(run(b).verdict).toBe('benign');
  });

  it("ignores the runtime's own /proc/self reads and housekeeping probes", () => {
    const b = esbuildPostinstall();
    const node = b.lifecycle('node x.js');
    b.read(node, '/proc/self/status');
    b.read(node, '/proc/self/cgroup');
    b.read(node, '/proc/self/maps');
    b.read(node, '/proc/cpuinfo');
    b.read(node, '/sys/fs/cgroup/memory.max');
    b.read(b.npm(), '/.dockerenv');
    b.read(b.npm(), '/proc/1/cgroup');
    expect(fired(run(b), 'sandbox-probe')).toEqual([]);
  });
});

describe('process-injection', () => {
  it('fires high when ptrace or process_vm_writev shows in the syscall counts', () => {
    const b = new BehaviorBuilder().syscalls({ openat: 900, ptrace: 3 });
    const [f] = fired(run(b), 'process-injection');
    expect(f?.severity).toBe('high');
    expect(f?.evidence[0]?.summary).toBe('ptrace called 3 time(s) during install');
  });

  it("fires when package code opens another process's memory", () => {
    const b = new BehaviorBuilder();
    const py = b.lifecycle('python3 dump.py');
    b.read(py, '/proc/1234/mem');
    b.write(py, '/proc/1234/mem');
    expect(fired(run(b), 'process-injection')[0]?.evidence).toHaveLength(2);
  });

  it("ignores zero counts, the process's own memory, and /proc/<pid>/stat reads (ps)", () => {
    const b = new BehaviorBuilder().syscalls({ openat: 10, ptrace: 0 });
    const sh = b.lifecycle('ps aux');
    b.read(sh, `/proc/${sh}/mem`);
    b.read(sh, '/proc/1234/stat');
    b.read(sh, '/proc/1234/cmdline');
    expect(fired(run(b), 'process-injection')).toEqual([]);
  });
});

describe('background-process', () => {
  it('fires medium for a package process that outlived the phase', () => {
    const b = new BehaviorBuilder();
    b.child(b.lifecycle('nohup node beacon.js &'), ['node', 'beacon.js'], { outlived: true, endMs: null, exit: null });
    const [f] = fired(run(b), 'background-process');
    expect(f?.severity).toBe('medium');
    expect(f?.evidence[0]?.summary).toContain('node beacon.js');
  });

  it("ignores the package manager's own detached update check and processes that ended", () => {
    const b = new BehaviorBuilder();
    b.process(['node', '/usr/lib/node_modules/npm/lib/cli/update-notifier.js'], { housekeeping: true, outlived: true });
    b.lifecycle('node x.js');
    expect(fired(run(b), 'background-process')).toEqual([]);
  });
});
