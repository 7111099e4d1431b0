// Worker process entry: `node worker/dist/main.js` (npm start runs it beside the API).
import { createLogger, loadEnv } from '@vetbox/config';
import { startWorker } from './start.js';

const env = loadEnv();
const logger = createLogger('worker', { level: env.LOG_LEVEL, format: env.LOG_FORMAT });

try {
  const worker = await startWorker(env, logger);
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    // A close that hangs must not leave the process running forever.
    const force = setTimeout(() => {
      logger.error('close timed out; exiting');
      process.exit(1);
    }, env.SANDBOX_GRACE_MS + 30_000);
    force.unref();
    worker.close().then(
      () => {
        logger.info('worker closed');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'worker close failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
} catch (err) {
  logger.fatal({ err }, 'worker failed to start');
  process.exit(1);
}
