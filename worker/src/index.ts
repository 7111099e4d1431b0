export { createAnalysisWorker, type AnalysisWorker, type AnalysisWorkerOptions } from './worker.js';
export { createProcessor, ABORT_CANCELLED, ABORT_OUTAGE, ABORT_SHUTDOWN, ANALYSIS_NEEDS, type ProcessOutcome, type ProcessorDeps } from './processor.js';
export { reconcileLostJobs } from './reconcile.js';
export { notifyAnalysisEnd } from './notify.js';
export { orphanReaper, sandboxReconciler, startWorker, workerDependencies, type RunningWorker, type StartWorkerDeps } from './start.js';
