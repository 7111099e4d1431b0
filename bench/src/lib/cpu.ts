// Where a benchmark's CPU time went, machine-wide: the figures bound what any concurrency can
// reach (a 2-core machine gives 120 core-seconds a minute, whatever the worker does).
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';

interface Sample {
  busy: number;
  total: number;
  wallMs: number;
  processUs: number;
  containersNs: number | undefined;
}

/** Docker's containers as one cgroup (v1 cpuacct, or the v2 tree): their CPU, removed ones included. */
function containersNs(): number | undefined {
  const v1 = '/sys/fs/cgroup/cpuacct/docker/cpuacct.usage';
  if (existsSync(v1)) return Number(readFileSync(v1, 'utf8'));
  for (const v2 of ['/sys/fs/cgroup/docker/cpu.stat', '/sys/fs/cgroup/system.slice/cpu.stat']) {
    if (!existsSync(v2)) continue;
    const usec = /usage_usec (\d+)/.exec(readFileSync(v2, 'utf8'));
    if (usec) return Number(usec[1]) * 1000;
  }
  return undefined;
}

function sample(): Sample {
  // cpu  user nice system idle iowait irq softirq steal ...
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + (f[7] ?? 0);
  const u = process.cpuUsage();
  return { busy, total: busy + f[3]! + f[4]!, wallMs: performance.now(), processUs: u.user + u.system, containersNs: containersNs() };
}

export interface CpuSpent {
  /** Core-seconds used by the whole machine over the interval. */
  machineS: number;
  /** Of which this process (the benchmark's worker, in-process). */
  processS: number;
  /** Of which Docker's containers (sandboxes, sinkholes), if the cgroup is readable. */
  containersS: number | undefined;
  wallS: number;
  cores: number;
}

/** Starts measuring; the returned function gives what was spent since. */
export function measureCpu(): () => CpuSpent {
  const a = sample();
  return () => {
    const b = sample();
    const cores = os.cpus().length;
    const wallS = (b.wallMs - a.wallMs) / 1000;
    const busyShare = b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0;
    return {
      machineS: busyShare * cores * wallS,
      processS: (b.processUs - a.processUs) / 1e6,
      containersS: a.containersNs !== undefined && b.containersNs !== undefined ? (b.containersNs - a.containersNs) / 1e9 : undefined,
      wallS,
      cores,
    };
  };
}
