import type { Env, Logger } from '@vetbox/config';

export interface RunningWorker {
  /** Finishes or abandons current work, then releases every connection. */
  close(): Promise<void>;
}

/**
 * Starts the analysis worker. The queue consumer (BullMQ) is wired in here; until it is, the
 * process only stays up so `npm start` and the deployment can supervise it.
 */
export async function startWorker(env: Env, logger: Logger): Promise<RunningWorker> {
  // Something must hold the event loop open until the queue consumer does.
  const keepAlive = setInterval(() => {}, 1 << 30);
  logger.info({ queue: env.QUEUE_NAME, concurrency: env.WORKER_CONCURRENCY }, 'worker started');
  return {
    async close() {
      clearInterval(keepAlive);
    },
  };
}
