export * from './analyses.js';
export * from './artifacts.js';
export * from './db.js';
export * from './errors.js';
export * from './keys.js';
export * from './queries.js';
export * from './raw.js';
export * from './reports.js';
