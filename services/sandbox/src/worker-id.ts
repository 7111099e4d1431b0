import { randomUUID } from 'node:crypto';
import os from 'node:os';

let id: string | undefined;

/**
 * This process's worker id, as written into the vetbox.worker label: `<hostname>:<pid>:<boot
 * uuid>`. The reaper treats a worker as alive when the pid exists on this host.
 */
export function workerId(): string {
  id ??= `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  return id;
}
