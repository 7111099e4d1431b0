export { analyze, createAnalyzer, detonate, type DetonateOptions, type PipelineOptions } from './analyze.js';
export { applyKnownMalicious, judge, rescoreReport, type JudgeInput, type Judged } from './judge.js';
export { acquire, type AcquireOptions } from './acquire.js';
export { ANALYZER_VERSION } from './version.js';
