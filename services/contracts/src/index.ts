export * from './analyzer.js';
export * from './api.js';
export * from './enums.js';
export * from './errors.js';
export * from './report.js';
export * from './requests.js';
export * from './sinkhole.js';
export * from './staged.js';
