import { readFile, stat } from 'node:fs/promises';
import { VetboxError } from '@vetbox/contracts';

/**
 * The cgroup v2 id of a container (what bpf_get_current_cgroup_id() returns for its processes):
 * the inode of its directory in the unified hierarchy, found from its init process's
 * `0::<path>` line. Docker on a cgroup v1 host also places containers in the v2 tree
 * (/sys/fs/cgroup/unified); on a v2 host the tree is /sys/fs/cgroup itself.
 */
export async function cgroupIdOf(hostPid: number, procRoot = '/proc', cgroupRoots = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup']): Promise<bigint> {
  const text = await readFile(`${procRoot}/${hostPid}/cgroup`, 'utf8').catch((e: unknown) => {
    throw new VetboxError('TRACER_UNAVAILABLE', `cannot read the cgroup of pid ${hostPid}: ${String(e)}`);
  });
  const line = text.split('\n').find((l) => l.startsWith('0::'));
  const rel = line?.slice(3);
  if (rel === undefined || rel === '' || rel.includes('..')) throw new VetboxError('TRACER_UNAVAILABLE', `pid ${hostPid} is in no cgroup v2 directory`);
  for (const root of cgroupRoots) {
    const st = await stat(`${root}${rel}`, { bigint: true }).catch(() => null);
    if (st?.isDirectory()) return st.ino;
  }
  throw new VetboxError('TRACER_UNAVAILABLE', `no cgroup v2 directory for ${rel} under ${cgroupRoots.join(', ')}`);
}
