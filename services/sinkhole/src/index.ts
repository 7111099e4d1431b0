export { startSinkhole, removeSinkholes, sinkholeLabels, LABEL_ROLE, type Sinkhole, type StartSinkholeOptions } from './controller.js';
export { sinkholeBundles, type SinkholeBundles } from './bundle.js';
export { createAnalysisCa } from './server/tls.js';
export type { CannedResponse } from './server/responses.js';
