'use strict';
// Runs one traced phase inside the sandbox, as root (started by `docker exec`, itself untraced).
// With strace (spec.tracer 'strace') strace runs the command as the unprivileged user and writes
// the trace to /trace (root only); with eBPF ('none') the command runs as the user directly and
// the host traces it.
// After the command exits, detached children are followed for a grace period; whatever still
// runs then is recorded (ps) and killed. A wall-clock deadline covers command + grace.
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

async function main() {
  const before = limitCounters();
  const startedAtMs = Date.now();
  const deadline = startedAtMs + spec.timeoutMs;
  if (spec.tracer === 'none') return untraced(before, startedAtMs, deadline);
  const args = [...spec.straceArgs, '-o', spec.tracePath, '-u', spec.user, '--', ...spec.cmd];
  const strace = spawn('strace', args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = tail(); const err = tail();
  strace.stdout.on('data', (c) => out.push(c));
  strace.stderr.on('data', (c) => err.push(c));
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
  while (straceExit === null) {
    const now = Date.now();
    // Order matters: trace output proves the real child was forked, so the children listed
    // after that check include it for as long as it lives.
    const tracing = started || traceSize() > 0;
    const kids = childrenOf(strace.pid).filter(alive);
    started = tracing || kids.some((k) => uidOf(k) === spec.uid);
    if (mainExitedAtMs === null && tracing && kids.length === 0) mainExitedAtMs = now;
    const graceOver = mainExitedAtMs !== null && now >= mainExitedAtMs + spec.graceMs;
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
  let traceBytes = 0;
  try { traceBytes = fs.statSync(spec.tracePath).size; } catch {}
  report({ before, startedAtMs, mainExitedAtMs, exit: straceExit, timedOut, leftover, killed, traceBytes, out, err });
}

// The command runs as the user, untraced here (the host traces it): it has ended when it exited
// and none of the user's processes are left, or when the grace period after its exit is over.
async function untraced(before, startedAtMs, deadline) {
  const child = spawn(spec.cmd[0], spec.cmd.slice(1), { cwd: spec.cwd, env: spec.env, uid: spec.uid, gid: spec.gid, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = tail(); const err = tail();
  child.stdout.on('data', (c) => out.push(c));
  child.stderr.on('data', (c) => err.push(c));
  let childExit = null;
  let spawnError = null;
  // 'exit', not 'close': a detached child may hold the command's stdout open for longer.
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => { childExit = { code, signal }; resolve(); }));
  child.on('error', (e) => { spawnError = e; err.push(Buffer.from(String(e))); childExit = childExit || { code: 127, signal: null }; });
  let mainExitedAtMs = null;
  let timedOut = false;
  let leftover = [];
  let killed = false;
  for (;;) {
    const now = Date.now();
    if (mainExitedAtMs === null && childExit !== null) mainExitedAtMs = now;
    if (mainExitedAtMs !== null && userProcesses().length === 0) break;
    const graceOver = mainExitedAtMs !== null && now >= mainExitedAtMs + spec.graceMs;
    if (now >= deadline || graceOver) {
      timedOut = mainExitedAtMs === null;
      leftover = userProcesses().slice(0, 200);
      killed = leftover.length > 0;
      await killUserProcesses();
      await Promise.race([exited, sleep(5000)]);
      break;
    }
    await Promise.race([exited, sleep(mainExitedAtMs === null ? 50 : 100)]);
  }
  if (spawnError && childExit === null) childExit = { code: 127, signal: null };
  report({ before, startedAtMs, mainExitedAtMs, exit: childExit, timedOut, leftover, killed, traceBytes: 0, out, err });
}

// The one result line, whichever way the command ran.
function report({ before, startedAtMs, mainExitedAtMs, exit, timedOut, leftover, killed, traceBytes, out, err }) {
  const endedAtMs = Date.now();
  const after = limitCounters();
  finish({
    startedAtMs,
    durationMs: endedAtMs - startedAtMs,
    commandMs: (mainExitedAtMs ?? endedAtMs) - startedAtMs,
    exitCode: exit ? exit.code : null,
    signal: exit ? exit.signal : null,
    timedOut,
    leftover,
    killed,
    oomKills: after.oomKills - before.oomKills,
    pidsMaxHits: after.pidsMax - before.pidsMax,
    traceBytes,
    stdoutTail: out.text(),
    stderrTail: err.text(),
  }, 0);
}

// Exit as soon as the result is written: timers of lost races must not hold the exec open.
function finish(result, code) {
  process.stdout.write('@@VETBOX@@' + JSON.stringify(result) + '\n', () => process.exit(code));
}

main().catch((e) => finish({ driverError: String((e && e.stack) || e) }, 1));
