/* What the three programs share: maps, the scope check, the per-CPU record buffer, fields,
 * budgets and the ring buffer output. Maps are __weak so the linked object has one of each. */
#ifndef VETBOX_COMMON_BPF_H
#define VETBOX_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "vetbox_tracer.h"

#define HALF (VBT_SCRATCH / 2)
/* Ask the loader to wake up only once this much is waiting (it also polls every 100 ms). */
#define WAKE_BYTES (256 * 1024)

/* Budgets per (process, call), in units (1 per record + 1 per 64 string bytes). Far above what
 * package managers do (npm rebuild of typescript+esbuild: < 20,000 stats in its busiest
 * process); past them a call is only counted, and the count is reported as a flood. */
#define BUDGET_PROBE (64 * 1024)
#define BUDGET_OPEN (256 * 1024)
#define BUDGET_FD (256 * 1024)
#define BUDGET_OTHER (64 * 1024)
/* Per container: past this, file and fd calls are only counted (exec, exit, fork, network go on). */
#define BUDGET_SCOPE (4 * 1024 * 1024)

struct scratch {
	__u8 buf[VBT_SCRATCH + 4096]; /* slack: the verifier knows offsets and lengths only by bound */
};

struct pending {
	__u64 args[6];
	__u32 sys;
	__u32 pad;
};

struct budget_key {
	__u64 cgroup;
	__u32 host_pid;
	__u32 sys;
};

struct budget {
	__u64 units, emitted, suppressed;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024 * 1024); /* the loader sets it */
} events SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct vbt_scope);
} scopes SEC(".maps") __weak;

/* Arguments saved at sys_enter, read at sys_exit (a path not yet faulted in reads as empty at
 * entry; the kernel has faulted it in by the exit). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct pending);
} pending SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* the loader sets it to the number of CPUs */
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct budget_key);
	__type(value, struct budget);
} budgets SEC(".maps") __weak;

/* Calls (bit per vbt_sys) each process went over budget on, reported when it ends. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct budget_key); /* sys = 0 */
	__type(value, __u64);
} flooded SEC(".maps") __weak;

static __always_inline struct vbt_scope *current_scope(void)
{
	__u64 cg = bpf_get_current_cgroup_id();
	struct vbt_scope *s = bpf_map_lookup_elem(&scopes, &cg);
	if (!s)
		return 0;
	if ((__u32)bpf_get_current_uid_gid() != s->uid)
		return 0;
	return s;
}

static __always_inline __u8 *scratch_buf(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct scratch *s = bpf_map_lookup_elem(&scratch, &cpu);
	return s ? s->buf : 0;
}

/* Number of `p` in its innermost pid namespace (the container's). */
static __always_inline __u32 ns_nr(struct pid *p)
{
	unsigned int level = BPF_CORE_READ(p, level);
	struct upid up = {};
	bpf_probe_read_kernel(&up, sizeof(up), &p->numbers[level]);
	return up.nr;
}

#define S_IFMT 00170000
#define S_IFSOCK 0140000

/* The socket behind `fd` of task `t`, or NULL when the fd is not a socket. */
static __always_inline struct sock *sock_of_fd(struct task_struct *t, __u64 fd)
{
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd & 0xffff]);
	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return 0;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	return BPF_CORE_READ(sock, sk);
}

static __always_inline void fill_header(struct vbt_header *h, __u16 kind, __u16 sys, struct task_struct *t)
{
	h->kind = kind;
	h->sys = sys;
	h->ts = bpf_ktime_get_ns();
	h->cgroup = bpf_get_current_cgroup_id();
	h->host_tid = BPF_CORE_READ(t, pid);
	h->host_pid = BPF_CORE_READ(t, tgid);
	h->tid = ns_nr(BPF_CORE_READ(t, thread_pid));
	h->pid = ns_nr(BPF_CORE_READ(t, group_leader, thread_pid));
}

static __always_inline void put_field_header(__u8 *buf, __u32 off, __u8 arg, __u8 type, __u8 flags, __u32 len)
{
	struct vbt_field *f = (struct vbt_field *)(buf + (off & (HALF - 1)));
	f->arg = arg;
	f->type = type;
	f->flags = flags;
	f->pad = 0;
	f->len = len;
}

/* A user string (path) as a field at `off`; returns the new end. */
static __always_inline __u32 put_user_str(__u8 *buf, __u32 off, __u8 arg, const char *uptr)
{
	off &= HALF - 1;
	long n = bpf_probe_read_user_str(buf + off + sizeof(struct vbt_field), VBT_PATH_MAX, uptr);
	__u8 flags = 0;
	__u32 len = 0;
	if (n < 0)
		flags = VBT_F_FAULT;
	else if (n > 0) {
		len = n - 1;
		if (n >= VBT_PATH_MAX)
			flags = VBT_F_TRUNCATED;
	}
	put_field_header(buf, off, arg, VBT_F_STR, flags, len);
	return off + sizeof(struct vbt_field) + (len & (VBT_PATH_MAX - 1));
}

/* `len` bytes of user memory (bounded by `max`, a power of two) as a field. */
static __always_inline __u32 put_user_bytes(__u8 *buf, __u32 off, __u8 arg, __u8 type, const void *uptr, __u64 len, __u32 max)
{
	off &= HALF - 1;
	__u8 flags = 0;
	if (len > max) {
		len = max;
		flags = VBT_F_TRUNCATED;
	}
	__u32 n = len;
	if (n > max) /* again, where the verifier sees it */
		n = max;
	if (n > 0 && bpf_probe_read_user(buf + off + sizeof(struct vbt_field), n, uptr) < 0) {
		flags |= VBT_F_FAULT;
		n = 0;
	}
	put_field_header(buf, off, arg, type, flags, n);
	return off + sizeof(struct vbt_field) + n;
}

static __always_inline __u32 budget_of(__u32 sys)
{
	switch (sys) {
	case VBT_SYS_STAT: case VBT_SYS_LSTAT: case VBT_SYS_NEWFSTATAT: case VBT_SYS_STATX:
	case VBT_SYS_ACCESS: case VBT_SYS_FACCESSAT: case VBT_SYS_FACCESSAT2:
	case VBT_SYS_READLINK: case VBT_SYS_READLINKAT:
		return BUDGET_PROBE;
	case VBT_SYS_OPEN: case VBT_SYS_OPENAT: case VBT_SYS_OPENAT2: case VBT_SYS_CREAT:
		return BUDGET_OPEN;
	case VBT_SYS_DUP: case VBT_SYS_DUP2: case VBT_SYS_DUP3: case VBT_SYS_FCNTL:
	case VBT_SYS_CLOSE: case VBT_SYS_CLOSE_RANGE:
		return BUDGET_FD;
	default:
		return BUDGET_OTHER;
	}
}

static __always_inline int scope_limited(__u32 sys)
{
	return sys < VBT_SYS_EXECVE || (sys >= VBT_SYS_DUP && sys <= VBT_SYS_CLOSE_RANGE);
}

/* Writes the record in `buf` (size bytes) to the ring buffer, or counts it as lost. */
static __always_inline void output(struct vbt_scope *s, __u8 *buf, __u32 size)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 flags = avail >= WAKE_BYTES ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	size &= VBT_SCRATCH - 1;
	if (size < sizeof(struct vbt_header))
		return;
	if (bpf_ringbuf_output(&events, buf, size, flags) == 0)
		__sync_fetch_and_add(&s->records, 1);
	else
		__sync_fetch_and_add(&s->lost, 1);
}

static __always_inline void emit_flood(struct vbt_scope *s, __u32 sys, struct budget *b, __u32 final)
{
	struct vbt_flood f = {};
	fill_header(&f.h, VBT_FLOOD, sys, (struct task_struct *)bpf_get_current_task());
	f.h.size = sizeof(f);
	f.emitted = b->emitted;
	f.suppressed = b->suppressed;
	f.final = final;
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	if (bpf_ringbuf_output(&events, &f, sizeof(f), avail >= WAKE_BYTES ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP) == 0)
		__sync_fetch_and_add(&s->records, 1);
	else
		__sync_fetch_and_add(&s->lost, 1);
}

/* 1 when the record may be written; otherwise the call is counted (and the first time, a
 * VBT_FLOOD record says so). */
static __always_inline int spend(struct vbt_scope *s, __u32 sys, __u32 bytes)
{
	__u64 units = 1 + bytes / 64;
	struct budget_key k = { .cgroup = bpf_get_current_cgroup_id(), .host_pid = bpf_get_current_pid_tgid() >> 32, .sys = sys };
	struct budget *b = bpf_map_lookup_elem(&budgets, &k);
	if (!b) {
		struct budget zero = {};
		bpf_map_update_elem(&budgets, &k, &zero, BPF_NOEXIST);
		b = bpf_map_lookup_elem(&budgets, &k);
		if (!b)
			return 1;
	}
	int over = b->units + units > budget_of(sys) || (scope_limited(sys) && s->units > BUDGET_SCOPE);
	if (!over) {
		b->units += units;
		b->emitted++;
		__sync_fetch_and_add(&s->units, units);
		return 1;
	}
	__sync_fetch_and_add(&s->suppressed, 1);
	if (b->suppressed++ == 0) {
		struct budget_key fk = { .cgroup = k.cgroup, .host_pid = k.host_pid, .sys = 0 };
		__u64 *mask = bpf_map_lookup_elem(&flooded, &fk);
		__u64 bit = 1ULL << (sys & 63);
		if (mask)
			__sync_fetch_and_or(mask, bit);
		else
			bpf_map_update_elem(&flooded, &fk, &bit, BPF_ANY);
		emit_flood(s, sys, b, 0);
	}
	return 0;
}

/* ---- system calls: arguments saved at entry, the record built at exit ---------------------- */

/* Saves the call's first `nargs` arguments: a syscall tracepoint refuses a program that reads
 * past the arguments its call has. */
static __always_inline int save_args(struct trace_event_raw_sys_enter *ctx, __u32 sys, int nargs)
{
	if (!current_scope())
		return 0;
	struct pending p = { .sys = sys };
	/* One by one, with constant offsets: the verifier refuses a ctx pointer moved by a loop. */
	if (nargs > 0) p.args[0] = ctx->args[0];
	if (nargs > 1) p.args[1] = ctx->args[1];
	if (nargs > 2) p.args[2] = ctx->args[2];
	if (nargs > 3) p.args[3] = ctx->args[3];
	if (nargs > 4) p.args[4] = ctx->args[4];
	if (nargs > 5) p.args[5] = ctx->args[5];
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_update_elem(&pending, &tid, &p, BPF_ANY);
	return 0;
}

struct call {
	struct vbt_scope *scope;
	__u8 *buf;
	__u32 off;
	__u32 sys;
	__u64 args[6];
	long ret;
};

/* Starts the record of the call that is returning; 0 when it is not traced. */
static __always_inline int begin_call(struct call *c, struct trace_event_raw_sys_exit *ctx, __u32 sys)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending *p = bpf_map_lookup_elem(&pending, &tid);
	if (!p)
		return 0;
	if (p->sys != sys) {
		bpf_map_delete_elem(&pending, &tid);
		return 0;
	}
	__builtin_memcpy(c->args, p->args, sizeof(c->args));
	bpf_map_delete_elem(&pending, &tid);
	c->scope = current_scope();
	c->buf = scratch_buf();
	if (!c->scope || !c->buf)
		return 0;
	c->sys = sys;
	c->ret = ctx->ret;
	struct vbt_syscall *r = (struct vbt_syscall *)c->buf;
	fill_header(&r->h, VBT_SYSCALL, sys, (struct task_struct *)bpf_get_current_task());
	r->ret = ctx->ret;
	__builtin_memcpy(r->args, c->args, sizeof(r->args));
	c->off = sizeof(struct vbt_syscall);
	return 1;
}

static __always_inline void call_str(struct call *c, __u8 arg)
{
	c->off = put_user_str(c->buf, c->off, arg, (const char *)c->args[arg & 7]);
}

static __always_inline int end_call(struct call *c)
{
	__u32 size = c->off;
	struct vbt_header *h = (struct vbt_header *)c->buf;
	h->size = size;
	if (spend(c->scope, c->sys, size - sizeof(struct vbt_syscall)))
		output(c->scope, c->buf, size);
	return 0;
}

#define ENTER(name, SYS, nargs)                                                     \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                     \
	int enter_##name(struct trace_event_raw_sys_enter *ctx) { return save_args(ctx, SYS, nargs); }

/* A call whose record is its arguments and result plus the string arguments listed. */
#define CALL_STR1(name, SYS, nargs, a)                                                     \
	ENTER(name, SYS, nargs)                                                         \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                      \
	int exit_##name(struct trace_event_raw_sys_exit *ctx)                           \
	{                                                                               \
		struct call c;                                                              \
		if (!begin_call(&c, ctx, SYS)) return 0;                                    \
		call_str(&c, a);                                                            \
		return end_call(&c);                                                        \
	}
#define CALL_STR2(name, SYS, nargs, a, b)                                                  \
	ENTER(name, SYS, nargs)                                                         \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                      \
	int exit_##name(struct trace_event_raw_sys_exit *ctx)                           \
	{                                                                               \
		struct call c;                                                              \
		if (!begin_call(&c, ctx, SYS)) return 0;                                    \
		call_str(&c, a);                                                            \
		call_str(&c, b);                                                            \
		return end_call(&c);                                                        \
	}
#define CALL_ARGS(name, SYS, nargs)                                                        \
	ENTER(name, SYS, nargs)                                                         \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                      \
	int exit_##name(struct trace_event_raw_sys_exit *ctx)                           \
	{                                                                               \
		struct call c;                                                              \
		if (!begin_call(&c, ctx, SYS)) return 0;                                    \
		return end_call(&c);                                                        \
	}

#endif
