export { analyze, createAnalyzer, detonate, traceInput, type DetonateOptions, type PipelineOptions } from './analyze.js';
export { applyKnownMalicious, judge, rescoreReport, withMachineLeaks, type JudgeInput, type Judged, type Rescore, type RescoreExtras } from './judge.js';
export { acquire, type AcquireOptions } from './acquire.js';
export { ANALYZER_VERSION } from './version.js';
export { createPairPool, makeWarmPair, type PairOptions, type WarmPair } from './pool.js';
export { canariesFor } from './workstation.js';
