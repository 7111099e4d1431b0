// API process entry: `node api/dist/main.js` (npm start runs it beside the worker).
import { createLogger, loadEnv } from '@vetbox/config';
import { startServer } from './server.js';

const env = loadEnv();
const logger = createLogger('api', { level: env.LOG_LEVEL, format: env.LOG_FORMAT });

try {
  const running = await startServer(env, logger);
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    // A close that hangs must not leave the process running.
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
} catch (err) {
  logger.fatal({ err }, 'api failed to start');
  process.exit(1);
}
