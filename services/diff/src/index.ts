export * from './diff.js';
export * from './normalize.js';
