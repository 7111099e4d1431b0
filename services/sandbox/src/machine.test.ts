import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { randomIdentity } from './identity.js';
import { MachineView, dmiFiles, laptopCpuinfo, reapMachineViews } from './machine.js';
import { loginPeer, parseDriverOutput } from './sandbox.js';

const EPYC = 'processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\nflags\t\t: fpu vme hypervisor lahf_lm\n\nprocessor\t: 1\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\nflags\t\t: fpu vme hypervisor lahf_lm\n';
const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((r) => rm(r, { recursive: true, force: true })));
});

describe('laptopCpuinfo', () => {
  it("names the persona's CPU on every processor and drops the hypervisor flag", () => {
    const out = laptopCpuinfo(EPYC, randomIdentity({ cpuVendor: 'amd' }).hardware!);
    expect(out).not.toMatch(/EPYC|hypervisor/);
    expect(out.match(/^model name\t: AMD Ryzen/gm)).toHaveLength(2);
    expect(out).toContain('flags\t\t: fpu vme lahf_lm');
  });
});

describe('randomIdentity hardware', () => {
  it('picks a laptop whose CPU is of the given make', () => {
    expect(randomIdentity({ cpuVendor: 'intel' }).hardware!.cpu).toMatch(/Intel/);
    expect(randomIdentity({ cpuVendor: 'amd' }).hardware!.cpu).toMatch(/AMD/);
  });
});

describe('dmiFiles', () => {
  it('reads as a notebook, serials root-only, nothing a VM would say', () => {
    const id = randomIdentity();
    const files = Object.fromEntries(dmiFiles(id.hardware!, id.machineId).map((f) => [f.path, f]));
    expect(files.chassis_type!.content).toBe('10\n');
    expect(files.product_serial!.mode).toBe(0o400);
    expect(files.sys_vendor!.mode).toBe(0o444);
    expect(Object.values(files).map((f) => String(f.content)).join(' ')).not.toMatch(/qemu|kvm|virtual|vmware|xen|amazon|google/i);
  });
});

describe('MachineView', () => {
  it('writes the /proc and /etc files it binds, agrees with the persona, and removes them on close', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'vetbox-machine-'));
    roots.push(root);
    const id = randomIdentity();
    const view = await MachineView.open(id, { analysisId: 'a1', workerId: 'w1' }, root);
    const binds = view.binds();
    expect(binds.map((b) => b.target)).toEqual(expect.arrayContaining(['/proc/cpuinfo', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf']));
    for (const b of binds) expect(b.source.startsWith(view.dir)).toBe(true);
    expect(await readFile(path.join(view.dir, 'hostname'), 'utf8')).toBe(`${id.hostname}\n`);
    expect(await readFile(path.join(view.dir, 'hosts'), 'utf8')).toContain(`127.0.1.1\t${id.hostname}`);
    expect(await readFile(path.join(view.dir, 'resolv.conf'), 'utf8')).toContain(`nameserver ${id.lan.gateway}`);
    // The claimed boot is at least 3 hours ago; when the host booted later, uptime and btime are bound too.
    const claimedUptimeS = (Date.now() - Date.parse(id.bootedAt!)) / 1000;
    expect(claimedUptimeS).toBeGreaterThan(3 * 3600 - 5);
    if (binds.some((b) => b.target === '/proc/uptime')) {
      const uptime = Number((await readFile(path.join(view.dir, 'uptime'), 'utf8')).split(' ')[0]);
      expect(Math.abs(uptime - claimedUptimeS)).toBeLessThan(5);
      const btime = Number(/^btime (\d+)/m.exec(await readFile(path.join(view.dir, 'stat'), 'utf8'))?.[1]);
      expect(Math.abs(btime - Date.parse(id.bootedAt!) / 1000)).toBeLessThan(5);
    }
    await view.close();
    expect(await readdir(root)).toEqual([]);
  });

  it('rewrites uptime in place, never shorter (a bind mount keeps the inode)', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'vetbox-machine-'));
    roots.push(root);
    const view = await MachineView.open(randomIdentity(), { analysisId: 'a1', workerId: 'w1' }, root);
    const rewrite = (view as unknown as { rewrite(n: string, c: string): void }).rewrite.bind(view);
    rewrite('probe', '1234.56 99.10\n');
    rewrite('probe', '9.10 1.2\n');
    expect(await readFile(path.join(view.dir, 'probe'), 'utf8')).toBe(`9.10 1.2${' '.repeat(5)}\n`); // as long as before
    await view.close();
  });

  it('the reaper removes views whose worker process is gone, and keeps live ones', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'vetbox-machine-'));
    roots.push(root);
    const view = await MachineView.open(randomIdentity(), { analysisId: 'a1', workerId: 'w1' }, root);
    expect(await reapMachineViews(() => true, root)).toBe(0);
    expect(await reapMachineViews((pid) => pid !== process.pid, root)).toBe(1);
    expect(await readdir(root)).toEqual([]);
    await view.close();
  });
});

describe('driver results on the container output', () => {
  it('picks the line of the request, skipping other phases and foreign output', () => {
    const out = ['boot noise', '@@VETBOX@@{"requestId":"a","exitCode":1}', '@@VETBOX@@{broken', '@@VETBOX@@{"requestId":"b","exitCode":0}'].join('\n');
    expect(parseDriverOutput(out, 'b')?.exitCode).toBe(0);
    expect(parseDriverOutput(out, 'a')?.exitCode).toBe(1);
    expect(parseDriverOutput(out, 'c')).toBeUndefined();
  });

  it('the login comes from another machine of the LAN', () => {
    const id = randomIdentity();
    const peer = loginPeer(id);
    expect(peer).not.toBe(id.lan.address);
    expect(peer.split('.').slice(0, 3)).toEqual(id.lan.address.split('.').slice(0, 3));
  });
});
