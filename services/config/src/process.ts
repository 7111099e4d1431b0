import type { Logger } from './logger.js';

export interface RunUntilSignalOptions {
  /** What the process is, for log lines: `api`, `worker`. */
  name: string;
  logger: Logger;
  /** After a signal, exit 1 if closing takes longer than this. */
  closeTimeoutMs: number;
}

/**
 * Runs a service until SIGTERM or SIGINT, then closes it and exits (0 when the close succeeded,
 * 1 when it failed or hung). The handlers are installed before startup finishes, so a signal
 * during startup still closes what was opened; a startup failure exits 1 with the reason.
 */
export async function runUntilSignal<T extends { close(): Promise<void> }>(started: Promise<T>, opts: RunUntilSignalOptions): Promise<void> {
  const { name, logger } = opts;
  let closing = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error(`${name} close timed out; exiting`);
      process.exit(1);
    }, opts.closeTimeoutMs).unref();
    started
      .then((running) => running.close())
      .then(
        () => {
          logger.info(`${name} closed`);
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, `${name} close failed`);
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  try {
    await started;
  } catch (err) {
    logger.fatal({ err }, `${name} failed to start`);
    process.exit(1);
  }
}
