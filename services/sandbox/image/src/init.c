/*
 * The sandbox's pid 1 and its login sessions: what package code sees of the machine's process
 * tree must be a developer workstation's, not a container's (`docker-init`/`sleep` as pid 1, a
 * node harness whose parent is pid 0, no terminal). One binary, installed as systemd, with roles:
 *
 *   pid 1       init: reaps orphans, starts the system daemons' stand-ins (below), and on SIGUSR1
 *               the user's session (utmp boot record, `systemd --user`) from SESSION_CONF.
 *   stand-ins   sleeping processes named like a workstation's daemons (journald, logind, cron,
 *               NetworkManager, sshd's listener). Started by re-executing this binary with
 *               MANAGERPID set to the parent's pid, as systemd does for its services.
 *   listener    the stand-in named like sshd's listener also starts phases: the host drops a spec
 *               into SPOOL (Docker's archive API, no process in the container) and the listener
 *               runs the phase driver with stdout on the container log, where the host reads the
 *               result. So the driver's parent is sshd's listener, never pid 0 (`docker exec`).
 *   session     run by the driver with argv[0] "sshd: <user>@pts/N" and a spec on fd 3: opens
 *               the terminal (stdin/stdout on one pty, stderr on a second one so the two streams
 *               stay apart), records the login in utmp/wtmp, sets the audit login uid (glibc's
 *               getlogin() reads it), and forks "-bash", the session leader, which runs the command
 *               in the terminal's foreground process group and reports its end on fd 4. A socket
 *               on fd 5 (RECORD_FD, when the driver gives one) goes to the command alone, as its
 *               fd 5: the harnesses' call records reach the driver there, not on the terminal.
 *
 * Anything else that executes this file gets systemd's refusal and exit status 1.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <utmpx.h>

#ifndef PHASE_DRIVER
#define PHASE_DRIVER "/root/.local/lib/phase.cjs"
#endif
#define SPOOL "/root/.local/spool"
#define SESSION_CONF "/root/.local/state/session.conf"
#define STANDIN_PIDS "/root/.local/state/standins"
#define SELF "/usr/lib/systemd/systemd"
#define SYSTEM_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define LISTENER_TITLE "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"
#define RECORD_FD 5

extern char **environ;
static char *title_area;
static size_t title_cap;

/*
 * Rewrites what /proc/<pid>/cmdline shows, within the space argv had (setproctitle). A title
 * shorter than that space would leave it ending in NULs, which a program started with that argv
 * ("-bash", "/lib/systemd/systemd-journald") never shows: the rest is filled with bytes that are
 * not NUL, its last one too, and the kernel then shows the title up to its NUL. sshd's titles keep
 * the NULs, as OpenSSH's setproctitle leaves them.
 */
static void set_title(const char *title, const char *comm) {
  if (title_area && title_cap > 1) {
    size_t n = strlen(title);
    if (n >= title_cap) n = title_cap - 1;
    memcpy(title_area, title, n);
    memset(title_area + n, strncmp(title, "sshd", 4) == 0 ? 0 : ' ', title_cap - n);
    title_area[n] = 0;
  }
  prctl(PR_SET_NAME, comm, 0, 0, 0);
}

static void remember_argv(int argc, char **argv) {
  title_area = argv[0];
  char *end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
  title_cap = (size_t)(end - title_area);
}

static void hex(char *out, size_t n) {
  static const char digits[] = "0123456789abcdef";
  unsigned char b[64];
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read(fd, b, n) != (ssize_t)n) memset(b, 7, n);
  if (fd >= 0) close(fd);
  for (size_t i = 0; i < n; i++) out[i] = digits[b[i] & 15];
  out[n] = 0;
}

static void null_stdio(void) {
  int fd = open("/dev/null", O_RDWR);
  if (fd < 0) return;
  dup2(fd, 0); dup2(fd, 1); dup2(fd, 2);
  if (fd > 2) close(fd);
}

/* ------------------------------------------------------------------ stand-ins */

struct standin { const char *argv; const char *comm; };
static const struct standin SYSTEM_STANDINS[] = {
  { "/lib/systemd/systemd-journald", "systemd-journal" },
  { "/lib/systemd/systemd-udevd", "systemd-udevd" },
  { "/usr/sbin/cron -f", "cron" },
  { "/lib/systemd/systemd-logind", "systemd-logind" },
  { "/usr/sbin/NetworkManager --no-daemon", "NetworkManager" },
  { LISTENER_TITLE, "sshd" },
};

/* Starts this binary again as a stand-in named `title`, as uid/gid (root when uid is 0). */
static pid_t start_standin(const char *title, uid_t uid, gid_t gid, const char *user, const char *home, int keep_stdio) {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid != 0) return pid;
  sigset_t none; sigemptyset(&none); sigprocmask(SIG_SETMASK, &none, NULL);
  if (!keep_stdio) null_stdio();
  setsid();
  if (uid != 0 && getuid() == 0) {
    if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) _exit(1);
  }
  char copy[256];
  snprintf(copy, sizeof copy, "%s", title);
  char *args[16]; int n = 0;
  if (strncmp(title, "sshd: ", 6) == 0) args[n++] = copy;  /* sshd's title is one string */
  else for (char *s = strtok(copy, " "); s && n < 15; s = strtok(NULL, " ")) args[n++] = s;
  args[n] = NULL;
  char manager[32], invocation[64], h[40], u[96], l[96], hm[PATH_MAX + 8], rt[64];
  hex(h, 32);
  snprintf(manager, sizeof manager, "MANAGERPID=%d", (int)parent);
  snprintf(invocation, sizeof invocation, "INVOCATION_ID=%s", h);
  char *env[12]; int e = 0;
  env[e++] = "LANG=C.UTF-8";
  env[e++] = SYSTEM_PATH;
  env[e++] = manager;
  env[e++] = invocation;
  if (uid != 0) {
    snprintf(u, sizeof u, "USER=%s", user); env[e++] = u;
    snprintf(l, sizeof l, "LOGNAME=%s", user); env[e++] = l;
    snprintf(hm, sizeof hm, "HOME=%s", home); env[e++] = hm;
    snprintf(rt, sizeof rt, "XDG_RUNTIME_DIR=/run/user/%u", (unsigned)uid); env[e++] = rt;
    env[e++] = "SHELL=/bin/bash";
  }
  env[e] = NULL;
  execve("/proc/self/exe", args, env);
  _exit(127);
}

static const char *standin_comm(const char *argv0) {
  for (size_t i = 0; i < sizeof SYSTEM_STANDINS / sizeof *SYSTEM_STANDINS; i++) {
    size_t n = strcspn(SYSTEM_STANDINS[i].argv, " ");
    if (strncmp(argv0, SYSTEM_STANDINS[i].argv, n) == 0 && (argv0[n] == 0 || argv0[n] == ' ')) return SYSTEM_STANDINS[i].comm;
  }
  if (strncmp(argv0, "sshd: ", 6) == 0) return "sshd";
  if (strcmp(argv0, "(sd-pam)") == 0) return "(sd-pam)";
  const char *slash = strrchr(argv0, '/');
  return slash ? slash + 1 : argv0;
}

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) { (void)sig; stop_requested = 1; }

static void sleep_forever(void) {
  signal(SIGTERM, on_stop);
  signal(SIGINT, on_stop);
  while (!stop_requested) pause();
  _exit(0);
}

/* ------------------------------------------------------------------ listener */

/*
 * The host copies "<id>.json" then "<id>.go" in one archive: Docker has finished the spec
 * (written, owned, timed) before it creates the trigger, so the spec is read only once complete.
 */
static void start_driver(const char *trigger) {
  char path[PATH_MAX], taken[PATH_MAX];
  int n = (int)strlen(trigger) - 3;
  snprintf(path, sizeof path, SPOOL "/%.*s.json", n, trigger);
  snprintf(taken, sizeof taken, SPOOL "/%.*s.taken", n, trigger);
  if (rename(path, taken) != 0) return;  /* already taken (a second event for the same file) */
  pid_t pid = fork();
  if (pid != 0) return;
  setsid();
  signal(SIGCHLD, SIG_DFL);
  char *args[] = { "sshd: [accepted]", PHASE_DRIVER, taken, NULL };
  char *env[] = { SYSTEM_PATH, "LANG=C.UTF-8", NULL };
  execve("/usr/bin/node", args, env);
  _exit(127);
}

static int is_trigger(const char *name) {
  size_t n = strlen(name);
  return n > 3 && strcmp(name + n - 3, ".go") == 0;
}

static void scan_spool(void) {
  DIR *d = opendir(SPOOL);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) if (is_trigger(e->d_name)) start_driver(e->d_name);
  closedir(d);
}

static void listener(void) {
  signal(SIGCHLD, SIG_IGN);  /* drivers are reaped automatically */
  signal(SIGTERM, on_stop);
  mkdir("/root/.local", 0700);
  mkdir(SPOOL, 0700);
  int in = inotify_init1(IN_CLOEXEC);
  if (in < 0 || inotify_add_watch(in, SPOOL, IN_CLOSE_WRITE | IN_MOVED_TO) < 0) _exit(1);
  scan_spool();
  char buf[4096] __attribute__((aligned(8)));
  while (!stop_requested) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n <= 0) { if (errno == EINTR) continue; _exit(1); }
    for (char *p = buf; p < buf + n;) {
      struct inotify_event *ev = (struct inotify_event *)p;
      if (ev->len && is_trigger(ev->name)) start_driver(ev->name);
      p += sizeof *ev + ev->len;
    }
  }
  _exit(0);
}

/* ------------------------------------------------------------------ init */

struct session_conf { long boot; uid_t uid; gid_t gid; char user[64]; char home[PATH_MAX]; };

static int read_session_conf(struct session_conf *c) {
  FILE *f = fopen(SESSION_CONF, "re");
  if (!f) return -1;
  memset(c, 0, sizeof *c);
  char line[PATH_MAX + 16];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    if (!strncmp(line, "boot=", 5)) c->boot = atol(line + 5);
    else if (!strncmp(line, "uid=", 4)) c->uid = (uid_t)atol(line + 4);
    else if (!strncmp(line, "gid=", 4)) c->gid = (gid_t)atol(line + 4);
    else if (!strncmp(line, "user=", 5)) snprintf(c->user, sizeof c->user, "%s", line + 5);
    else if (!strncmp(line, "home=", 5)) snprintf(c->home, sizeof c->home, "%s", line + 5);
  }
  fclose(f);
  return c->uid > 0 && c->user[0] ? 0 : -1;
}

static void record(struct utmpx *u) {
  setutxent();
  pututxline(u);
  endutxent();
  updwtmpx("/var/log/wtmp", u);
}

/* utmp's boot and runlevel records: `who -b`, `uptime -s`-style readers and `last reboot`. */
static void record_boot(long boot) {
  struct utmpx u;
  memset(&u, 0, sizeof u);
  u.ut_type = BOOT_TIME;
  u.ut_tv.tv_sec = (int32_t)boot;
  snprintf(u.ut_line, sizeof u.ut_line, "~");
  snprintf(u.ut_user, sizeof u.ut_user, "reboot");
  FILE *f = fopen("/proc/sys/kernel/osrelease", "re");
  if (f) { if (fgets(u.ut_host, sizeof u.ut_host, f)) u.ut_host[strcspn(u.ut_host, "\n")] = 0; fclose(f); }
  record(&u);
  memset(&u, 0, sizeof u);
  u.ut_type = RUN_LVL;
  u.ut_pid = '5' + 256 * 'N';
  u.ut_tv.tv_sec = (int32_t)(boot + 7);
  snprintf(u.ut_line, sizeof u.ut_line, "~");
  snprintf(u.ut_user, sizeof u.ut_user, "runlevel");
  record(&u);
}

static pid_t standins[16];
static int standin_count;
static pid_t listener_pid;

static void save_standins(void) {
  FILE *f = fopen(STANDIN_PIDS ".part", "we");
  if (!f) return;
  for (int i = 0; i < standin_count; i++) fprintf(f, "%d\n", (int)standins[i]);
  fclose(f);
  chmod(STANDIN_PIDS ".part", 0600);
  rename(STANDIN_PIDS ".part", STANDIN_PIDS);
}

static void start_user_session(void) {
  struct session_conf c;
  if (read_session_conf(&c) != 0) return;
  if (c.boot > 0) record_boot(c.boot);
  if (standin_count < 15) standins[standin_count++] = start_standin("/lib/systemd/systemd --user", c.uid, c.gid, c.user, c.home, 0);
  save_standins();
}

static int init_main(void) {
  prctl(PR_SET_NAME, "systemd", 0, 0, 0);
  sigset_t set;
  sigfillset(&set);
  sigprocmask(SIG_BLOCK, &set, NULL);
  mkdir("/root/.local", 0700);
  mkdir("/root/.local/state", 0700);
  for (size_t i = 0; i < sizeof SYSTEM_STANDINS / sizeof *SYSTEM_STANDINS; i++) {
    int listens = strcmp(SYSTEM_STANDINS[i].argv, LISTENER_TITLE) == 0;
    pid_t pid = start_standin(SYSTEM_STANDINS[i].argv, 0, 0, "root", "/root", listens);
    if (listens) listener_pid = pid;
    standins[standin_count++] = pid;
  }
  save_standins();
  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&set, &info);
    if (sig == SIGCHLD) {
      pid_t pid;
      int status;
      while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == listener_pid) {  /* the phase listener must always be there */
          listener_pid = start_standin(LISTENER_TITLE, 0, 0, "root", "/root", 1);
          for (int i = 0; i < standin_count; i++) if (standins[i] == pid) standins[i] = listener_pid;
          save_standins();
        }
      }
    } else if (sig == SIGUSR1) {
      start_user_session();
    } else if (sig == SIGTERM || sig == SIGINT || sig == SIGPWR) {
      kill(-1, SIGTERM);
      return 0;
    }
  }
}

/* ------------------------------------------------------------------ session */

struct spec {
  uid_t uid; gid_t gid; char *user; char *cwd; char *host; int as_root;
  char **argv; char **env;
};

static ssize_t read_all(int fd, char **out) {
  size_t cap = 65536, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (len == cap) { cap *= 2; buf = realloc(buf, cap); }
    ssize_t n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += (size_t)n;
    /* The spec ends with the field "END"; the pipe stays open as the stop signal. */
    if (len >= 5 && memcmp(buf + len - 5, "\0END\0", 5) == 0) break;
  }
  *out = buf;
  return (ssize_t)len;
}

/* Fields separated by NUL: VBS1 uid gid user cwd host as_root argc argv... envc env... END */
static int parse_spec(char *buf, size_t len, struct spec *s) {
  char *f[8192]; size_t n = 0;
  for (size_t i = 0; i < len && n < 8192;) { f[n++] = buf + i; i += strlen(buf + i) + 1; }
  if (n < 9 || strcmp(f[0], "VBS1") != 0) return -1;
  s->uid = (uid_t)atol(f[1]); s->gid = (gid_t)atol(f[2]);
  s->user = f[3]; s->cwd = f[4]; s->host = f[5]; s->as_root = atoi(f[6]);
  size_t argc = (size_t)atol(f[7]), at = 8;
  if (argc == 0 || at + argc >= n) return -1;
  s->argv = calloc(argc + 1, sizeof(char *));
  for (size_t i = 0; i < argc; i++) s->argv[i] = f[at++];
  size_t envc = (size_t)atol(f[at++]);
  if (at + envc > n) return -1;
  s->env = calloc(envc + 2, sizeof(char *));
  for (size_t i = 0; i < envc; i++) s->env[i] = f[at++];
  return 0;
}

/* Opens a terminal pair: returns the master, stores the slave (opened while still root's: root
 * holds no DAC override here, so it could not open the user's terminal afterwards). */
static int open_pty(char *name, size_t size, unsigned short cols, unsigned short rows, uid_t uid, int *slave) {
  int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0 || ptsname_r(m, name, size) != 0) return -1;
  struct winsize ws = { .ws_row = rows, .ws_col = cols };
  ioctl(m, TIOCSWINSZ, &ws);
  *slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*slave < 0) return -1;
  chown(name, uid, 5);  /* group tty, as login and sshd leave it */
  chmod(name, 0620);
  fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK);
  return m;
}

static void write_line(int fd, const char *fmt, ...) {
  char b[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b, sizeof b, fmt, ap);
  va_end(ap);
  if (n > 0) (void)!write(fd, b, (size_t)n);
}

static void drop_to(const struct spec *s) {
  if (initgroups(s->user, s->gid) != 0 && setgroups(1, &s->gid) != 0) _exit(126);
  if (setgid(s->gid) != 0 || setuid(s->uid) != 0) _exit(126);
}

/* "-bash": session leader with the terminal; runs the command in the foreground, reports, waits. */
static void session_leader(const struct spec *s, int tty, int err, int status_fd, int records) {
  setsid();
  if (ioctl(tty, TIOCSCTTY, 0) != 0) _exit(126);
  write_line(status_fd, "leader %d\n", (int)getpid());
  int fd = open("/proc/self/loginuid", O_WRONLY);
  if (fd >= 0) { write_line(fd, "%u", (unsigned)s->uid); close(fd); }
  if (!s->as_root) drop_to(s);
  set_title("-bash", "bash");
  fcntl(tty, F_SETFD, 0);
  fcntl(err, F_SETFD, 0);
  if (records >= 0) fcntl(records, F_SETFD, 0);
  int sync[2];
  if (pipe2(sync, O_CLOEXEC) != 0) _exit(126);
  signal(SIGTTOU, SIG_IGN);
  pid_t child = fork();
  if (child == 0) {
    char go;
    close(sync[1]);
    while (read(sync[0], &go, 1) < 0 && errno == EINTR) {}
    signal(SIGTTOU, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    dup2(tty, 0); dup2(tty, 1); dup2(err, 2);
    if (tty > 2) close(tty);
    if (err > 2) close(err);
    if (chdir(s->cwd) != 0) { dprintf(2, "-bash: cd: %s: %s\n", s->cwd, strerror(errno)); _exit(1); }
    environ = s->env;
    execvp(s->argv[0], s->argv);
    dprintf(2, "-bash: %s: %s\n", s->argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }
  setpgid(child, child);
  tcsetpgrp(tty, child);
  close(sync[0]); close(sync[1]);
  close(err);
  if (records >= 0) close(records);  /* the command's alone: its end is the driver's end-of-file */
  write_line(status_fd, "pid %d\n", (int)child);
  int status;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
  if (WIFSIGNALED(status)) write_line(status_fd, "signal %d\n", WTERMSIG(status));
  else write_line(status_fd, "exit %d\n", WEXITSTATUS(status));
  close(status_fd);
  tcsetpgrp(tty, getpgrp());
  signal(SIGHUP, on_stop);
  sleep_forever();
}

static void record_login(const struct spec *s, pid_t leader, const char *pts) {
  struct utmpx u;
  memset(&u, 0, sizeof u);
  u.ut_type = USER_PROCESS;
  u.ut_pid = leader;
  const char *line = pts + strlen("/dev/");
  snprintf(u.ut_line, sizeof u.ut_line, "%s", line);
  snprintf(u.ut_id, sizeof u.ut_id, "%s", line + (strlen(line) > 4 ? strlen(line) - 4 : 0));
  snprintf(u.ut_user, sizeof u.ut_user, "%s", s->user);
  snprintf(u.ut_host, sizeof u.ut_host, "%s", s->host);
  struct timeval tv;
  gettimeofday(&tv, NULL);
  u.ut_tv.tv_sec = (int32_t)tv.tv_sec;
  u.ut_tv.tv_usec = (int32_t)tv.tv_usec;
  record(&u);
}

static int relay(int from, int to) {
  char buf[16384];
  for (;;) {
    ssize_t n = read(from, buf, sizeof buf);
    if (n > 0) { for (ssize_t off = 0; off < n;) { ssize_t w = write(to, buf + off, (size_t)(n - off)); if (w <= 0) return -1; off += w; } continue; }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    return -1;  /* EIO: no process has the terminal open any more */
  }
}

static int session_main(int argc, char **argv) {
  /* Looked at before anything is opened here, which could otherwise take the number. */
  int records = fcntl(RECORD_FD, F_GETFD) >= 0 ? RECORD_FD : -1;
  if (records >= 0) fcntl(records, F_SETFD, FD_CLOEXEC);
  char *buf;
  ssize_t len = read_all(3, &buf);
  struct spec s;
  if (len <= 0 || parse_spec(buf, (size_t)len, &s) != 0) {
    fprintf(stderr, "Trying to run as user instance, but the system has not been booted with systemd.\n");
    return 1;
  }
  fcntl(3, F_SETFD, FD_CLOEXEC);
  fcntl(4, F_SETFD, FD_CLOEXEC);
  signal(SIGPIPE, SIG_IGN);
  static const unsigned short sizes[][2] = { { 158, 42 }, { 120, 36 }, { 190, 50 }, { 143, 39 } };
  unsigned pick = (unsigned)getpid() % 4;
  char pts_out[64], pts_err[64];
  int s_out = -1, s_err = -1;
  int m_out = open_pty(pts_out, sizeof pts_out, sizes[pick][0], sizes[pick][1], s.uid, &s_out);
  int m_err = open_pty(pts_err, sizeof pts_err, sizes[pick][0], sizes[pick][1], s.uid, &s_err);
  if (m_out < 0 || m_err < 0) { fprintf(stderr, "session: no pty: %s\n", strerror(errno)); return 1; }
  char title[128];
  snprintf(title, sizeof title, "sshd: %s@%s", s.user, pts_out + strlen("/dev/"));
  set_title(title, "sshd");
  /* sshd's SSH_TTY names the terminal; replace a placeholder, else add it. */
  char ssh_tty[80];
  snprintf(ssh_tty, sizeof ssh_tty, "SSH_TTY=%s", pts_out);
  size_t envc = 0;
  int have_tty = 0;
  for (; s.env[envc]; envc++) if (!strncmp(s.env[envc], "SSH_TTY=", 8)) { s.env[envc] = ssh_tty; have_tty = 1; }
  if (!have_tty) s.env[envc] = ssh_tty;

  int status_fd = 4;
  pid_t leader = fork();
  if (leader == 0) {
    close(m_out); close(m_err); close(3);
    session_leader(&s, s_out, s_err, status_fd, records);
  }
  close(s_out);
  close(s_err);
  if (records >= 0) close(records);
  record_login(&s, leader, pts_out);
  (void)argc; (void)argv;

  int out_open = 1, err_open = 1, stopping = 0, leader_gone = 0;
  struct timespec last_eof = { 0, 0 };
  for (;;) {
    struct pollfd p[3] = { { m_out, POLLIN, 0 }, { m_err, POLLIN, 0 }, { 3, POLLIN, 0 } };
    if (!out_open) p[0].fd = -1;
    if (!err_open) p[1].fd = -1;
    if (stopping) p[2].fd = -1;
    int r = poll(p, 3, 500);
    if (r < 0 && errno != EINTR) break;
    if (out_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) && relay(m_out, 1) < 0) out_open = 0;
    if (err_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR)) && relay(m_err, 2) < 0) err_open = 0;
    if (!stopping && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
      char c;
      if (read(3, &c, 1) <= 0) {  /* the driver closed the control pipe: hang up the session */
        stopping = 1;
        kill(leader, SIGHUP);
        relay(m_out, 1);
        relay(m_err, 2);
        break;
      }
    }
    int st;
    if (!leader_gone && waitpid(leader, &st, WNOHANG) == leader) {  /* died before the hang-up */
      leader_gone = 1;
      write_line(status_fd, "exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    }
    /* Nobody types: a read of the terminal sees end-of-file (^D), as it saw /dev/null before. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (out_open && now.tv_sec - last_eof.tv_sec >= 1) { (void)!write(m_out, "\x04", 1); last_eof = now; }
  }
  close(m_out);
  close(m_err);
  close(status_fd);
  int st;
  /* The leader ends as soon as the hang-up reaches it: look often (each phase waits for this). */
  for (int i = 0; !leader_gone && i < 1000; i++) {
    if (waitpid(leader, &st, WNOHANG) == leader) leader_gone = 1;
    else usleep(2000);
  }
  if (!leader_gone) { kill(leader, SIGKILL); waitpid(leader, &st, 0); }
  return 0;
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv) {
  remember_argv(argc, argv);
  if (getpid() == 1) return init_main();
  const char *manager = getenv("MANAGERPID");
  if (manager && atoi(manager) == (int)getppid()) {
    prctl(PR_SET_NAME, standin_comm(argv[0]), 0, 0, 0);
    if (strcmp(argv[0], LISTENER_TITLE) == 0 && getuid() == 0) listener();
    if (argc == 2 && strcmp(argv[1], "--user") == 0) {
      /* systemd --user keeps its PAM session in a child named (sd-pam). */
      struct passwd *pw = getpwuid(getuid());
      start_standin("(sd-pam)", getuid(), getgid(), pw ? pw->pw_name : "", pw ? pw->pw_dir : "/", 0);
      signal(SIGCHLD, SIG_IGN);
    }
    sleep_forever();
  }
  if (strncmp(argv[0], "sshd: ", 6) == 0 && fcntl(3, F_GETFD) >= 0 && fcntl(4, F_GETFD) >= 0) return session_main(argc, argv);
  fprintf(stderr, "Trying to run as user instance, but the system has not been booted with systemd.\n");
  return 1;
}
