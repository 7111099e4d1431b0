// Preload for Prisma CLI commands (node --require). Prisma 6.19's WASM schema engine leaves a
// 10 s timer pending after the work is done, so every migrate command idled ~10 s before
// exiting. Long timers are unref'd: they still fire if the process is busy, but no longer keep
// an otherwise finished process alive.
'use strict';
const LONG_MS = 5_000;
const originalSetTimeout = globalThis.setTimeout;
globalThis.setTimeout = function setTimeoutUnrefLong(callback, delay, ...args) {
  const timer = originalSetTimeout(callback, delay, ...args);
  if (typeof delay === 'number' && delay >= LONG_MS && timer && typeof timer.unref === 'function') timer.unref();
  return timer;
};
// keep util.promisify(setTimeout) and friends working
Object.assign(globalThis.setTimeout, originalSetTimeout);
