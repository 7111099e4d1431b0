/* Records the BPF programs put in the ring buffer and the loader writes to a session file.
 * Shared by the kernel side (*.bpf.c) and the loader; services/trace/src/ebpf/records.ts
 * mirrors it (bump VBT_VERSION when a layout changes).
 *
 * Every record starts with a fixed header; variable parts are fields with explicit lengths
 * (never NUL-terminated guesses), so nothing a package writes can forge or split a record. */
#ifndef VETBOX_TRACER_H
#define VETBOX_TRACER_H

#define VBT_VERSION 1
#define VBT_PATH_MAX 4096     /* a path, NUL included (Linux PATH_MAX) */
#define VBT_ARGV_MAX 32768    /* the argv block of an exec */
#define VBT_DATA_MAX 512      /* first bytes sent on a socket */
#define VBT_SCRATCH 65536     /* per-CPU buffer a record is built in */

enum vbt_kind {
	VBT_SYSCALL = 1, /* a system call and its result: vbt_syscall + fields */
	VBT_FORK = 2,    /* a process or thread was created: vbt_fork */
	VBT_EXEC = 3,    /* a successful exec: vbt_exec + FILENAME, ARGV fields */
	VBT_EXIT = 4,    /* a process (thread group leader) ended: vbt_exit */
	VBT_FLOOD = 5,   /* a process passed a call's budget, or ended after it did: vbt_flood */
	/* Written by the loader, never by the kernel side. */
	VBT_HELLO = 0x100, /* first record of a session: vbt_hello */
	VBT_MARK = 0x101,  /* a phase boundary the worker asked for: vbt_mark */
	VBT_END = 0x102,   /* last record of a session: vbt_mark (final counters) */
};

/* Calls the tracer records; the ids are ours (not the architecture's numbers). Must fit 0..63. */
enum vbt_sys {
	VBT_SYS_OPEN = 1, VBT_SYS_OPENAT, VBT_SYS_OPENAT2, VBT_SYS_CREAT,
	VBT_SYS_STAT, VBT_SYS_LSTAT, VBT_SYS_NEWFSTATAT, VBT_SYS_STATX,
	VBT_SYS_ACCESS, VBT_SYS_FACCESSAT, VBT_SYS_FACCESSAT2, VBT_SYS_READLINK, VBT_SYS_READLINKAT,
	VBT_SYS_UNLINK, VBT_SYS_UNLINKAT, VBT_SYS_RMDIR, VBT_SYS_RENAME, VBT_SYS_RENAMEAT, VBT_SYS_RENAMEAT2,
	VBT_SYS_CHMOD, VBT_SYS_FCHMOD, VBT_SYS_FCHMODAT, VBT_SYS_FCHMODAT2, VBT_SYS_MKDIR, VBT_SYS_MKDIRAT,
	VBT_SYS_LINK, VBT_SYS_LINKAT, VBT_SYS_SYMLINK, VBT_SYS_SYMLINKAT, VBT_SYS_TRUNCATE,
	VBT_SYS_CHDIR, VBT_SYS_FCHDIR, VBT_SYS_EXECVE, VBT_SYS_EXECVEAT,
	VBT_SYS_DUP, VBT_SYS_DUP2, VBT_SYS_DUP3, VBT_SYS_FCNTL, VBT_SYS_CLOSE, VBT_SYS_CLOSE_RANGE,
	VBT_SYS_CONNECT, VBT_SYS_BIND, VBT_SYS_LISTEN, VBT_SYS_SENDTO, VBT_SYS_SENDMSG, VBT_SYS_SENDMMSG,
	VBT_SYS_PTRACE, VBT_SYS_PROCESS_VM_READV, VBT_SYS_PROCESS_VM_WRITEV,
	VBT_SYS_COUNT
};

/* Field types; VBT_F_TRUNCATED / VBT_F_FAULT are flags in vbt_field.flags. */
enum vbt_field_type {
	VBT_F_STR = 1,      /* a string argument (path), without its NUL */
	VBT_F_SOCKADDR = 2, /* a struct sockaddr as the caller passed it */
	VBT_F_DATA = 3,     /* first bytes of a buffer sent (iov 0, or message `index` of sendmmsg) */
	VBT_F_SOCK = 4,     /* struct vbt_sock: what the kernel knows of the socket behind the fd */
	VBT_F_ARGV = 5,     /* the argv block of an exec: NUL-separated strings */
	VBT_F_FILENAME = 6, /* the file an exec ran */
	VBT_F_U64 = 7,      /* a 64-bit value read from the caller's memory (openat2's how.flags) */
};
#define VBT_F_TRUNCATED 1
#define VBT_F_FAULT 2

struct vbt_header {
	__u16 kind;
	__u16 sys;        /* enum vbt_sys (VBT_SYSCALL, VBT_FLOOD) */
	__u32 size;       /* bytes of the whole record */
	__u64 ts;         /* CLOCK_MONOTONIC ns */
	__u64 cgroup;     /* cgroup v2 id of the container */
	__u32 pid, tid;   /* in the sandbox's pid namespace */
	__u32 host_pid, host_tid;
};

struct vbt_field {
	__u8 arg;   /* argument index, or message index for VBT_F_DATA of sendmmsg */
	__u8 type;  /* enum vbt_field_type */
	__u8 flags; /* VBT_F_TRUNCATED, VBT_F_FAULT */
	__u8 pad;
	__u32 len;  /* bytes that follow */
};

struct vbt_syscall {
	struct vbt_header h;
	__s64 ret;
	__u64 args[6];
	/* fields follow */
};

struct vbt_fork {
	struct vbt_header h; /* the parent */
	__u32 child_pid, child_tid, child_host_pid, child_host_tid;
	__u32 thread; /* 1: a thread of the parent's process */
	__u32 pad;
};

struct vbt_exec {
	struct vbt_header h;
	__u32 ppid; /* in the sandbox's pid namespace; 0 when the parent is outside it */
	__u32 stdio_socket; /* 1: fd 0, 1 or 2 is an inet socket (a reverse shell's shape) */
	/* FILENAME, ARGV fields follow */
};

struct vbt_exit {
	struct vbt_header h;
	__u32 code; /* wait status: (code << 8) | signal, 0x80 = core dumped */
	__u32 pad;
};

struct vbt_flood {
	struct vbt_header h;
	__u64 emitted;    /* records the process made of this call */
	__u64 suppressed; /* calls counted but not recorded past the budget */
	__u32 final;      /* 1: the process ended (totals); 0: the budget was just reached */
	__u32 pad;
};

struct vbt_sock {
	__u16 family, type, protocol;
	__u16 lport, rport; /* host order */
	__u16 pad;
	__u8 raddr[16];     /* peer address; IPv4 in the first 4 bytes */
	__u8 laddr[16];     /* bound local address */
};

/* Per-container scope, keyed by cgroup id (set by the loader, counters by the kernel side). */
struct vbt_scope {
	__u32 uid;        /* only this user's calls are recorded (the harness runs as root) */
	__u32 pad;
	__u64 records;    /* records written to the ring buffer */
	__u64 units;      /* budget units spent (a record costs 1 + its string bytes / 64) */
	__u64 lost;       /* records the ring buffer had no room for */
	__u64 suppressed; /* calls past a budget: counted, not recorded */
};

/* Loader records. */
struct vbt_hello {
	struct vbt_header h;
	__u32 version, pad;
	__s64 realtime_offset; /* add to ts for epoch ns */
};

struct vbt_mark {
	struct vbt_header h;
	__u32 phase; /* index the worker gave */
	__u32 pad;
	__s64 realtime_offset;
	__u64 records, lost, suppressed, dropped; /* scope counters; dropped: records the session file had no room for */
};

#endif
