/* Processes: fork (process or thread), exec (file and argv), exit (wait status), and failed
 * execs (a PATH search tries several files). Scheduler tracepoints are raw: they hand over the
 * task structures, so the child's ids and the new program's argv are read where they live. */
#include "common.bpf.h"

static __always_inline void emit(struct vbt_scope *s, void *rec, __u32 size)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	if (bpf_ringbuf_output(&events, rec, size, avail >= WAKE_BYTES ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP) == 0)
		__sync_fetch_and_add(&s->records, 1);
	else
		__sync_fetch_and_add(&s->lost, 1);
}

SEC("raw_tracepoint/sched_process_fork")
int on_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct vbt_scope *s = current_scope();
	if (!s)
		return 0;
	struct task_struct *parent = (struct task_struct *)ctx->args[0];
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	struct vbt_fork r = {};
	fill_header(&r.h, VBT_FORK, 0, parent);
	r.h.size = sizeof(r);
	r.child_host_tid = BPF_CORE_READ(child, pid);
	r.child_host_pid = BPF_CORE_READ(child, tgid);
	r.child_tid = ns_nr(BPF_CORE_READ(child, thread_pid));
	r.child_pid = ns_nr(BPF_CORE_READ(child, group_leader, thread_pid));
	r.thread = r.child_host_pid == BPF_CORE_READ(parent, tgid);
	emit(s, &r, sizeof(r));
	return 0;
}

SEC("raw_tracepoint/sched_process_exec")
int on_exec(struct bpf_raw_tracepoint_args *ctx)
{
	struct vbt_scope *s = current_scope();
	__u8 *buf = scratch_buf();
	if (!s || !buf)
		return 0;
	struct task_struct *t = (struct task_struct *)ctx->args[0];
	struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
	struct vbt_exec *r = (struct vbt_exec *)buf;
	fill_header(&r->h, VBT_EXEC, VBT_SYS_EXECVE, t);
	struct task_struct *parent = BPF_CORE_READ(t, real_parent);
	struct pid *pp = BPF_CORE_READ(parent, group_leader, thread_pid);
	/* A parent outside the container's pid namespace (docker exec's runc) has no number in it. */
	r->ppid = BPF_CORE_READ(pp, level) == BPF_CORE_READ(t, thread_pid, level) ? ns_nr(pp) : 0;
	r->stdio_socket = 0;
	for (int fd = 0; fd < 3; fd++) {
		struct sock *sk = sock_of_fd(t, fd);
		__u16 family = sk ? BPF_CORE_READ(sk, __sk_common.skc_family) : 0;
		if (family == 2 /* AF_INET */ || family == 10 /* AF_INET6 */)
			r->stdio_socket = 1;
	}
	__u32 off = sizeof(struct vbt_exec);
	const char *filename = BPF_CORE_READ(bprm, filename);
	long n = bpf_probe_read_kernel_str(buf + off + sizeof(struct vbt_field), VBT_PATH_MAX, filename);
	__u32 len = n > 0 ? n - 1 : 0;
	put_field_header(buf, off, 0, VBT_F_FILENAME, n < 0 ? VBT_F_FAULT : 0, len);
	off += sizeof(struct vbt_field) + (len & (VBT_PATH_MAX - 1));
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	__u64 start = BPF_CORE_READ(mm, arg_start), end = BPF_CORE_READ(mm, arg_end);
	off = put_user_bytes(buf, off, 1, VBT_F_ARGV, (const void *)start, end > start ? end - start : 0, VBT_ARGV_MAX);
	r->h.size = off;
	emit(s, buf, off & (VBT_SCRATCH - 1));
	return 0;
}

/* Final flood counts of the ending process, and its budgets freed (pids are reused). */
static __always_inline void flush_budgets(struct vbt_scope *s, __u64 cg, __u32 host_pid)
{
	struct budget_key fk = { .cgroup = cg, .host_pid = host_pid, .sys = 0 };
	__u64 *m = bpf_map_lookup_elem(&flooded, &fk);
	__u64 mask = m ? *m : 0;
	if (m)
		bpf_map_delete_elem(&flooded, &fk);
	for (__u32 sys = 1; sys < VBT_SYS_COUNT; sys++) {
		struct budget_key k = { .cgroup = cg, .host_pid = host_pid, .sys = sys };
		if (mask & (1ULL << sys)) {
			struct budget *b = bpf_map_lookup_elem(&budgets, &k);
			if (b)
				emit_flood(s, sys, b, 1);
		}
		bpf_map_delete_elem(&budgets, &k);
	}
}

SEC("raw_tracepoint/sched_process_exit")
int on_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct vbt_scope *s = current_scope();
	if (!s)
		return 0;
	struct task_struct *t = (struct task_struct *)ctx->args[0];
	__u32 tid = BPF_CORE_READ(t, pid), tgid = BPF_CORE_READ(t, tgid);
	bpf_map_delete_elem(&pending, &tid);
	if (tid != tgid)
		return 0;
	flush_budgets(s, bpf_get_current_cgroup_id(), tgid);
	struct vbt_exit r = {};
	fill_header(&r.h, VBT_EXIT, 0, t);
	r.h.size = sizeof(r);
	r.code = BPF_CORE_READ(t, exit_code);
	emit(s, &r, sizeof(r));
	return 0;
}

/* A failed exec keeps the caller's memory: the path is read at the exit. A successful one is
 * recorded by on_exec (the old argv is gone by the exit). */
#define CALL_EXEC(name, SYS, nargs, a)                                                  \
	ENTER(name, SYS, nargs)                                                      \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                   \
	int exit_##name(struct trace_event_raw_sys_exit *ctx)                        \
	{                                                                            \
		struct call c;                                                           \
		if (!begin_call(&c, ctx, SYS) || c.ret >= 0) return 0;                   \
		call_str(&c, a);                                                         \
		return end_call(&c);                                                     \
	}
CALL_EXEC(execve, VBT_SYS_EXECVE, 3, 0)
CALL_EXEC(execveat, VBT_SYS_EXECVEAT, 5, 1)

/* Reading or writing another process's memory: counted (a rule reads the counts). */
CALL_ARGS(ptrace, VBT_SYS_PTRACE, 4)
CALL_ARGS(process_vm_readv, VBT_SYS_PROCESS_VM_READV, 6)
CALL_ARGS(process_vm_writev, VBT_SYS_PROCESS_VM_WRITEV, 6)

char LICENSE[] SEC("license") = "GPL";
