#!/usr/bin/env node
// npm start: the API (api/dist/main.js) and the worker (worker/dist/main.js) as two children.
// Both inherit this terminal, so pino prints readable lines there and JSON when redirected.
// SIGINT/SIGTERM are forwarded; if either child dies, the other is stopped and we exit with it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const services = [
  { name: 'api', entry: path.join(root, 'api', 'dist', 'main.js') },
  { name: 'worker', entry: path.join(root, 'worker', 'dist', 'main.js') },
];

const missing = services.filter((s) => !fs.existsSync(s.entry));
if (missing.length > 0) {
  console.error(`not built: ${missing.map((s) => path.relative(root, s.entry)).join(', ')}. Run: npm run setup`);
  process.exit(1);
}

const STOP_TIMEOUT_MS = 40_000;
let stopping = false;
let exitCode = 0;
const running = new Map();

for (const service of services) {
  // Own process group: a terminal Ctrl-C reaches only us, and we forward it exactly once.
  const child = spawn(process.execPath, [service.entry], { cwd: root, stdio: 'inherit', detached: true });
  running.set(service.name, child);
  child.on('exit', (code, signal) => {
    running.delete(service.name);
    if (!stopping) {
      console.error(`${service.name} exited (${signal ?? `code ${code}`}); stopping the rest`);
      exitCode = code || 1;
      stopAll('SIGTERM');
    }
    if (running.size === 0) process.exit(exitCode);
  });
}

function stopAll(signal) {
  stopping = true;
  for (const child of running.values()) child.kill(signal);
  setTimeout(() => {
    for (const child of running.values()) child.kill('SIGKILL');
    process.exit(exitCode || 1);
  }, STOP_TIMEOUT_MS).unref();
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (stopping) return;
    stopAll(signal === 'SIGHUP' ? 'SIGTERM' : signal);
  });
}
// Never leave children behind if we die some other way.
process.on('exit', () => {
  for (const child of running.values()) child.kill('SIGKILL');
});
