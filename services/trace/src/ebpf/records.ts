import { createReadStream } from 'node:fs';

/**
 * Binary records of an eBPF session file (services/trace/ebpf/vetbox_tracer.h; keep in step,
 * VBT_VERSION names the layout). Every record starts with a 40-byte header whose `size` covers
 * the whole record; variable parts are fields with explicit lengths. The loader writes the
 * ring buffer's length into `size`, so a package's bytes can never split or forge a record.
 */
export const VBT_VERSION = 1;
export const KIND = { syscall: 1, fork: 2, exec: 3, exit: 4, flood: 5, hello: 0x100, mark: 0x101, end: 0x102 } as const;
export const FIELD = { str: 1, sockaddr: 2, data: 3, sock: 4, argv: 5, filename: 6, u64: 7 } as const;
export const FIELD_TRUNCATED = 1;
export const FIELD_FAULT = 2;

const HEADER = 40;
const SYSCALL_FIXED = HEADER + 8 + 48;
const MAX_RECORD = 128 * 1024;

/**
 * Calls by vbt_sys id: name and argument kinds (`p` a path field, `d` a dirfd, `f` an fd, `i` an
 * integer, `-` unused), the table tracee keeps too. The order is enum vbt_sys's.
 */
export const SYSCALLS: ReadonlyArray<{ name: string; args: string }> = [
  { name: '', args: '' },
  { name: 'open', args: 'pii' }, { name: 'openat', args: 'dpii' }, { name: 'openat2', args: 'dp-i' }, { name: 'creat', args: 'pi' },
  { name: 'stat', args: 'p-' }, { name: 'lstat', args: 'p-' }, { name: 'newfstatat', args: 'dp-i' }, { name: 'statx', args: 'dpii-' },
  { name: 'access', args: 'pi' }, { name: 'faccessat', args: 'dpi' }, { name: 'faccessat2', args: 'dpii' }, { name: 'readlink', args: 'p-i' }, { name: 'readlinkat', args: 'dp-i' },
  { name: 'unlink', args: 'p' }, { name: 'unlinkat', args: 'dpi' }, { name: 'rmdir', args: 'p' }, { name: 'rename', args: 'pp' }, { name: 'renameat', args: 'dpdp' }, { name: 'renameat2', args: 'dpdpi' },
  { name: 'chmod', args: 'pi' }, { name: 'fchmod', args: 'fi' }, { name: 'fchmodat', args: 'dpi' }, { name: 'fchmodat2', args: 'dpii' }, { name: 'mkdir', args: 'pi' }, { name: 'mkdirat', args: 'dpi' },
  { name: 'link', args: 'pp' }, { name: 'linkat', args: 'dpdpi' }, { name: 'symlink', args: 'pp' }, { name: 'symlinkat', args: 'pdp' }, { name: 'truncate', args: 'pi' },
  { name: 'chdir', args: 'p' }, { name: 'fchdir', args: 'f' }, { name: 'execve', args: 'p--' }, { name: 'execveat', args: 'dp--i' },
  { name: 'dup', args: 'f' }, { name: 'dup2', args: 'ff' }, { name: 'dup3', args: 'ffi' }, { name: 'fcntl', args: 'fii' }, { name: 'close', args: 'f' }, { name: 'close_range', args: 'iii' },
  { name: 'connect', args: 'f-i' }, { name: 'bind', args: 'f-i' }, { name: 'listen', args: 'fi' }, { name: 'sendto', args: 'f-ii-i' }, { name: 'sendmsg', args: 'f-i' }, { name: 'sendmmsg', args: 'f-ii' },
  { name: 'ptrace', args: 'iiii' }, { name: 'process_vm_readv', args: 'i-i-ii' }, { name: 'process_vm_writev', args: 'i-i-ii' },
];

export interface Field {
  arg: number;
  type: number;
  flags: number;
  bytes: Buffer;
}

/** One record, decoded only as far as every record needs; fields on demand. */
export interface VbtRecord {
  kind: number;
  sys: number;
  /** CLOCK_MONOTONIC, ns. */
  ts: number;
  cgroup: number;
  pid: number;
  tid: number;
  buf: Buffer;
  /** Offset of the record in `buf`, and its size. */
  at: number;
  size: number;
}

export const u64 = (b: Buffer, o: number): number => b.readUInt32LE(o + 4) * 4294967296 + b.readUInt32LE(o);
export const i64 = (b: Buffer, o: number): number => b.readInt32LE(o + 4) * 4294967296 + b.readUInt32LE(o);

/** A syscall record's result (negative errno on failure). */
export const retOf = (r: VbtRecord): number => i64(r.buf, r.at + HEADER);
/** Argument `i` of a syscall record as the C int the call took (fds, flags, modes). */
export const argInt = (r: VbtRecord, i: number): number => r.buf.readInt32LE(r.at + HEADER + 8 + 8 * i);

/** The fields after a record's fixed part. Lengths are checked against the record. */
export function fieldsOf(r: VbtRecord): Field[] {
  const fixed = r.kind === KIND.syscall ? SYSCALL_FIXED : r.kind === KIND.exec ? HEADER + 8 : r.size;
  const out: Field[] = [];
  const end = r.at + r.size;
  let o = r.at + fixed;
  while (o + 8 <= end) {
    const len = r.buf.readUInt32LE(o + 4);
    if (o + 8 + len > end) break; // cannot happen with our loader; never read past the record
    out.push({ arg: r.buf[o], type: r.buf[o + 1], flags: r.buf[o + 2], bytes: r.buf.subarray(o + 8, o + 8 + len) });
    o += 8 + len;
  }
  return out;
}

export interface RecordStats {
  records: number;
  bytes: number;
  /** Bytes that did not form a record (a cut file): counted, never thrown. */
  malformed: number;
}

/**
 * Reads a session file's records, streaming, in batches (one per read chunk). The record
 * objects point into the chunk: use them before the next batch.
 */
export async function* readRecords(path: string, stats: RecordStats = { records: 0, bytes: 0, malformed: 0 }): AsyncGenerator<VbtRecord[]> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const out: VbtRecord[] = [];
    let o = 0;
    while (o + HEADER <= buf.length) {
      const size = buf.readUInt32LE(o + 4);
      if (size < HEADER || size > MAX_RECORD) {
        // Not a record boundary: the file is damaged past here; stop rather than guess.
        stats.malformed += buf.length - o;
        return;
      }
      if (o + size > buf.length) break;
      out.push({
        kind: buf.readUInt16LE(o),
        sys: buf.readUInt16LE(o + 2),
        ts: u64(buf, o + 8),
        cgroup: u64(buf, o + 16),
        pid: buf.readUInt32LE(o + 24),
        tid: buf.readUInt32LE(o + 28),
        buf,
        at: o,
        size,
      });
      stats.records++;
      stats.bytes += size;
      o += size;
    }
    carry = buf.subarray(o);
    if (out.length > 0) yield out;
  }
  stats.malformed += carry.length;
}
