/* vetbox-tracer: loads the tracer's BPF programs, then copies each container's records from the
 * ring buffer to that container's session file, and nothing else. One per worker; it exits with
 * the worker (stdin closes, or the parent dies).
 *
 * Commands on stdin, one per line, from the worker only (nothing here comes from packages):
 *   add <cgroup-id> <uid> <max-bytes> <path>   start recording a container's calls by <uid> to a new file
 *   mark <cgroup-id> <phase> <token>           write everything so far, then a phase boundary
 *   del <cgroup-id> <token>                    stop recording, write the rest and the final counters
 * Replies on stdout, one line each: `ready <version>`, `ok <token> <records> <lost> <suppressed>
 * <dropped>`, `error <token> <reason>`. Session files hold binary records (vetbox_tracer.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "vetbox_tracer.h"
#include "vetbox_tracer.skel.h"

#define MAX_SESSIONS 256
#define BUF_BYTES (1 << 20)
/* The kernel side wakes the loader only once WAKE_BYTES wait (common.bpf.h); below that, records
 * are copied at this period. Marks and the end copy everything first, so a longer period delays
 * nothing a phase reads; a shorter one spent the loader's CPU (on the cores the sandboxes run on)
 * waking 100 times a second to find a few records. */
#define POLL_MS 100

struct session {
	__u64 cgroup;
	int fd;
	__u64 written, max_bytes, dropped;
	size_t used;
	char *buf;
};

static struct session sessions[MAX_SESSIONS];
static struct session *last_hit;
static struct vetbox_tracer *skel;

static void logf_(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "vetbox-tracer: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static __s64 realtime_offset(void)
{
	struct timespec rt, mono;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return ((__s64)rt.tv_sec - mono.tv_sec) * 1000000000LL + (rt.tv_nsec - mono.tv_nsec);
}

static struct session *find(__u64 cgroup)
{
	if (last_hit && last_hit->cgroup == cgroup && last_hit->fd >= 0)
		return last_hit;
	for (int i = 0; i < MAX_SESSIONS; i++)
		if (sessions[i].fd >= 0 && sessions[i].cgroup == cgroup)
			return last_hit = &sessions[i];
	return NULL;
}

static void flush(struct session *s)
{
	size_t off = 0;
	while (off < s->used) {
		ssize_t n = write(s->fd, s->buf + off, s->used - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			logf_("write to the session of cgroup %llu failed: %s", (unsigned long long)s->cgroup, strerror(errno));
			s->dropped++;
			break;
		}
		off += n;
	}
	s->used = 0;
}

static char *append(struct session *s, const void *rec, size_t size)
{
	if (s->written + size > s->max_bytes) {
		s->dropped++;
		return NULL;
	}
	if (s->used + size > BUF_BYTES)
		flush(s);
	char *at = s->buf + s->used;
	memcpy(at, rec, size);
	s->used += size;
	s->written += size;
	return at;
}

static int on_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size < sizeof(struct vbt_header) || size > VBT_SCRATCH)
		return 0;
	const struct vbt_header *h = data; /* read-only mapping */
	struct session *s = find(h->cgroup);
	if (!s)
		return 0; /* a container already removed */
	char *copy = append(s, data, size);
	if (copy)
		((struct vbt_header *)copy)->size = size; /* the ring buffer's length is the truth */
	return 0;
}

static void reply(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static struct vbt_scope read_scope(__u64 cgroup)
{
	struct vbt_scope scope = {};
	bpf_map__lookup_elem(skel->maps.scopes, &cgroup, sizeof(cgroup), &scope, sizeof(scope), 0);
	return scope;
}

/* A phase boundary or the end, with the counters so far; always written (it is how losses are told). */
static void write_mark(struct session *s, __u16 kind, __u32 phase, struct vbt_scope scope, const char *token)
{
	struct vbt_mark m = {};
	m.h.kind = kind;
	m.h.size = sizeof(m);
	struct timespec mono;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	m.h.ts = (__u64)mono.tv_sec * 1000000000ULL + mono.tv_nsec;
	m.h.cgroup = s->cgroup;
	m.phase = phase;
	m.realtime_offset = realtime_offset();
	m.records = scope.records;
	m.lost = scope.lost;
	m.suppressed = scope.suppressed;
	m.dropped = s->dropped;
	if (s->used + sizeof(m) > BUF_BYTES)
		flush(s);
	memcpy(s->buf + s->used, &m, sizeof(m));
	s->used += sizeof(m);
	flush(s);
	reply("ok %s %llu %llu %llu %llu", token, (unsigned long long)m.records, (unsigned long long)m.lost,
	      (unsigned long long)m.suppressed, (unsigned long long)m.dropped);
}

static void cmd_add(__u64 cgroup, __u32 uid, __u64 max_bytes, const char *path, const char *token)
{
	if (find(cgroup)) {
		reply("error %s cgroup already traced", token);
		return;
	}
	struct session *s = NULL;
	for (int i = 0; i < MAX_SESSIONS && !s; i++)
		if (sessions[i].fd < 0)
			s = &sessions[i];
	if (!s) {
		reply("error %s too many sessions", token);
		return;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		reply("error %s open %s: %s", token, path, strerror(errno));
		return;
	}
	s->buf = s->buf ? s->buf : malloc(BUF_BYTES);
	s->cgroup = cgroup;
	s->fd = fd;
	s->written = s->used = s->dropped = 0;
	s->max_bytes = max_bytes;
	struct vbt_hello hello = {};
	hello.h.kind = VBT_HELLO;
	hello.h.size = sizeof(hello);
	hello.h.cgroup = cgroup;
	hello.version = VBT_VERSION;
	hello.realtime_offset = realtime_offset();
	memcpy(s->buf, &hello, sizeof(hello));
	s->used = sizeof(hello);
	struct vbt_scope scope = { .uid = uid };
	if (bpf_map__update_elem(skel->maps.scopes, &cgroup, sizeof(cgroup), &scope, sizeof(scope), BPF_NOEXIST)) {
		reply("error %s scope: %s", token, strerror(errno));
		close(fd);
		s->fd = -1;
		return;
	}
	reply("ok %s 0 0 0 0", token);
}

static void handle(char *line, struct ring_buffer *rb)
{
	char verb[8] = "", path[4096] = "", token[64] = "-";
	unsigned long long cgroup = 0, max_bytes = 0;
	unsigned int uid = 0, phase = 0;
	if (sscanf(line, "%7s", verb) != 1)
		return;
	if (strcmp(verb, "add") == 0 && sscanf(line, "add %llu %u %llu %4095s %63s", &cgroup, &uid, &max_bytes, path, token) == 5) {
		cmd_add(cgroup, uid, max_bytes, path, token);
		return;
	}
	if (strcmp(verb, "mark") == 0 && sscanf(line, "mark %llu %u %63s", &cgroup, &phase, token) == 3) {
		struct session *s = find(cgroup);
		if (!s) {
			reply("error %s no such session", token);
			return;
		}
		ring_buffer__consume(rb);
		write_mark(s, VBT_MARK, phase, read_scope(cgroup), token);
		return;
	}
	if (strcmp(verb, "del") == 0 && sscanf(line, "del %llu %63s", &cgroup, token) == 2) {
		struct session *s = find(cgroup);
		if (!s) {
			reply("error %s no such session", token);
			return;
		}
		struct vbt_scope scope = read_scope(cgroup);
		bpf_map__delete_elem(skel->maps.scopes, &s->cgroup, sizeof(s->cgroup), 0);
		ring_buffer__consume(rb); /* what was in flight */
		write_mark(s, VBT_END, 0, scope, token);
		close(s->fd);
		s->fd = -1;
		if (last_hit == s)
			last_hit = NULL;
		return;
	}
	reply("error %s bad command", token);
}

/* libbpf finds tracepoints under tracefs; mount it where it is absent. */
static void ensure_tracefs(void)
{
	struct stat st;
	if (stat("/sys/kernel/tracing/events", &st) == 0 || stat("/sys/kernel/debug/tracing/events", &st) == 0)
		return;
	if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL))
		logf_("mounting tracefs failed: %s", strerror(errno));
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	unsigned long ring_mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		return 1; /* the worker is already gone */
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < MAX_SESSIONS; i++)
		sessions[i].fd = -1;
	libbpf_set_print(libbpf_log);
	ensure_tracefs();

	skel = vetbox_tracer__open();
	if (!skel) {
		logf_("open failed: %s", strerror(errno));
		return 2;
	}
	int ncpu = libbpf_num_possible_cpus();
	bpf_map__set_max_entries(skel->maps.scratch, ncpu > 0 ? ncpu : 1);
	/* A power of two number of pages. */
	__u32 ring = 1u << 20;
	while (ring < ring_mb * (1u << 20) && ring < (1u << 30))
		ring <<= 1;
	bpf_map__set_max_entries(skel->maps.events, ring);
	int err = vetbox_tracer__load(skel);
	if (err) {
		logf_("load failed: %s", strerror(-err));
		vetbox_tracer__destroy(skel);
		return 3;
	}
	/* One by one: a call this architecture does not have (open, stat on arm64) is skipped. */
	struct bpf_program *prog;
	int attached = 0;
	bpf_object__for_each_program(prog, skel->obj) {
		struct bpf_link *link = bpf_program__attach(prog);
		if (link) {
			attached++;
			continue;
		}
		if (errno != ENOENT) {
			logf_("attaching %s failed: %s", bpf_program__name(prog), strerror(errno));
			vetbox_tracer__destroy(skel);
			return 3;
		}
		logf_("no tracepoint for %s on this kernel: skipped", bpf_program__name(prog));
	}
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_record, NULL, NULL);
	if (!rb) {
		logf_("ring buffer: %s", strerror(errno));
		return 4;
	}
	reply("ready %d", VBT_VERSION);

	char in[8192];
	size_t have = 0;
	struct pollfd fds[2] = { { .fd = ring_buffer__epoll_fd(rb), .events = POLLIN }, { .fd = 0, .events = POLLIN } };
	for (;;) {
		int n = poll(fds, 2, POLL_MS);
		if (n < 0 && errno != EINTR)
			break;
		ring_buffer__consume(rb);
		for (int i = 0; i < MAX_SESSIONS; i++)
			if (sessions[i].fd >= 0 && sessions[i].used > 0)
				flush(&sessions[i]);
		if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = read(0, in + have, sizeof(in) - 1 - have);
			if (r <= 0)
				break; /* the worker is gone */
			have += r;
			char *start = in, *nl;
			while ((nl = memchr(start, '\n', in + have - start))) {
				*nl = 0;
				handle(start, rb);
				start = nl + 1;
			}
			have -= start - in;
			memmove(in, start, have);
			if (have == sizeof(in) - 1)
				have = 0; /* an over-long line: drop it */
		}
	}
	ring_buffer__free(rb);
	vetbox_tracer__destroy(skel);
	return 0;
}
