'use strict';
// Runs one traced phase inside the sandbox, as root (started by `docker exec`, itself untraced).
// strace runs the command as the unprivileged user and writes the trace to /trace (root only),
// its output to <trace>.out/.err. After the command exits, detached children are followed for a
// grace period; whatever still runs then is recorded and, unless `keep` is set, killed. With
// `keep`, strace stays behind and follows them through later phases (a process belongs to the
// phase that started it); `{ finish: true }` ends them all once the last phase is over.
// A wall-clock deadline covers command + grace: a command still running then is killed.
// Prints one result line prefixed with @@VETBOX@@ on stdout.
const { spawn } = require('node:child_process');
const fs = require('node:fs');

const spec = JSON.parse(Buffer.from(process.argv[2], 'base64').toString('utf8'));
const TAIL = spec.tailBytes || 8192;

function tail() {
  let buf = Buffer.alloc(0);
  return {
    push(chunk) {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > TAIL * 2) buf = buf.subarray(buf.length - TAIL);
    },
    text() { return buf.subarray(Math.max(0, buf.length - TAIL)).toString('utf8'); },
  };
}

function readCounter(file, key) {
  try {
    const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(key + ' '));
    return line ? Number(line.split(' ')[1]) : 0;
  } catch { return 0; }
}
// cgroup v1 and v2 spellings; counters are per container, so take the difference over the phase.
const limitCounters = () => ({
  oomKills: readCounter('/sys/fs/cgroup/memory/memory.oom_control', 'oom_kill') + readCounter('/sys/fs/cgroup/memory.events', 'oom_kill'),
  pidsMax: readCounter('/sys/fs/cgroup/pids/pids.events', 'max') + readCounter('/sys/fs/cgroup/pids.events', 'max'),
});

function childrenOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch { return []; }
}
function uidOf(pid) {
  try { return Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]); } catch { return -1; }
}
function tracerOf(pid) {
  try { return Number(/^TracerPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]); } catch { return 0; }
}
function descendants(pid) {
  const out = [];
  for (const c of childrenOf(pid)) out.push(c, ...descendants(c));
  return out;
}
function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch { return false; }
}
// Read from /proc rather than spawning ps: under a fork bomb the pids limit leaves no room to spawn.
function userProcesses() {
  const procs = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = fs.readFileSync(`/proc/${name}/status`, 'utf8');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)[1]);
      if (uid !== spec.uid) continue;
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)[1]);
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      const state = /^State:\s+(\S)/m.exec(status)[1];
      if (state === 'Z') continue;
      procs.push({ pid: Number(name), ppid, cmd: cmd.slice(0, 512) });
    } catch { /* exited meanwhile */ }
  }
  return procs;
}
// Stop everything first so nothing can fork a replacement, then kill (ends fork bombs too).
async function killUserProcesses() {
  for (let round = 0; round < 50; round++) {
    const procs = userProcesses();
    if (procs.length === 0) return true;
    for (const p of procs) { try { process.kill(p.pid, 'SIGSTOP'); } catch {} }
    for (const p of userProcesses()) { try { process.kill(p.pid, 'SIGSTOP'); } catch {} }
    for (const p of userProcesses()) { try { process.kill(p.pid, 'SIGKILL'); } catch {} }
    await sleep(20);
  }
  return userProcesses().length === 0;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const EXIT_LINE_WAIT_MS = 5000;

// The main command's end, from its `+++ exited with N +++` / `+++ killed by SIG +++` trace line
// (with `keep`, strace lives on, so its own exit status cannot say). Searched near the end.
function mainExitFromTrace(file, pid) {
  const re = new RegExp(`^${pid}\\s+[\\d.]+\\s+\\+\\+\\+ (?:exited with (\\d+)|killed by (SIG\\w+))`, 'm');
  try {
    const fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, 8 * 1024 * 1024));
    fs.readSync(fd, buf, 0, buf.length, size - buf.length);
    fs.closeSync(fd);
    const m = re.exec(buf.toString('utf8'));
    return m ? { code: m[1] !== undefined ? Number(m[1]) : null, signal: m[2] || null } : null;
  } catch { return null; }
}

function fileHead(file) {
  try {
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(256);
    const n = fs.readSync(fd, buf, 0, 256, 0);
    fs.closeSync(fd);
    return buf.subarray(0, n).toString('utf8');
  } catch { return ''; }
}

function fileTail(file) {
  try {
    const fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, TAIL));
    fs.readSync(fd, buf, 0, buf.length, size - buf.length);
    fs.closeSync(fd);
    return buf.toString('utf8');
  } catch { return ''; }
}

// Kill every user process, then let each phase's strace write its last lines and exit.
async function finishAll() {
  const killed = userProcesses().slice(0, 500);
  await killUserProcesses();
  const straces = () => fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n) && alive(Number(n)) && (() => {
    try { return fs.readFileSync(`/proc/${n}/comm`, 'utf8').trim() === 'strace'; } catch { return false; }
  })()).map(Number);
  for (let i = 0; i < 100 && straces().length > 0; i++) await sleep(50);
  for (const pid of straces()) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  finish({ killed, endedAtMs: Date.now() }, 0);
}

async function main() {
  if (spec.finish) return finishAll();
  const before = limitCounters();
  const startedAtMs = Date.now();
  const deadline = startedAtMs + spec.timeoutMs;
  const args = [...spec.straceArgs, '-o', spec.tracePath, '-u', spec.user, '--', ...spec.cmd];
  // Output goes to files, not pipes: strace and what it follows outlive this driver with `keep`.
  const outFile = `${spec.tracePath}.out`; const errFile = `${spec.tracePath}.err`;
  const outFd = fs.openSync(outFile, 'w', 0o600); const errFd = fs.openSync(errFile, 'w', 0o600);
  const strace = spawn('strace', args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', outFd, errFd], detached: Boolean(spec.keep) });
  fs.closeSync(outFd); fs.closeSync(errFd);
  const out = { text: () => fileTail(outFile) }; const err = tail();
  let straceExit = null;
  const exited = new Promise((resolve) => strace.on('close', (code, signal) => { straceExit = { code, signal }; resolve(); }));
  strace.on('error', (e) => { err.push(Buffer.from(String(e))); });

  // The traced command is strace's child. strace also forks short-lived probe children at
  // startup (as root, before any trace output): the real one is known by the user's uid or by
  // trace output existing. When strace has no live child left, the command has exited; what it
  // left running was re-parented away and is still traced (-f).
  let started = false;
  const traceSize = () => { try { return fs.statSync(spec.tracePath).size; } catch { return 0; } };
  let mainExitedAtMs = null;
  let timedOut = false;
  let leftover = [];
  let killed = false;
  let mainPid = null;
  while (straceExit === null) {
    const now = Date.now();
    // Order matters: trace output proves the real child was forked, so the children listed
    // after that check include it for as long as it lives.
    const tracing = started || traceSize() > 0;
    const kids = childrenOf(strace.pid).filter(alive);
    started = tracing || kids.some((k) => uidOf(k) === spec.uid);
    if (mainPid === null) mainPid = kids.find((k) => uidOf(k) === spec.uid) ?? null;
    if (mainExitedAtMs === null && tracing && kids.length === 0) mainExitedAtMs = now;
    const graceOver = mainExitedAtMs !== null && now >= mainExitedAtMs + spec.graceMs;
    if (spec.keep && (now >= deadline || graceOver)) {
      // Leftovers live on under this strace; a command out of time is killed with its own tree.
      timedOut = mainExitedAtMs === null;
      if (timedOut) for (const pid of descendants(strace.pid)) { try { process.kill(pid, 'SIGKILL'); } catch {} }
      leftover = userProcesses().filter((p) => tracerOf(p.pid) === strace.pid).slice(0, 200);
      // A command that ended before the first poll: the trace's first line is its pid.
      if (mainPid === null) mainPid = Number((/^(\d+) /.exec(fileHead(spec.tracePath)) || [])[1]) || null;
      // strace writes the command's exit line once it has reaped it, which on a busy machine can
      // lag the zombie we saw: wait for that line (or for strace itself to end) a little longer.
      const waitUntil = Date.now() + EXIT_LINE_WAIT_MS;
      while (!timedOut && mainPid !== null && straceExit === null) {
        const end = mainExitFromTrace(spec.tracePath, mainPid);
        if (end) { straceExit = end; break; }
        if (Date.now() >= waitUntil) { err.push(Buffer.from(`vetbox: the exit of pid ${mainPid} did not show in the trace\n`)); break; }
        await Promise.race([exited, sleep(50)]);
      }
      strace.unref();
      break;
    }
    if (now >= deadline || graceOver) {
      // Out of time only if the command itself was still running; leftovers are recorded either way.
      timedOut = mainExitedAtMs === null;
      leftover = userProcesses().slice(0, 200);
      killed = leftover.length > 0;
      await killUserProcesses();
      await Promise.race([exited, sleep(5000)]);
      if (straceExit === null) { strace.kill('SIGKILL'); await Promise.race([exited, sleep(2000)]); }
      break;
    }
    await Promise.race([exited, sleep(mainExitedAtMs === null ? 50 : 100)]);
  }
  const endedAtMs = Date.now();
  const after = limitCounters();
  let traceBytes = 0;
  try { traceBytes = fs.statSync(spec.tracePath).size; } catch {}
  const result = {
    startedAtMs,
    durationMs: endedAtMs - startedAtMs,
    commandMs: (mainExitedAtMs ?? endedAtMs) - startedAtMs,
    exitCode: straceExit ? straceExit.code : null,
    signal: straceExit ? straceExit.signal : null,
    timedOut,
    leftover,
    killed,
    oomKills: after.oomKills - before.oomKills,
    pidsMaxHits: after.pidsMax - before.pidsMax,
    traceBytes,
    stdoutTail: out.text(),
    stderrTail: (fileTail(errFile) + err.text()).slice(-TAIL),
  };
  finish(result, 0);
}

// Exit as soon as the result is written: timers of lost races must not hold the exec open.
function finish(result, code) {
  process.stdout.write('@@VETBOX@@' + JSON.stringify(result) + '\n', () => process.exit(code));
}

main().catch((e) => finish({ driverError: String((e && e.stack) || e) }, 1));
