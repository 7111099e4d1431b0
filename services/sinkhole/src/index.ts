export { startSinkhole, removeSinkholes, sinkholeLabels, LABEL_ROLE, type Sinkhole, type StartSinkholeOptions } from './controller.js';
export { sinkholeBundle } from './bundle.js';
export { createAnalysisCa } from './server/tls.js';
export { ANSWER_RANGE } from './server/dns.js';
export type { CannedResponse } from './server/responses.js';
