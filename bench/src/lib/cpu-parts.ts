// Where a benchmark's analyses spent CPU, by part: this worker's sandbox and sinkhole containers
// (each container's cgroup, read until it is removed), the container engine (dockerd,
// containerd, shims, runc), the eBPF loader and the databases (host processes by name, own time).
// Sampled: the engine's short runc runs are partly missed, so its figure is a lower bound.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import Docker from 'dockerode';

export interface CpuParts {
  sandboxesS: number;
  sinkholesS: number;
  engineS: number;
  tracerS: number;
  databasesS: number;
}

type HostPart = 'engineS' | 'tracerS' | 'databasesS';
const HOST_PARTS: Array<[RegExp, HostPart]> = [
  [/^(dockerd|containerd|containerd-shim.*|runc|docker-proxy)$/, 'engineS'],
  [/^vetbox-tracer$/, 'tracerS'],
  [/^(postgres|redis-server)$/, 'databasesS'],
];

const TICK_S = 1 / 100; // USER_HZ on Linux
const CGROUP_ROOTS = ['/sys/fs/cgroup/cpuacct/docker', '/sys/fs/cgroup/docker'];

function containerNs(root: string, id: string): number | undefined {
  try {
    if (root.includes('cpuacct')) return Number(readFileSync(`${root}/${id}/cpuacct.usage`, 'utf8'));
    const usec = /usage_usec (\d+)/.exec(readFileSync(`${root}/${id}/cpu.stat`, 'utf8'));
    return usec ? Number(usec[1]) * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Which part each host pid belongs to (read once per pid: most are none). */
const partOfPid = new Map<number, HostPart | null>();

/**
 * Host processes of the parts: pid → [part, own CPU seconds]. Own time only: a shim's reaped
 * children include the container's init (all the container's CPU, counted from its cgroup);
 * the runc runs it starts are sampled while they live, so short ones are partly missed.
 */
function hostProcesses(): Map<number, [HostPart, number]> {
  const out = new Map<number, [HostPart, number]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    let part = partOfPid.get(pid);
    try {
      if (part === undefined) {
        const comm = readFileSync(`/proc/${name}/comm`, 'utf8').trim();
        part = HOST_PARTS.find(([re]) => re.test(comm))?.[1] ?? null;
        partOfPid.set(pid, part);
      }
      if (part === null) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // state ppid pgrp ... utime(11) stime(12)
      out.set(pid, [part, (Number(f[11]) + Number(f[12])) * TICK_S]);
    } catch {
      continue;
    }
  }
  return out;
}

/**
 * Starts sampling every `intervalMs`; `stop()` gives the CPU of each part since the start.
 * Containers count only when labeled with `workerId` (others' analyses on a shared machine are
 * left out); host processes count whoever they worked for.
 */
export function sampleCpuParts(workerId: string, intervalMs = 250): { stop: () => Promise<CpuParts> } {
  if (os.platform() !== 'linux') return { stop: async () => ({ sandboxesS: 0, sinkholesS: 0, engineS: 0, tracerS: 0, databasesS: 0 }) };
  const docker = new Docker();
  const root = CGROUP_ROOTS.find((r) => {
    try {
      readdirSync(r);
      return true;
    } catch {
      return false;
    }
  });
  const role = new Map<string, Promise<'sandbox' | 'sinkhole' | undefined>>();
  const containerFirst = new Map<string, number>();
  const containerLast = new Map<string, number>();
  const hostFirst = new Map<number, number>();
  const hostLast = new Map<number, [HostPart, number]>();
  let started = false;

  const sample = () => {
    if (root) {
      for (const id of readdirSync(root)) {
        if (!/^[0-9a-f]{64}$/.test(id)) continue;
        const ns = containerNs(root, id);
        if (ns === undefined) continue;
        if (!role.has(id)) {
          role.set(id, docker.getContainer(id).inspect().then(
            (c) => (c.Config.Labels?.['vetbox.worker'] !== workerId ? undefined : c.Config.Labels?.['vetbox.role'] === 'sinkhole' ? 'sinkhole' : 'sandbox'),
            () => undefined,
          ));
          // A container already running at the start counts from there; a new one from zero.
          containerFirst.set(id, started ? 0 : ns);
        }
        containerLast.set(id, ns);
      }
    }
    for (const [pid, p] of hostProcesses()) {
      if (!hostLast.has(pid)) hostFirst.set(pid, started ? 0 : p[1]);
      hostLast.set(pid, p);
    }
    started = true;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();

  return {
    stop: async () => {
      clearInterval(timer);
      sample();
      const parts: CpuParts = { sandboxesS: 0, sinkholesS: 0, engineS: 0, tracerS: 0, databasesS: 0 };
      for (const [id, ns] of containerLast) {
        const r = await role.get(id);
        if (r) parts[r === 'sinkhole' ? 'sinkholesS' : 'sandboxesS'] += (ns - containerFirst.get(id)!) / 1e9;
      }
      for (const [pid, [part, s]] of hostLast) parts[part] += s - hostFirst.get(pid)!;
      return parts;
    },
  };
}
