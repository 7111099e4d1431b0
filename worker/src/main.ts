// Worker process entry: `node worker/dist/main.js` (npm start runs it beside the API).
import { createLogger, loadEnv } from '@vetbox/config';
import { startWorker } from './start.js';

const env = loadEnv();
const logger = createLogger('worker', { level: env.LOG_LEVEL, format: env.LOG_FORMAT });

const started = startWorker(env, logger);

// Installed before startup finishes: a signal during startup still closes what was opened.
let closing = false;
function shutdown(signal: NodeJS.Signals): void {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'shutting down');
  // A close that hangs must not leave the process running forever.
  setTimeout(() => {
    logger.error('close timed out; exiting');
    process.exit(1);
  }, env.SANDBOX_GRACE_MS + 30_000).unref();
  started
    .then((worker) => worker.close())
    .then(
      () => {
        logger.info('worker closed');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'worker close failed');
        process.exit(1);
      },
    );
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

try {
  await started;
} catch (err) {
  logger.fatal({ err }, 'worker failed to start');
  process.exit(1);
}
