export * from './decide.js';
export * from './duration.js';
export * from './known-malicious.js';
export * from './npm.js';
export * from './policy.js';
export * from './pypi.js';
