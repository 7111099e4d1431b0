/* Network: connect, bind, listen and the sends that carry a destination or a DNS question.
 * Each record carries what the kernel knows of the socket (family, type, protocol, local port,
 * connected peer), so user space needs no socket table; the local port joins a connection to
 * the sinkhole's view of it. */
#include "common.bpf.h"

/* What the kernel knows of the socket behind `fd`, as a VBT_F_SOCK field (nothing if not a socket). */
static __always_inline void call_sock(struct call *c, __u64 fd)
{
	struct sock *sk = sock_of_fd((struct task_struct *)bpf_get_current_task(), fd);
	if (!sk)
		return;
	__u32 off = c->off & (HALF - 1);
	struct vbt_sock *v = (struct vbt_sock *)(c->buf + off + sizeof(struct vbt_field));
	v->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	v->type = BPF_CORE_READ(sk, sk_type);
	v->protocol = BPF_CORE_READ(sk, sk_protocol);
	v->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	v->rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	v->pad = 0;
	if (v->family == 10 /* AF_INET6 */) {
		BPF_CORE_READ_INTO(&v->raddr, sk, __sk_common.skc_v6_daddr);
		BPF_CORE_READ_INTO(&v->laddr, sk, __sk_common.skc_v6_rcv_saddr);
	} else {
		__builtin_memset(v->raddr, 0, sizeof(v->raddr));
		__builtin_memset(v->laddr, 0, sizeof(v->laddr));
		BPF_CORE_READ_INTO((__u32 *)v->raddr, sk, __sk_common.skc_daddr);
		BPF_CORE_READ_INTO((__u32 *)v->laddr, sk, __sk_common.skc_rcv_saddr);
	}
	put_field_header(c->buf, off, 0, VBT_F_SOCK, 0, sizeof(struct vbt_sock));
	c->off = off + sizeof(struct vbt_field) + sizeof(struct vbt_sock);
}

static __always_inline void call_sockaddr(struct call *c, __u8 arg, __u8 lenarg)
{
	if (c->args[arg & 7])
		c->off = put_user_bytes(c->buf, c->off, arg, VBT_F_SOCKADDR, (const void *)c->args[arg & 7], c->args[lenarg & 7], 128);
}

/* connect(fd, addr, len), bind(fd, addr, len) */
#define CALL_ADDR(name, SYS, nargs)                                                     \
	ENTER(name, SYS, nargs)                                                      \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                   \
	int exit_##name(struct trace_event_raw_sys_exit *ctx)                        \
	{                                                                            \
		struct call c;                                                           \
		if (!begin_call(&c, ctx, SYS)) return 0;                                 \
		call_sockaddr(&c, 1, 2);                                                 \
		call_sock(&c, c.args[0]);                                                \
		return end_call(&c);                                                     \
	}
CALL_ADDR(connect, VBT_SYS_CONNECT, 3)
CALL_ADDR(bind, VBT_SYS_BIND, 3)

ENTER(listen, VBT_SYS_LISTEN, 2)
SEC("tracepoint/syscalls/sys_exit_listen")
int exit_listen(struct trace_event_raw_sys_exit *ctx)
{
	struct call c;
	if (!begin_call(&c, ctx, VBT_SYS_LISTEN))
		return 0;
	call_sock(&c, c.args[0]);
	return end_call(&c);
}

/* sendto(fd, buf, len, flags, addr, addrlen) */
ENTER(sendto, VBT_SYS_SENDTO, 6)
SEC("tracepoint/syscalls/sys_exit_sendto")
int exit_sendto(struct trace_event_raw_sys_exit *ctx)
{
	struct call c;
	if (!begin_call(&c, ctx, VBT_SYS_SENDTO))
		return 0;
	call_sockaddr(&c, 4, 5);
	c.off = put_user_bytes(c.buf, c.off, 0, VBT_F_DATA, (const void *)c.args[1], c.args[2], VBT_DATA_MAX);
	call_sock(&c, c.args[0]);
	return end_call(&c);
}

/* One message: its destination (msg_name) and the first bytes of its first iovec. */
static __always_inline void call_msghdr(struct call *c, const struct user_msghdr *um, __u8 index)
{
	struct user_msghdr m = {};
	if (bpf_probe_read_user(&m, sizeof(m), um) < 0)
		return;
	if (m.msg_name && index == 0)
		c->off = put_user_bytes(c->buf, c->off, 1, VBT_F_SOCKADDR, m.msg_name, m.msg_namelen, 128);
	struct iovec iov = {};
	if (m.msg_iovlen > 0 && bpf_probe_read_user(&iov, sizeof(iov), m.msg_iov) == 0)
		c->off = put_user_bytes(c->buf, c->off, index, VBT_F_DATA, iov.iov_base, iov.iov_len, VBT_DATA_MAX);
}

/* sendmsg(fd, msg, flags) */
ENTER(sendmsg, VBT_SYS_SENDMSG, 3)
SEC("tracepoint/syscalls/sys_exit_sendmsg")
int exit_sendmsg(struct trace_event_raw_sys_exit *ctx)
{
	struct call c;
	if (!begin_call(&c, ctx, VBT_SYS_SENDMSG))
		return 0;
	call_msghdr(&c, (const struct user_msghdr *)c.args[1], 0);
	call_sock(&c, c.args[0]);
	return end_call(&c);
}

/* sendmmsg(fd, msgvec, vlen, flags): the first two messages (a resolver's A and AAAA). */
ENTER(sendmmsg, VBT_SYS_SENDMMSG, 4)
SEC("tracepoint/syscalls/sys_exit_sendmmsg")
int exit_sendmmsg(struct trace_event_raw_sys_exit *ctx)
{
	struct call c;
	if (!begin_call(&c, ctx, VBT_SYS_SENDMMSG))
		return 0;
	const struct mmsghdr *v = (const struct mmsghdr *)c.args[1];
	if (c.args[2] > 0)
		call_msghdr(&c, &v[0].msg_hdr, 0);
	if (c.args[2] > 1)
		call_msghdr(&c, &v[1].msg_hdr, 1);
	call_sock(&c, c.args[0]);
	return end_call(&c);
}

char LICENSE[] SEC("license") = "GPL";
