// API process entry: `node api/dist/main.js` (npm start runs it beside the worker).
import { createLogger, loadEnv } from '@vetbox/config';
import { startServer } from './server.js';

const env = loadEnv();
const logger = createLogger('api', { level: env.LOG_LEVEL, format: env.LOG_FORMAT });

const started = startServer(env, logger);

// Installed before the server is up: a signal during startup still closes what was opened.
let closing = false;
function shutdown(signal: NodeJS.Signals): void {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'shutting down');
  // A close that hangs must not leave the process running.
  setTimeout(() => process.exit(1), 10_000).unref();
  started
    .then((running) => running.close())
    .then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

try {
  await started;
} catch (err) {
  logger.fatal({ err }, 'api failed to start');
  process.exit(1);
}
