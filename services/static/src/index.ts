// The static pass: reads a package's install/import code on the host without running it.
export { staticPass, DEFAULT_STATIC_LIMITS, type StaticLimits, type StaticPassInput } from './pass.js';
export { escapeText } from './escape.js';
export { sharedFilePool, type FilePool } from './pool.js';
