export { analyze, createAnalyzer, detonate, traceInput, type DetonateOptions, type PipelineOptions } from './analyze.js';
export { judge, rescoreReport, type JudgeInput } from './judge.js';
export { acquire, type AcquireOptions } from './acquire.js';
export { ANALYZER_VERSION } from './version.js';
