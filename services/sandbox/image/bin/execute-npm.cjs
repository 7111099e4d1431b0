'use strict';
// Execute phase for npm: make the package act the way a program using it would. Every entry of
// `exports`/`main` is loaded; every exported function is called with no arguments, a string, a
// plain object and a callback; exported classes are constructed and their methods called;
// promises are awaited; every `bin` runs with --help, --version and no arguments.
//
// The calls run in a worker process; this supervisor time-boxes each one (a call that never
// returns gets its worker killed and a new worker carries on after it) and sends one record per
// call (`@@VBCALL@@{...}`) that the host joins to the trace by pid and time.
//
// Both are a plain `node` reading this file from a pipe, as the body of a function called with
// their arguments (the steps runner starts the supervisor: commands.ts nodeHarness; the supervisor
// the worker), so ps shows `node`, argv is node's alone, no main module, no harness path, and a
// stack the package's code takes names only `[stdin]` and node's own modules.
//   argv: [<call-ms>, <total-ms>, <package>...]                         supervisor
//         ['--worker', <skip>, <token>, <package>...]                   worker
// Records never cross the user's terminal: the worker sends them to the supervisor on a socket
// (fd 3), each with a key only the programs' text carries, so what the package writes there is
// not a record; the supervisor sends them to the phase driver on the socket the session gives it
// (RECORD_FD), which node does not pass to what it spawns. The package's own stdout and stderr
// are the terminal.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');

const MARK = '@@VBCALL@@';
const AWAIT_MS = 400;
const DRAIN_MS = 1500;
const SETTLE_MAX_MS = 500;
const LOAD_MS = 10000;
/** I/O a call may have set going: a lookup, a connect, a write, a child, a file operation. */
const PENDING_IO = new Set(['GetAddrInfoReqWrap', 'GetNameInfoReqWrap', 'QueryReqWrap', 'TCPConnectWrap', 'PipeConnectWrap', 'WriteWrap', 'ShutdownWrap', 'FSReqCallback', 'FSReqPromise', 'ProcessWrap']);
let CALL_MS = 3000;
let TOTAL_MS = 20000;
const MAX_CALLS = 400;
const ARGS = [
  { label: '', values: () => [] },
  { label: '"default"', values: () => ['default'] },
  { label: '{}', values: () => [{}] },
  { label: 'callback', values: () => [function callback() {}] },
];

/** The socket the session hands the supervisor for its records (image/src/init.c, phase.cjs). */
const RECORD_FD = 5;
/** The worker's end of its socket to the supervisor. */
const WORKER_FD = 3;
const HARNESS = '/usr/local/libexec/execute-npm.cjs';

const cwd = process.cwd();
const projectRequire = createRequire(path.join(cwd, 'index.js'));
// Records go out through a write taken before any package code runs: a package that wraps
// fs, process.stdout or console sees none of them.
const writeSync = fs.writeSync;
function out(fd, text) {
  const b = Buffer.from(text);
  for (let at = 0; at < b.length;) {
    try {
      at += writeSync(fd, b, at);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err; // a full socket the reader is draining
    }
  }
}
const isWorker = argv[0] === '--worker';
// Every record carries the key the supervisor declares first (event "key"), before any package
// code runs: the host keeps only records with it (services/sandbox phases/records.ts).
const token = isWorker ? argv[2] : require('node:crypto').randomBytes(16).toString('hex');
const record = (r) => out(isWorker ? WORKER_FD : RECORD_FD, `${MARK}${JSON.stringify({ ...r, k: token })}\n`);

function packageJson(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(cwd, 'node_modules', name, 'package.json'), 'utf8'));
  } catch {
    return {};
  }
}

/** `t-pkg`, `t-pkg/sub` for each subpath export without wildcards; the main entry otherwise. */
function entries(name) {
  const pkg = packageJson(name);
  const out = [name];
  if (pkg.exports && typeof pkg.exports === 'object' && !Array.isArray(pkg.exports)) {
    for (const key of Object.keys(pkg.exports)) {
      if (key.startsWith('./') && !key.includes('*') && key !== './package.json' && !key.endsWith('/')) out.push(`${name}/${key.slice(2)}`);
    }
  }
  return out.slice(0, 20);
}

function bins(name) {
  const pkg = packageJson(name);
  if (typeof pkg.bin === 'string') return [pkg.name ? pkg.name.replace(/^@[^/]+\//, '') : name];
  return pkg.bin && typeof pkg.bin === 'object' ? Object.keys(pkg.bin).slice(0, 10) : [];
}

// ---- worker ---------------------------------------------------------------------------

async function load(spec) {
  try {
    return projectRequire(spec);
  } catch (err) {
    const esm = ['ERR_REQUIRE_ESM', 'ERR_PACKAGE_PATH_NOT_EXPORTED', 'MODULE_NOT_FOUND', 'ERR_REQUIRE_ASYNC_MODULE'];
    if (!esm.includes(err && err.code)) throw err;
    return import(pathToFileURL(projectRequire.resolve(spec)).href).catch(() => import(spec));
  }
}

const isClass = (f) => /^class[\s{]/.test(Function.prototype.toString.call(f));

/** Callables of a module, depth 2, in a stable order: [display name, function, this]. */
function callables(mod) {
  const out = [];
  const seen = new Set();
  const visit = (value, name, self, depth) => {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) return;
    seen.add(value);
    if (typeof value === 'function') out.push([name || value.name || 'default', value, self]);
    if (depth >= 2 || (typeof value === 'function' && isClass(value))) return;
    let keys = [];
    try {
      keys = Object.keys(value).sort();
    } catch {}
    for (const k of keys.slice(0, 200)) {
      let v;
      try {
        v = value[k];
      } catch {
        continue;
      }
      if (k === 'default' && depth === 0) visit(v, name, value, depth);
      else visit(v, name ? `${name}.${k}` : k, value, depth + 1);
    }
  };
  visit(mod, '', undefined, 0);
  return out;
}

async function settle(value) {
  if (value && typeof value.then === 'function') {
    let timer;
    const outcome = await Promise.race([
      Promise.resolve(value).then(() => 'resolved', () => 'rejected'),
      new Promise((r) => (timer = setTimeout(() => r('pending'), AWAIT_MS))),
    ]);
    clearTimeout(timer);
    return outcome;
  }
  if (value && typeof value[Symbol.asyncIterator] === 'function') {
    const it = value[Symbol.asyncIterator]();
    for (let i = 0; i < 100; i++) if ((await settle(it.next())) !== 'resolved') break;
    return 'drained';
  }
  if (value && typeof value.next === 'function' && typeof value[Symbol.iterator] === 'function') {
    for (let i = 0; i < 1000; i++) if (value.next().done) break;
    return 'drained';
  }
  return 'returned';
}

/**
 * Lets what a call set going (a lookup, a connect, a request) happen before the next call starts,
 * so the trace shows it inside this call's slice of time; bounded, timers are not waited for.
 */
async function settleIo() {
  const end = Date.now() + SETTLE_MAX_MS;
  await new Promise((r) => setImmediate(r));
  while (Date.now() < end && process.getActiveResourcesInfo().some((r) => PENDING_IO.has(r))) await new Promise((r) => setTimeout(r, 5));
}

/** Every call of the plan, lazily: [name, module, thunk]. */
async function* plan(names) {
  for (const name of names) {
    for (const spec of entries(name)) {
      let mod;
      try {
        mod = await load(spec);
      } catch {
        continue;
      }
      for (const [fname, fn, self] of callables(mod)) {
        if (isClass(fn)) {
          // The same instance serves every method; it is built on first use, so the plan (and
          // the call numbers a new worker skips by) never depends on what a call did.
          const holder = {};
          const instance = () => holder.obj || (holder.obj = new fn());
          yield [`new ${fname}()`, spec, instance];
          const methods = Object.getOwnPropertyNames(fn.prototype).filter((m) => m !== 'constructor').sort();
          for (const m of methods.slice(0, 50)) yield [`new ${fname}().${m}()`, spec, () => instance()[m]()];
          continue;
        }
        for (const a of ARGS) yield [`${fname}(${a.label})`, spec, () => fn.apply(self, a.values())];
      }
    }
  }
}

async function worker(skip, names) {
  // A package calling process.exit() ends its call, not the phase.
  const exit = process.exit.bind(process);
  process.exit = (code) => {
    throw Object.assign(new Error(`process.exit(${code}) called`), { vbExit: true });
  };
  process.on('uncaughtException', () => {});
  process.on('unhandledRejection', () => {});
  let i = 0;
  for await (const [name, of, thunk] of plan(names)) {
    if (i++ < skip) continue;
    if (i > MAX_CALLS) break;
    record({ event: 'start', call: i - 1, name, of, pid: process.pid, t: Date.now() });
    let outcome;
    let error;
    try {
      outcome = await settle(thunk());
    } catch (err) {
      outcome = 'threw';
      error = String((err && err.message) || err).slice(0, 200);
    }
    await settleIo();
    record({ event: 'end', call: i - 1, name, of, pid: process.pid, t: Date.now(), outcome, ...(error ? { error } : {}) });
  }
  record({ event: 'done' });
  // What the last calls started (a request, a timer) gets a moment to happen before the worker ends.
  setTimeout(() => exit(0), DRAIN_MS).unref();
}

// ---- supervisor -----------------------------------------------------------------------

/** This program's text as the body of a function called with `args` (commands.ts nodeStep). */
const program = (args) => `(function (argv) {${fs.readFileSync(HARNESS, 'utf8').replace(/\n+$/, '')}\n})(${JSON.stringify(args)});\n`;

function runWorker(skip, names, deadline) {
  return new Promise((resolve) => {
    // A plain `node` with the terminal for its output, its program on stdin, records on fd 3.
    const child = spawn('node', [], { stdio: ['pipe', 'inherit', 'inherit', 'pipe'] });
    child.stdin.on('error', () => {});
    child.stdin.end(program(['--worker', String(skip), token, ...names]));
    let current = null;
    let done = false;
    let buf = '';
    let timer = null;
    // A call gets CALL_MS; starting the worker and loading a module between calls get LOAD_MS
    // (a busy machine must not turn a slow require into a skipped package).
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (current) record({ event: 'end', call: current.call, name: current.name, of: current.of, pid: child.pid, t: Date.now(), outcome: 'timeout' });
        child.kill('SIGKILL');
      }, Math.max(0, Math.min(current ? CALL_MS : LOAD_MS, deadline - Date.now())));
    };
    arm();
    child.stdio[3].on('error', () => {});
    child.stdio[3].on('data', (chunk) => {
      buf += chunk.toString('utf8');
      const lines = buf.split('\n');
      buf = lines.pop();
      if (buf.length > 64 * 1024) buf = '';
      for (const line of lines) {
        if (!line.startsWith(MARK)) continue;
        let r;
        try {
          r = JSON.parse(line.slice(MARK.length));
        } catch {
          continue;
        }
        // Only the worker's program knows the key: anything else written here is not ours.
        if (!r || r.k !== token) continue;
        if (r.event === 'done') done = true;
        else {
          current = r.event === 'start' ? r : null;
          record(r);
        }
        arm();
      }
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ done, next: current ? current.call + 1 : null });
    });
  });
}

function runBin(name, args, deadline) {
  return new Promise((resolve) => {
    const file = path.join(cwd, 'node_modules', '.bin', name);
    const label = [name, ...args].join(' ');
    const child = spawn(file, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    const start = { event: 'start', name: label, bin: true, pid: child.pid, t: Date.now() };
    if (child.pid) record(start);
    const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(0, Math.min(CALL_MS, deadline - Date.now())));
    child.on('error', () => {});
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (child.pid) record({ event: 'end', name: label, bin: true, pid: child.pid, t: Date.now(), outcome: signal === 'SIGKILL' ? 'timeout' : `exit ${code}` });
      resolve();
    });
  });
}

async function supervise(names) {
  record({ event: 'key' });
  const deadline = Date.now() + TOTAL_MS;
  let skip = 0;
  let lastSkip = -1;
  while (Date.now() < deadline) {
    const r = await runWorker(skip, names, deadline);
    if (r.done || r.next === null || r.next <= lastSkip) break;
    lastSkip = skip;
    skip = r.next;
  }
  for (const name of names) {
    for (const bin of bins(name)) {
      for (const args of [['--help'], ['--version'], []]) {
        if (Date.now() >= deadline) return;
        await runBin(bin, args, deadline);
      }
    }
  }
}

if (isWorker) worker(Number(argv[1]), argv.slice(3));
else {
  CALL_MS = Number(argv[0]) || CALL_MS;
  TOTAL_MS = Number(argv[1]) || TOTAL_MS;
  supervise(argv.slice(2)).then(() => process.exit(0));
}
