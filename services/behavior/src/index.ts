export { buildBehavior, type BuildBehaviorInput, type PhaseInput, type PhasedEvents } from './build.js';
export { PhaseModel, type ModelOptions } from './model.js';
export { classifyFile, classifyContext, isPackageManagerArgv, type ClassifyContext } from './classify.js';
export { mergeCapture, phaseAt, printablePreview, PREVIEW_BYTES, type PhaseWindow } from './merge.js';
export { decodeDnsQuery, type DnsQuestion } from './dns.js';
export { normalizePath, resolvePath } from './paths.js';
export { EbpfSession, type PhaseCounters } from '@vetbox/trace';
