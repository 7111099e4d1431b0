'use strict';
// Execute phase for npm: make the package act the way a program using it would. Every entry of
// `exports`/`main` is loaded; every exported function is called with no arguments, a string, a
// plain object and a callback; exported classes are constructed and their methods called;
// promises are awaited; every `bin` runs with --help, --version and no arguments.
//
// The calls run in a worker process; this supervisor time-boxes each one (a call that never
// returns gets its worker killed and a new worker carries on after it) and prints one record
// per call (`@@VBCALL@@{...}`) that the host joins to the trace by pid and time.
//   execute-npm.cjs <call-ms> <total-ms> <package>...             supervisor
//   execute-npm.cjs --worker <skip> <package>...
//
// Both run as `[eval]` code, compiled again from this file and started from a timer, so no frame
// of a stack the package's code takes names this file (what `node -e "require('pkg')"` shows).
if (typeof asEval === 'undefined') {
  const source = require('node:fs').readFileSync(__filename, 'utf8');
  const harness = require('node:vm').runInThisContext(`(function (asEval, require, __filename, esmImport) {${source}\n})`, { filename: '[eval]' });
  // vm code has no loader for import(): it goes through this file's (its frames are async, never below the package's).
  return void setImmediate(harness, true, require, __filename, (url) => import(url));
}
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

const cwd = process.cwd();
const projectRequire = createRequire(path.join(cwd, 'index.js'));
// Records go out through a write taken before any package code runs: a package that wraps
// process.stdout or console sees none of them.
const writeSync = fs.writeSync;
function out(text) {
  const b = Buffer.from(text);
  for (let at = 0; at < b.length;) {
    try {
      at += writeSync(1, b, at);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err; // a full pipe the supervisor is draining
    }
  }
}
const record = (r) => out(`\n${MARK}${JSON.stringify(r)}\n`);

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
    return esmImport(pathToFileURL(projectRequire.resolve(spec)).href).catch(() => esmImport(spec));
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

function runWorker(skip, names, deadline) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [__filename, '--worker', String(skip), ...names], { stdio: ['ignore', 'pipe', 'inherit'] });
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
    child.stdout.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const line of lines) {
        if (!line.startsWith(MARK)) {
          if (line) process.stdout.write(`${line}\n`);
          continue;
        }
        let r;
        try {
          r = JSON.parse(line.slice(MARK.length));
        } catch {
          continue;
        }
        if (r.event === 'done') done = true;
        else {
          current = r.event === 'start' ? r : null;
          process.stdout.write(`${line}\n`);
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

/**
 * To the package's code (and in ps) the supervisor and the worker look like `node` started in the
 * project, the REPL a developer tries a package in: no harness path in argv or the module cache,
 * no main module. The trace keeps the real argv (the exec came first). Same in import-npm.cjs.
 */
function looksLikeNode() {
  process.title = 'node';
  process.argv.splice(1);
  process.mainModule = undefined;
  delete require.cache[__filename];
}

const args = process.argv.slice(2);
looksLikeNode();
if (args[0] === '--worker') worker(Number(args[1]), args.slice(2));
else {
  CALL_MS = Number(args[0]) || CALL_MS;
  TOTAL_MS = Number(args[1]) || TOTAL_MS;
  supervise(args.slice(2)).then(() => process.exit(0));
}
