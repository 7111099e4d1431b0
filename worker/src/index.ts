export { createAnalysisWorker, type AnalysisWorker, type AnalysisWorkerOptions } from './worker.js';
export { createProcessor, ABORT_CANCELLED, ABORT_SHUTDOWN, type ProcessOutcome, type ProcessorDeps } from './processor.js';
export { reconcileLostJobs } from './reconcile.js';
export { notifyAnalysisEnd } from './notify.js';
export { orphanReaper, startWorker, type RunningWorker, type StartWorkerDeps } from './start.js';
