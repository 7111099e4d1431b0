/* Files: opens, probes (stat, access, readlink), changes, the working directory, and the fd
 * calls user space needs to map fds to paths (dup, fcntl F_DUPFD, close). Paths are recorded as
 * the caller passed them; user space resolves them against the cwd and dirfds it tracks. */
#include "common.bpf.h"

CALL_STR1(open, VBT_SYS_OPEN, 3, 0)
CALL_STR1(openat, VBT_SYS_OPENAT, 4, 1)
CALL_STR1(creat, VBT_SYS_CREAT, 2, 0)

/* openat2(dirfd, path, struct open_how *how, size): the flags are in `how`. */
ENTER(openat2, VBT_SYS_OPENAT2, 4)
SEC("tracepoint/syscalls/sys_exit_openat2")
int exit_openat2(struct trace_event_raw_sys_exit *ctx)
{
	struct call c;
	if (!begin_call(&c, ctx, VBT_SYS_OPENAT2))
		return 0;
	call_str(&c, 1);
	c.off = put_user_bytes(c.buf, c.off, 2, VBT_F_U64, (const void *)c.args[2], 8, 8);
	return end_call(&c);
}

/* stat and lstat are newstat and newlstat on 64-bit kernels */
CALL_STR1(newstat, VBT_SYS_STAT, 2, 0)
CALL_STR1(newlstat, VBT_SYS_LSTAT, 2, 0)
CALL_STR1(newfstatat, VBT_SYS_NEWFSTATAT, 4, 1)
CALL_STR1(statx, VBT_SYS_STATX, 5, 1)
CALL_STR1(access, VBT_SYS_ACCESS, 2, 0)
CALL_STR1(faccessat, VBT_SYS_FACCESSAT, 3, 1)
CALL_STR1(faccessat2, VBT_SYS_FACCESSAT2, 4, 1)
CALL_STR1(readlink, VBT_SYS_READLINK, 3, 0)
CALL_STR1(readlinkat, VBT_SYS_READLINKAT, 4, 1)

CALL_STR1(unlink, VBT_SYS_UNLINK, 1, 0)
CALL_STR1(unlinkat, VBT_SYS_UNLINKAT, 3, 1)
CALL_STR1(rmdir, VBT_SYS_RMDIR, 1, 0)
CALL_STR2(rename, VBT_SYS_RENAME, 2, 0, 1)
CALL_STR2(renameat, VBT_SYS_RENAMEAT, 4, 1, 3)
CALL_STR2(renameat2, VBT_SYS_RENAMEAT2, 5, 1, 3)
CALL_STR1(chmod, VBT_SYS_CHMOD, 2, 0)
CALL_ARGS(fchmod, VBT_SYS_FCHMOD, 2)
CALL_STR1(fchmodat, VBT_SYS_FCHMODAT, 3, 1)
CALL_STR1(fchmodat2, VBT_SYS_FCHMODAT2, 4, 1)
CALL_STR1(mkdir, VBT_SYS_MKDIR, 2, 0)
CALL_STR1(mkdirat, VBT_SYS_MKDIRAT, 3, 1)
CALL_STR2(link, VBT_SYS_LINK, 2, 0, 1)
CALL_STR2(linkat, VBT_SYS_LINKAT, 5, 1, 3)
CALL_STR2(symlink, VBT_SYS_SYMLINK, 2, 0, 1)
CALL_STR2(symlinkat, VBT_SYS_SYMLINKAT, 3, 0, 2)
CALL_STR1(truncate, VBT_SYS_TRUNCATE, 2, 0)

CALL_STR1(chdir, VBT_SYS_CHDIR, 1, 0)
CALL_ARGS(fchdir, VBT_SYS_FCHDIR, 1)

CALL_ARGS(dup, VBT_SYS_DUP, 1)
CALL_ARGS(dup2, VBT_SYS_DUP2, 2)
CALL_ARGS(dup3, VBT_SYS_DUP3, 3)
CALL_ARGS(close, VBT_SYS_CLOSE, 1)
CALL_ARGS(close_range, VBT_SYS_CLOSE_RANGE, 3)

/* fcntl: only F_DUPFD and F_DUPFD_CLOEXEC create fds; the rest (locks, flags) are not saved. */
SEC("tracepoint/syscalls/sys_enter_fcntl")
int enter_fcntl(struct trace_event_raw_sys_enter *ctx)
{
	long cmd = ctx->args[1];
	if (cmd != 0 /* F_DUPFD */ && cmd != 1030 /* F_DUPFD_CLOEXEC */)
		return 0;
	return save_args(ctx, VBT_SYS_FCNTL, 3);
}
SEC("tracepoint/syscalls/sys_exit_fcntl")
int exit_fcntl(struct trace_event_raw_sys_exit *ctx)
{
	struct call c;
	if (!begin_call(&c, ctx, VBT_SYS_FCNTL))
		return 0;
	return end_call(&c);
}

char LICENSE[] SEC("license") = "GPL";
