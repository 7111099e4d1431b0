'use strict';
// Runs one traced phase inside the sandbox, as root. The host drops the spec into the spool; the
// workstation's sshd listener (image/src/init.c) starts this driver, whose stdout is the
// container log the host reads the result from. It looks like what it stands for in ps: sshd's
// privileged half of the user's login ("sshd: <user> [priv]"). The command runs in a login
// session on a terminal (the session helper: "sshd: <user>@pts/N" → "-bash" → command), under
// strace when the spec has strace arguments (strace then drops to the user itself).
// After the command exits, detached children are followed for a grace period; whatever still
// runs then is recorded and killed, unless the spec says `keep` (the eBPF tracer follows them
// into later phases; the sandbox ends them with the container). A wall-clock deadline covers
// command + grace. When the spec has a `recordMark` (the execute and next-login harnesses' call
// records), the session hands the command a socket of its own (fd 5: image/src/init.c) and the
// lines it sends there that start with the mark are returned whole, up to a bound: they never
// cross the user's terminal, where whatever the package prints is only output.
// Prints one result line prefixed with @@VETBOX@@ (with the spec's requestId) on stdout.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');

const SESSION_HELPER = '/usr/lib/systemd/systemd';
/** pids of the workstation's stand-in processes (some run as the user): never leftovers. */
const STANDIN_PIDS = '/root/.local/state/standins';

function readSpec(arg) {
  if (!arg.startsWith('/')) return JSON.parse(Buffer.from(arg, 'base64').toString('utf8'));
  const spec = JSON.parse(fs.readFileSync(arg, 'utf8'));
  fs.rmSync(arg, { force: true });
  // Triggers ("<id>.go") of earlier phases: Docker is long done with them.
  const dir = require('node:path').dirname(arg);
  for (const f of fs.readdirSync(dir)) {
    try { if (f.endsWith('.go') && Date.now() - fs.statSync(`${dir}/${f}`).mtimeMs > 10_000) fs.rmSync(`${dir}/${f}`); } catch {}
  }
  return spec;
}
const spec = readSpec(process.argv[2]);
disguise(`sshd: ${spec.user} [priv]`);

function disguise(title) {
  process.title = title;
  // process.title also renames the thread (comm) to the whole title; sshd's comm is "sshd".
  try { fs.writeFileSync(`/proc/self/task/${process.pid}/comm`, 'sshd'); } catch {}
}
const TAIL = spec.tailBytes || 8192;

// Output went to a terminal: \r\n for \n (onlcr), colours, spinners and progress bars redrawn
// in place. The report keeps each line as it was left on the screen, without escape sequences.
const ESCAPES = /\x1b\[[0-9;?]*[ -\/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]/g;
function rendered(text) {
  return text.replace(/\r\n/g, '\n').split('\n').map((line) => {
    const shown = line.split(/\r|\x1b\[1?G/).map((part) => part.replace(ESCAPES, '')).filter((part) => part !== '');
    return shown.length > 0 ? shown[shown.length - 1] : '';
  }).join('\n');
}

const RECORDS_MAX = 512 * 1024;
/** The lines the command sent on its record socket that start with `mark`. */
function recordLines(mark) {
  let partial = '';
  let kept = '';
  return {
    push(chunk) {
      if (!mark || kept.length >= RECORDS_MAX) return;
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop();
      if (partial.length > 64 * 1024) partial = '';
      for (const raw of lines) {
        if (raw.startsWith(mark) && kept.length < RECORDS_MAX) kept += raw + '\n';
      }
    },
    text() { return kept; },
  };
}

function tail() {
  let buf = Buffer.alloc(0);
  return {
    push(chunk) {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length > TAIL * 2) buf = buf.subarray(buf.length - TAIL);
    },
    text() { return rendered(buf.subarray(Math.max(0, buf.length - TAIL)).toString('utf8')); },
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
function standins() {
  try { return new Set(fs.readFileSync(STANDIN_PIDS, 'utf8').split('\n').filter(Boolean).map(Number)); } catch { return new Set(); }
}
// The session leader ("-bash") and the workstation's own user processes ("systemd --user" and
// its "(sd-pam)" child) are not the package's. The command itself is the leader's child: only
// the stand-ins' children are skipped.
const keep = new Set();
const standinPids = new Set();
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
      if (keep.has(Number(name)) || standinPids.has(ppid)) continue;
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
const signalName = (n) => Object.entries(os.constants.signals).find(([, v]) => v === n)?.[0] ?? `SIG${n}`;

/**
 * Starts the session helper: fd 3 carries the spec (and, when closed, the hang-up), fd 4 reports
 * the session leader ("leader N"), the launched process ("pid N") and its end ("exit N" / "signal N").
 */
function startSession(argv, asRoot) {
  const fields = ['VBS1', spec.uid, spec.gid, spec.user, spec.cwd, spec.loginHost || '', asRoot ? 1 : 0,
    argv.length, ...argv, Object.keys(spec.env).length, ...Object.entries(spec.env).map(([k, v]) => `${k}=${v}`), 'END'];
  const child = spawn(SESSION_HELPER, [], {
    argv0: `sshd: ${spec.user}@pts/0000`,
    cwd: '/',
    env: {},
    // fd 5, the record socket, only for a command that sends records.
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', ...(spec.recordMark ? ['pipe'] : [])],
  });
  child.stdio[3].on('error', () => {});
  child.stdio[3].write(fields.map(String).join('\0') + '\0');
  // `ended` settles as the command's end is reported, so the driver's loop wakes at once
  // instead of at its next poll (up to 50 ms after every phase otherwise).
  let reportEnd;
  const events = { pid: null, end: null, ended: new Promise((resolve) => { reportEnd = resolve; }) };
  let buf = '';
  child.stdio[4].on('error', () => {});
  child.stdio[4].setEncoding('utf8');
  child.stdio[4].on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const [kind, value] = buf.slice(0, nl).split(' ');
      buf = buf.slice(nl + 1);
      if (kind === 'leader') keep.add(Number(value));
      else if (kind === 'pid') events.pid = Number(value);
      else if (kind === 'exit' && !events.end) { events.end = { code: Number(value), signal: null }; reportEnd(); }
      else if (kind === 'signal' && !events.end) { events.end = { code: null, signal: signalName(Number(value)) }; reportEnd(); }
    }
  });
  return { child, events, hangUp: () => child.stdio[3].end() };
}

async function main() {
  const before = limitCounters();
  const startedAtMs = Date.now();
  const deadline = startedAtMs + spec.timeoutMs;
  for (const pid of standins()) { keep.add(pid); standinPids.add(pid); }
  // What earlier phases kept running is theirs, not this command's.
  for (const p of userProcesses()) keep.add(p.pid);
  const traced = Array.isArray(spec.straceArgs) && spec.straceArgs.length > 0;
  const argv = traced ? ['strace', ...spec.straceArgs, '-o', spec.tracePath, '-u', spec.user, '--', ...spec.cmd] : spec.cmd;
  const session = startSession(argv, traced);
  const out = tail(); const err = tail(); const records = recordLines(spec.recordMark);
  session.child.stdout.on('data', (c) => out.push(c));
  if (spec.recordMark) { session.child.stdio[5].on('error', () => {}); session.child.stdio[5].on('data', (c) => records.push(c)); }
  session.child.stderr.on('data', (c) => err.push(c));
  let sessionClosed = false;
  const closed = new Promise((resolve) => session.child.on('close', () => { sessionClosed = true; resolve(); }));
  session.child.on('error', (e) => { err.push(Buffer.from(String(e))); });
  const { events } = session;

  // Under strace, the launched process is strace and the command is its child: when strace has
  // no live child left, the command has exited; what it left running was re-parented away and
  // is still traced (-f), and strace ends when the last of it does. strace also forks
  // short-lived probe children at startup (as root, before any trace output): the real one is
  // known by the user's uid or by trace output existing. Without strace, the launched process is
  // the command itself and its end is reported directly.
  let started = false;
  const traceSize = () => { try { return fs.statSync(spec.tracePath).size; } catch { return 0; } };
  let mainExitedAtMs = null;
  let timedOut = false;
  let leftover = [];
  let killed = false;
  while (!sessionClosed) {
    const now = Date.now();
    let mainExited;
    if (traced) {
      // Order matters: trace output proves the real child was forked, so the children listed
      // after that check include it for as long as it lives.
      const tracing = started || traceSize() > 0;
      const kids = events.pid === null ? [] : childrenOf(events.pid).filter(alive);
      started = tracing || kids.some((k) => uidOf(k) === spec.uid);
      mainExited = events.end !== null || (tracing && events.pid !== null && kids.length === 0);
    } else {
      mainExited = events.end !== null;
    }
    if (mainExitedAtMs === null && mainExited) mainExitedAtMs = now;
    const allEnded = events.end !== null && (traced || userProcesses().length === 0);
    if (allEnded) break;
    const graceOver = mainExitedAtMs !== null && now >= mainExitedAtMs + spec.graceMs;
    if (spec.keep && graceOver) {
      // Left running: recorded, and followed by the tracer through the later phases.
      leftover = userProcesses().slice(0, 200);
      break;
    }
    if (now >= deadline || graceOver) {
      // Out of time only if the command itself was still running; leftovers are recorded either way.
      timedOut = mainExitedAtMs === null;
      leftover = userProcesses().slice(0, 200);
      killed = leftover.length > 0;
      await killUserProcesses();
      for (let i = 0; i < 100 && events.end === null && !sessionClosed; i++) await sleep(50);
      if (events.end === null && events.pid !== null) { try { process.kill(events.pid, 'SIGKILL'); } catch {} }
      break;
    }
    await Promise.race([closed, events.end === null ? events.ended : closed, sleep(mainExitedAtMs === null ? 50 : 100)]);
  }
  for (let i = 0; i < 40 && events.end === null && !sessionClosed; i++) await sleep(50);
  session.hangUp();
  await Promise.race([closed, sleep(3000)]);
  if (!sessionClosed) { session.child.kill('SIGKILL'); await Promise.race([closed, sleep(2000)]); }
  const endedAtMs = Date.now();
  const after = limitCounters();
  let traceBytes = 0;
  try { traceBytes = fs.statSync(spec.tracePath).size; } catch {}
  const result = {
    startedAtMs,
    durationMs: endedAtMs - startedAtMs,
    commandMs: (mainExitedAtMs ?? endedAtMs) - startedAtMs,
    exitCode: events.end ? events.end.code : null,
    signal: events.end ? events.end.signal : null,
    timedOut,
    leftover,
    killed,
    oomKills: after.oomKills - before.oomKills,
    pidsMaxHits: after.pidsMax - before.pidsMax,
    traceBytes,
    stdoutTail: out.text(),
    stderrTail: err.text(),
    ...(spec.recordMark ? { records: records.text() } : {}),
  };
  finish(result, 0);
}

// Exit as soon as the result is written: timers of lost races must not hold the process open.
function finish(result, code) {
  process.stdout.write('@@VETBOX@@' + JSON.stringify({ requestId: spec.requestId, ...result }) + '\n', () => process.exit(code));
}

process.on('uncaughtException', (e) => finish({ driverError: String((e && e.stack) || e) }, 1));
main().catch((e) => finish({ driverError: String((e && e.stack) || e) }, 1));
