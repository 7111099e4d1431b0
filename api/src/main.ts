// API process entry: `node api/dist/main.js` (npm start runs it beside the worker).
import { createLogger, loadEnv, runUntilSignal } from '@vetbox/config';
import { startServer } from './server.js';

const env = loadEnv();
const logger = createLogger('api', { level: env.LOG_LEVEL, format: env.LOG_FORMAT });

await runUntilSignal(startServer(env, logger), { name: 'api', logger, closeTimeoutMs: 10_000 });
