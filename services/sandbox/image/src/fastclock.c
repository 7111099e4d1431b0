// fastclock: a preloaded clock for the sandbox. It reaches every process a package starts in
// any phase without leaving a trace package code could read (no /etc/ld.so.preload, which any
// probe reads; see hide_and_hand_on below):
// - each phase's command starts with LD_PRELOAD naming this library; as it loads, it takes the
//   variable out of its process's environment: environ (so getenv, process.env and os.environ
//   never see it) and the environment block on the stack that /proc/<pid>/environ shows;
// - it hands itself on by adding the variable back to the environment of whatever the process
//   executes (execve and every wrapper over it, posix_spawn, system, popen), where the new
//   process's copy takes it out again.
// What remains visible: the library in /proc/<pid>/maps (a system-looking name), the environment
// block ending in as many NUL bytes as the variable took, and no clock for statically linked
// programs or code that makes the execve syscall itself (they run on the real clock).
//
// Until the harness switches it on, every call passes straight through. Then time runs `rate`
// times faster from an anchor (and the date may move ahead): the clocks are scaled, and every
// timed wait is converted from fake to real time. libfaketime (Debian 0.9.10) was tried first and
// does the scaling, but a wait that began before the switch keeps its real deadline in the kernel
// (a Python time.sleep(1200) started at install sleeps 20 real minutes). Here a wait longer than
// CHUNK_NS sleeps in real chunks and re-reads the clock state after each one, so a switch reaches
// waits already in progress within one chunk; the writer schedules a switch more than a chunk
// ahead, so every sleeper knows it in advance and wakes at its exact fake deadline.
//
// State: a root-owned page (STATE_PATH) mapped read-only; the writer bumps `seq` to odd, writes,
// then bumps it to even (a seqlock). Only processes of the sandbox user (uid in the page) are
// affected: the harness and tracer run as root on the real clock.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <alloca.h>

#ifndef STATE_PATH
#define STATE_PATH "/run/systemd/timesync/clock"
#endif
#define MAGIC 0x6b636c66u /* "flck" */
#define WALL_ONLY 1u
#define CHUNK_NS 200000000LL
#define NS 1000000000LL

struct state {
  uint32_t magic;
  uint32_t seq;
  uint32_t uid;
  uint32_t flags; /* WALL_ONLY: only the wall clock moves (the sinkhole: its timeouts stay real) */
  int64_t anchor_real; /* CLOCK_MONOTONIC ns where the current rate began */
  int64_t anchor_fake; /* fake CLOCK_MONOTONIC ns at that point */
  int64_t rate_milli;  /* rate x 1000 */
  int64_t rt_offset;   /* added to the wall clock beyond the monotonic skew, ns */
};

struct snap {
  int64_t anchor_real, anchor_fake, rate_milli, rt_offset;
};

static const volatile struct state *st;
static int wall_only;

static int (*real_clock_gettime)(clockid_t, struct timespec *);
static int (*real_clock_nanosleep)(clockid_t, int, const struct timespec *, struct timespec *);
static int (*real_epoll_pwait)(int, struct epoll_event *, int, int, const sigset_t *);
static int (*real_ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
static int (*real_pselect)(int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *);
static int (*real_sem_clockwait)(sem_t *, clockid_t, const struct timespec *);
static int (*real_cond_clockwait)(pthread_cond_t *, pthread_mutex_t *, clockid_t, const struct timespec *);

/* ------------------------------------------------ hidden from the environment, handed on */

#define PRELOAD_VAR "LD_PRELOAD="
static char preload_entry[512];

/*
 * Takes LD_PRELOAD out of environ and out of the stack block /proc/self/environ reads, when that
 * block is still as the kernel laid it out (contiguous strings, nothing set yet): the entry's
 * bytes are removed, later strings move up, the freed tail is zeroed.
 */
static void hide_and_hand_on(void) {
  char **env = environ;
  if (!env) return;
  size_t n = 0, at = (size_t)-1;
  for (; env[n]; n++) if (at == (size_t)-1 && strncmp(env[n], PRELOAD_VAR, sizeof PRELOAD_VAR - 1) == 0) at = n;
  if (at == (size_t)-1) return;
  char *entry = env[at];
  size_t len = strlen(entry) + 1;
  if (len < sizeof preload_entry) memcpy(preload_entry, entry, len);
  char *lo = env[0], *hi = env[0];
  size_t total = 0;
  for (size_t i = 0; i < n; i++) {
    if (env[i] < lo) lo = env[i];
    if (env[i] + strlen(env[i]) + 1 > hi) hi = env[i] + strlen(env[i]) + 1;
    total += strlen(env[i]) + 1;
  }
  if ((size_t)(hi - lo) == total) {
    memmove(entry, entry + len, (size_t)(hi - (entry + len)));
    memset(hi - len, 0, len);
    for (size_t i = 0; i < n; i++) if (env[i] > entry) env[i] -= len;
  }
  memmove(&env[at], &env[at + 1], (n - at) * sizeof *env);
}

/* envp plus our entry (unless it names a preload of its own), in `out` (n + 2 slots). */
static char *const *handed_on(char *const envp[], char **out) {
  if (!preload_entry[0] || !envp) return envp;
  size_t n = 0;
  for (; envp[n]; n++) {
    if (strncmp(envp[n], PRELOAD_VAR, sizeof PRELOAD_VAR - 1) == 0) return envp;
    out[n] = envp[n];
  }
  out[n] = preload_entry;
  out[n + 1] = NULL;
  return out;
}
static size_t env_count(char *const envp[]) {
  size_t n = 0;
  while (envp && envp[n]) n++;
  return n;
}
#define HANDED_ON(envp) handed_on((envp), alloca((env_count(envp) + 2) * sizeof(char *)))

int execve(const char *path, char *const argv[], char *const envp[]) {
  static int (*real)(const char *, char *const[], char *const[]);
  if (!real) real = dlsym(RTLD_NEXT, "execve");
  return real(path, argv, HANDED_ON(envp));
}
int execvpe(const char *file, char *const argv[], char *const envp[]) {
  static int (*real)(const char *, char *const[], char *const[]);
  if (!real) real = dlsym(RTLD_NEXT, "execvpe");
  return real(file, argv, HANDED_ON(envp));
}
int fexecve(int fd, char *const argv[], char *const envp[]) {
  static int (*real)(int, char *const[], char *const[]);
  if (!real) real = dlsym(RTLD_NEXT, "fexecve");
  return real(fd, argv, HANDED_ON(envp));
}
int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags) {
  static int (*real)(int, const char *, char *const[], char *const[], int);
  if (!real) real = dlsym(RTLD_NEXT, "execveat");
  if (!real) return (int)syscall(SYS_execveat, dirfd, path, argv, HANDED_ON(envp), flags);
  return real(dirfd, path, argv, HANDED_ON(envp), flags);
}
int execv(const char *path, char *const argv[]) { return execve(path, argv, environ); }
int execvp(const char *file, char *const argv[]) { return execvpe(file, argv, environ); }

/* execl, execle, execlp: their arguments as an array, on the stack. */
#define VA_ARGV(first, ap, argv, extra)                                        \
  size_t argc_ = 1;                                                           \
  va_start(ap, first);                                                        \
  while (va_arg(ap, char *)) argc_++;                                         \
  va_end(ap);                                                                 \
  char **argv = alloca((argc_ + 1) * sizeof(char *));                         \
  va_start(ap, first);                                                        \
  argv[0] = (char *)(first);                                                  \
  for (size_t i_ = 1; i_ <= argc_; i_++) argv[i_] = va_arg(ap, char *);       \
  extra;                                                                      \
  va_end(ap)

int execl(const char *path, const char *arg, ...) {
  va_list ap;
  VA_ARGV(arg, ap, argv, (void)0);
  return execve(path, argv, environ);
}
int execlp(const char *file, const char *arg, ...) {
  va_list ap;
  VA_ARGV(arg, ap, argv, (void)0);
  return execvpe(file, argv, environ);
}
int execle(const char *path, const char *arg, ...) {
  va_list ap;
  char **envp;
  VA_ARGV(arg, ap, argv, envp = va_arg(ap, char **));
  return execve(path, argv, envp);
}

int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
                char *const argv[], char *const envp[]) {
  static int (*real)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *, char *const[], char *const[]);
  if (!real) real = dlsym(RTLD_NEXT, "posix_spawn");
  return real(pid, path, fa, attr, argv, HANDED_ON(envp));
}
int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
                 char *const argv[], char *const envp[]) {
  static int (*real)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *, char *const[], char *const[]);
  if (!real) real = dlsym(RTLD_NEXT, "posix_spawnp");
  return real(pid, file, fa, attr, argv, HANDED_ON(envp));
}

/* system() and popen() spawn the shell from inside libc with environ: lend it the entry. */
static pthread_mutex_t lend_lock = PTHREAD_MUTEX_INITIALIZER;
static int lend(void) {
  if (!preload_entry[0] || getenv("LD_PRELOAD")) return 0;
  pthread_mutex_lock(&lend_lock);
  putenv(preload_entry);
  return 1;
}
static void unlend(int lent) {
  if (!lent) return;
  unsetenv("LD_PRELOAD");
  pthread_mutex_unlock(&lend_lock);
}
int system(const char *cmd) {
  static int (*real)(const char *);
  if (!real) real = dlsym(RTLD_NEXT, "system");
  int lent = lend();
  int r = real(cmd);
  unlend(lent);
  return r;
}
FILE *popen(const char *cmd, const char *mode) {
  static FILE *(*real)(const char *, const char *);
  if (!real) real = dlsym(RTLD_NEXT, "popen");
  int lent = lend();
  FILE *r = real(cmd, mode);
  unlend(lent);
  return r;
}

/* ------------------------------------------------------------------------------- the clock */

__attribute__((constructor)) static void init(void) {
  hide_and_hand_on();
  real_clock_gettime = dlsym(RTLD_NEXT, "clock_gettime");
  real_clock_nanosleep = dlsym(RTLD_NEXT, "clock_nanosleep");
  real_epoll_pwait = dlsym(RTLD_NEXT, "epoll_pwait");
  real_ppoll = dlsym(RTLD_NEXT, "ppoll");
  real_pselect = dlsym(RTLD_NEXT, "pselect");
  real_sem_clockwait = dlsym(RTLD_NEXT, "sem_clockwait");
  real_cond_clockwait = dlsym(RTLD_NEXT, "pthread_cond_clockwait");
  int fd = open(STATE_PATH, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  void *p = mmap(NULL, sizeof(struct state), PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return;
  const volatile struct state *s = p;
  if (s->magic != MAGIC || s->uid != getuid()) {
    munmap(p, sizeof(struct state));
    return;
  }
  st = s;
  wall_only = (s->flags & WALL_ONLY) != 0;
}

static int load_any(struct snap *out) {
  if (!st) return 0;
  for (;;) {
    uint32_t a = __atomic_load_n(&st->seq, __ATOMIC_ACQUIRE);
    if (a & 1) continue;
    out->anchor_real = st->anchor_real;
    out->anchor_fake = st->anchor_fake;
    out->rate_milli = st->rate_milli;
    out->rt_offset = st->rt_offset;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&st->seq, __ATOMIC_RELAXED) == a) return 1;
  }
}

/* The state for monotonic clocks and waits: none when only the wall clock moves. */
static int load(struct snap *out) { return wall_only ? 0 : load_any(out); }

static int64_t ts_ns(const struct timespec *t) { return (int64_t)t->tv_sec * NS + t->tv_nsec; }
static struct timespec ns_ts(int64_t n) {
  if (n < 0) n = 0;
  struct timespec t = {n / NS, n % NS};
  return t;
}
static int64_t real_now(clockid_t c) {
  struct timespec t;
  real_clock_gettime(c, &t);
  return ts_ns(&t);
}

/* Fake minus real CLOCK_MONOTONIC at real monotonic time `real`. */
static int64_t skew(const struct snap *s, int64_t real) {
  int64_t since = real - s->anchor_real;
  int64_t fake = s->anchor_fake + (since > 0 ? (int64_t)((__int128)since * s->rate_milli / 1000) : since);
  return fake - real;
}

static int monotonic_clock(clockid_t c) {
  return c == CLOCK_MONOTONIC || c == CLOCK_MONOTONIC_COARSE || c == CLOCK_MONOTONIC_RAW || c == CLOCK_BOOTTIME;
}
static int wall_clock(clockid_t c) { return c == CLOCK_REALTIME || c == CLOCK_REALTIME_COARSE || c == CLOCK_TAI; }

/* Fake time on clock c now. */
static int64_t fake_now(const struct snap *s, clockid_t c) {
  int64_t mono = real_now(CLOCK_MONOTONIC);
  int64_t off = skew(s, mono) + (wall_clock(c) ? s->rt_offset : 0);
  return real_now(c) + off;
}

/* Real nanoseconds until fake monotonic time reaches `fake_deadline` (<= 0: reached). The anchor
   may lie ahead (the writer schedules a rate change a little later than every sleeper's next
   chunk): real time runs at rate 1 until it, then at `rate`. */
static int64_t real_until(const struct snap *s, int64_t fake_deadline) {
  int64_t real = real_now(CLOCK_MONOTONIC);
  int64_t remaining_fake = fake_deadline - (real + skew(s, real));
  if (remaining_fake <= 0) return 0;
  if (s->rate_milli <= 0) return remaining_fake;
  int64_t before_anchor = 0;
  if (real < s->anchor_real) {
    before_anchor = s->anchor_real - real;
    if (remaining_fake <= before_anchor) return remaining_fake;
    remaining_fake -= before_anchor;
  }
  return before_anchor + (int64_t)((__int128)remaining_fake * 1000 / s->rate_milli) + 1;
}

/* A fake-monotonic deadline `ns` from now, or from an absolute time on clock c. */
static int64_t mono_deadline_after(const struct snap *s, int64_t ns) { return fake_now(s, CLOCK_MONOTONIC) + ns; }
static int64_t mono_deadline_at(const struct snap *s, clockid_t c, const struct timespec *abs) {
  return mono_deadline_after(s, ts_ns(abs) - fake_now(s, c));
}

/* The next real wait toward a fake deadline: at most one chunk, so a state change is seen. */
static int64_t next_wait(int64_t fake_deadline) {
  struct snap s;
  load(&s);
  int64_t r = real_until(&s, fake_deadline);
  return r > CHUNK_NS ? CHUNK_NS : r;
}

// ---- clocks ----------------------------------------------------------------------------

int clock_gettime(clockid_t c, struct timespec *tp) {
  int rc = real_clock_gettime(c, tp);
  struct snap s;
  if (rc != 0 || !(wall_clock(c) ? load_any(&s) : monotonic_clock(c) && load(&s))) return rc;
  int64_t off = skew(&s, c == CLOCK_MONOTONIC ? ts_ns(tp) : real_now(CLOCK_MONOTONIC)) + (wall_clock(c) ? s.rt_offset : 0);
  *tp = ns_ts(ts_ns(tp) + off);
  return 0;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
  (void)tz;
  struct timespec t;
  if (clock_gettime(CLOCK_REALTIME, &t) != 0) return -1;
  struct timeval *volatile out = tv; /* glibc declares tv nonnull; callers pass NULL anyway */
  if (out) {
    tv->tv_sec = t.tv_sec;
    tv->tv_usec = t.tv_nsec / 1000;
  }
  return 0;
}

time_t time(time_t *out) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  if (out) *out = t.tv_sec;
  return t.tv_sec;
}

int timespec_get(struct timespec *ts, int base) {
  if (base != TIME_UTC) return 0;
  return clock_gettime(CLOCK_REALTIME, ts) == 0 ? base : 0;
}

// ---- sleeps ----------------------------------------------------------------------------

/* Sleeps until fake monotonic `deadline`; EINTR is returned as the kernel would. */
static int sleep_until(int64_t deadline) {
  for (;;) {
    int64_t w = next_wait(deadline);
    if (w == 0) return 0;
    struct timespec rel = ns_ts(w);
    int rc = real_clock_nanosleep(CLOCK_MONOTONIC, 0, &rel, NULL);
    if (rc != 0) return rc;
  }
}

int clock_nanosleep(clockid_t c, int flags, const struct timespec *req, struct timespec *rem) {
  struct snap s;
  if (!load(&s) || !(monotonic_clock(c) || wall_clock(c))) return real_clock_nanosleep(c, flags, req, rem);
  int64_t deadline = (flags & TIMER_ABSTIME) ? mono_deadline_at(&s, c, req) : mono_deadline_after(&s, ts_ns(req));
  int rc = sleep_until(deadline);
  if (rc == EINTR && rem && !(flags & TIMER_ABSTIME)) {
    struct snap now;
    load(&now);
    *rem = ns_ts(deadline - fake_now(&now, CLOCK_MONOTONIC));
  }
  return rc;
}

int nanosleep(const struct timespec *req, struct timespec *rem) {
  int rc = clock_nanosleep(CLOCK_REALTIME, 0, req, rem);
  if (rc == 0) return 0;
  errno = rc;
  return -1;
}

int usleep(useconds_t us) {
  struct timespec t = ns_ts((int64_t)us * 1000);
  return nanosleep(&t, NULL);
}

unsigned int sleep(unsigned int seconds) {
  struct timespec t = {seconds, 0}, rem = {0, 0};
  if (nanosleep(&t, &rem) == 0) return 0;
  return (unsigned int)rem.tv_sec + (rem.tv_nsec > 0);
}

// ---- waits with a timeout --------------------------------------------------------------

/* Runs `once(real_timeout_ns)` (-1: no timeout) until it reports events, an error, or the fake
   deadline passes. Returns what the last call returned. */
#define TIMED_LOOP(timeout_ns, CALL)                                      \
  do {                                                                    \
    struct snap s_;                                                       \
    if ((timeout_ns) < 0 || !load(&s_)) {                                 \
      int64_t w_ = (timeout_ns);                                          \
      return CALL;                                                        \
    }                                                                     \
    int64_t deadline_ = mono_deadline_after(&s_, (timeout_ns));           \
    for (;;) {                                                            \
      int64_t w_ = next_wait(deadline_);                                  \
      int rc_ = CALL;                                                     \
      if (rc_ != 0 || w_ == 0 || next_wait(deadline_) == 0) return rc_;   \
    }                                                                     \
  } while (0)

static int ms_of(int64_t ns) { return ns < 0 ? -1 : (int)((ns + 999999) / 1000000); }

int epoll_pwait(int fd, struct epoll_event *ev, int n, int timeout, const sigset_t *mask) {
  TIMED_LOOP(timeout < 0 ? -1 : (int64_t)timeout * 1000000, real_epoll_pwait(fd, ev, n, ms_of(w_), mask));
}

int epoll_wait(int fd, struct epoll_event *ev, int n, int timeout) { return epoll_pwait(fd, ev, n, timeout, NULL); }

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *mask) {
  int64_t ns = t ? ts_ns(t) : -1;
  struct timespec w;
  TIMED_LOOP(ns, (w = ns_ts(w_), real_ppoll(fds, n, w_ < 0 ? NULL : &w, mask)));
}

int poll(struct pollfd *fds, nfds_t n, int timeout) {
  struct timespec t = ns_ts((int64_t)timeout * 1000000);
  return ppoll(fds, n, timeout < 0 ? NULL : &t, NULL);
}

/* select's sets are in/out: each round needs the caller's sets again. */
int pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *t, const sigset_t *mask) {
  fd_set r0, w0, e0;
  if (r) r0 = *r;
  if (w) w0 = *w;
  if (e) e0 = *e;
  int64_t ns = t ? ts_ns(t) : -1;
  struct timespec tw;
  TIMED_LOOP(ns, (r ? (*r = r0, 0) : 0, w ? (*w = w0, 0) : 0, e ? (*e = e0, 0) : 0, tw = ns_ts(w_),
                  real_pselect(n, r, w, e, w_ < 0 ? NULL : &tw, mask)));
}

int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv) {
  struct timespec t;
  if (tv) t = ns_ts((int64_t)tv->tv_sec * NS + (int64_t)tv->tv_usec * 1000);
  int rc = pselect(n, r, w, e, tv ? &t : NULL, NULL);
  if (tv && rc == 0) tv->tv_sec = tv->tv_usec = 0;
  return rc;
}

/* Absolute-deadline waits (Python's lock timeouts, threading.Timer): converted to fake monotonic. */
static int abs_wait(clockid_t c, const struct timespec *abs, int (*once)(void *, clockid_t, const struct timespec *), void *arg) {
  struct snap s;
  if (!load(&s)) return once(arg, c, abs);
  int64_t deadline = mono_deadline_at(&s, c, abs);
  for (;;) {
    int64_t w = next_wait(deadline);
    struct timespec real_abs = ns_ts(real_now(CLOCK_MONOTONIC) + w);
    int rc = once(arg, CLOCK_MONOTONIC, &real_abs);
    if (rc != ETIMEDOUT || next_wait(deadline) == 0) return rc;
  }
}

static int sem_once(void *sem, clockid_t c, const struct timespec *abs) {
  return real_sem_clockwait(sem, c, abs) == 0 ? 0 : errno;
}

int sem_clockwait(sem_t *sem, clockid_t c, const struct timespec *abs) {
  int rc = abs_wait(c, abs, sem_once, sem);
  if (rc == 0) return 0;
  errno = rc;
  return -1;
}

int sem_timedwait(sem_t *sem, const struct timespec *abs) { return sem_clockwait(sem, CLOCK_REALTIME, abs); }

struct cond_arg {
  pthread_cond_t *cond;
  pthread_mutex_t *mutex;
};
static int cond_once(void *a, clockid_t c, const struct timespec *abs) {
  struct cond_arg *ca = a;
  return real_cond_clockwait(ca->cond, ca->mutex, c, abs);
}

int pthread_cond_clockwait(pthread_cond_t *cond, pthread_mutex_t *mutex, clockid_t c, const struct timespec *abs) {
  struct cond_arg a = {cond, mutex};
  return abs_wait(c, abs, cond_once, &a);
}

/* glibc keeps the condvar's clock in bit 1 of __wrefs (nptl since 2.25). */
int pthread_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *mutex, const struct timespec *abs) {
  clockid_t c = (cond->__data.__wrefs & 2) ? CLOCK_MONOTONIC : CLOCK_REALTIME;
  return pthread_cond_clockwait(cond, mutex, c, abs);
}
