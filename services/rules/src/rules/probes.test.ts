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

  it('reads pid 1 as one row of a process listing (ps), not as a container check; environments only when ps is asked for them', () => {
    const listing = (argv: string[]) => {
      const b = new BehaviorBuilder().inPhase('import');
      const ps = b.child(b.process(['node', '-e', "require('demo-pkg')"]), argv);
      for (const n of [1, 7, 8, 12]) for (const file of ['stat', 'cmdline', 'environ']) b.file(ps, 'read', `/proc/${n}/${file}`, { result: n === 1 ? 'EACCES' : 'ok' });
      return run(b);
    };
    const plain = listing(['ps']);
    expect(fired(plain, 'sandbox-probe')).toEqual([]);
    expect(fired(plain, 'credential-store-read')).toEqual([]);
    expect(plain.verdict).toBe('benign');
    // `ps eww` prints every environment: that is a harvest, and pid 1's environ among them counts.
    expect(fired(listing(['ps', 'eww']), 'credential-store-read')[0]?.severity).toBe('high');

    const probe = new BehaviorBuilder();
    const node = probe.lifecycle('node x.js');
    probe.read(node, '/proc/1/cmdline');
    probe.read(node, '/proc/7/cmdline');
    expect(fired(run(probe), 'sandbox-probe')[0]?.severity).toBe('medium');
  });

  it("rates a machine id read (DMI product_uuid, serials) low: telemetry's fingerprint, not VM detection", () => {
    const b = new BehaviorBuilder();
    const cat = b.child(b.lifecycle('node index.js'), ['cat', '/sys/class/dmi/id/product_uuid']);
    b.read(cat, '/sys/class/dmi/id/product_uuid');
    const [f] = fired(run(b), 'sandbox-probe');
    expect(f?.severity).toBe('low');
    expect(f?.evidence[0]?.summary).toMatch(/machine fingerprint/);
    expect(run(b).verdict).toBe('benign');
    b.read(cat, '/sys/class/dmi/id/sys_vendor');
    expect(fired(run(b), 'sandbox-probe')[0]?.severity).toBe('medium');
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
  it('does not count a build the time limit cut short as left running; a process orphaned in that phase still counts', () => {
    const b = new BehaviorBuilder();
    const running = { outlived: true, endMs: null, exit: null };
    const script = b.process(['sh', '-c', 'prebuild-install -r napi || node-gyp rebuild'], { ppid: b.npm(), ...running });
    const gyp = b.child(script, ['node', 'node_modules/.bin/node-gyp', 'rebuild'], running);
    b.connect(gyp, '140.82.112.3', 443, { hostname: 'github.com' });
    b.child(b.child(gyp, ['make', 'BUILDTYPE=Release', '-C', 'build'], running), ['/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus', '-quiet', 'src/re2.cc'], running);
    expect(fired(run(b), 'background-process')[0]?.severity).toBe('medium'); // the phase ended on its own: they were left
    expect(fired(run(b, { timedOut: ['install'] }), 'background-process')).toEqual([]);

    const exited = b.child(script, ['sh', '-c', 'nohup node beacon.js &'], { endMs: 5, exit: { code: 0, signal: null } });
    const beacon = b.child(exited, ['node', 'beacon.js'], running);
    b.connect(beacon, '192.0.2.10', 8080);
    const [f] = fired(run(b, { timedOut: ['install'] }), 'background-process');
    expect(f?.evidence.map((e) => e.summary)).toEqual([expect.stringContaining('node beacon.js')]);
  });

  it('fires medium for a package process that outlived the phase and reached the network', () => {
    const b = new BehaviorBuilder();
    const beacon = b.child(b.lifecycle('nohup node beacon.js &'), ['node', 'beacon.js'], { outlived: true, endMs: null, exit: null });
    b.connect(beacon, '192.0.2.10', 8080);
    const [f] = fired(run(b), 'background-process');
    expect(f?.severity).toBe('medium');
    expect(f?.evidence[0]?.summary).toContain('node beacon.js');
    expect(f?.evidence[0]?.summary).toContain('it used the network');
  });

  it('judges a left-running daemon by what it does: a quiet build daemon is low, one that spawns or writes elsewhere is medium', () => {
    const quiet = new BehaviorBuilder();
    const daemon = quiet.child(quiet.lifecycle('node build.js'), ['node', 'node_modules/.bin/build-daemon', '--watch'], { outlived: true, endMs: null, exit: null });
    quiet.read(daemon, '/home/u/app/src/index.ts');
    quiet.write(daemon, '/tmp/build-daemon-1000/state.json');
    const [low] = fired(run(quiet), 'background-process');
    expect(low?.severity).toBe('low');
    expect(run(quiet).verdict).toBe('benign');

    const busy = new BehaviorBuilder();
    const d2 = busy.child(busy.lifecycle('node build.js'), ['node', 'daemon.js'], { outlived: true, endMs: null, exit: null });
    busy.write(d2, '/home/u/.bashrc');
    expect(fired(run(busy), 'background-process')[0]?.severity).toBe('medium');
    const spawner = new BehaviorBuilder();
    const d3 = spawner.child(spawner.lifecycle('node build.js'), ['node', 'daemon.js'], { outlived: true, endMs: null, exit: null });
    spawner.child(d3, ['sh', '-c', 'id'], { exe: '/bin/sh' });
    expect(fired(run(spawner), 'background-process')[0]?.severity).toBe('medium');
  });

  it("ignores the package manager's own detached update check and processes that ended", () => {
    const b = new BehaviorBuilder();
    b.process(['node', '/usr/lib/node_modules/npm/lib/cli/update-notifier.js'], { housekeeping: true, outlived: true });
    b.lifecycle('node x.js');
    expect(fired(run(b), 'background-process')).toEqual([]);
  });
});
