// Worker process entry: `node worker/dist/main.js` (npm start runs it beside the API).
import { createLogger, loadEnv, runUntilSignal } from '@vetbox/config';
import { startWorker } from './start.js';

const env = loadEnv();
const logger = createLogger('worker', { level: env.LOG_LEVEL, format: env.LOG_FORMAT });

// Closing waits for the running sandbox's grace period before its container is removed.
await runUntilSignal(startWorker(env, logger), { name: 'worker', logger, closeTimeoutMs: env.SANDBOX_GRACE_MS + 30_000 });
