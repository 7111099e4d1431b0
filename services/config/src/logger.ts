import type { Writable } from 'node:stream';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';
import { loadEnv } from './index.js';

export type { Logger } from 'pino';

export type LogFormat = 'auto' | 'pretty' | 'json';

export interface CreateLoggerOptions {
  level?: LevelWithSilent;
  /** `auto` (the default, from LOG_FORMAT): readable on a terminal, JSON lines otherwise. */
  format?: LogFormat;
  /** Where lines go; stdout by default. */
  destination?: Writable & { isTTY?: boolean };
}

/** Whether a logger writing to `destination` should print human-readable lines. */
export function usePrettyLogs(format: LogFormat, destination: { isTTY?: boolean }): boolean {
  if (format === 'auto') return destination.isTTY === true;
  return format === 'pretty';
}

/**
 * One logger per process or component (`createLogger('api')`, `createLogger('worker')`).
 * JSON lines for machines (logs, Docker); pino-pretty in-process (no worker thread) for people.
 */
export function createLogger(name: string, options: CreateLoggerOptions = {}): Logger {
  const env = loadEnv();
  const level = options.level ?? env.LOG_LEVEL;
  const destination = options.destination ?? process.stdout;
  const format = options.format ?? env.LOG_FORMAT;
  if (usePrettyLogs(format, destination)) {
    const stream = pretty({
      destination,
      colorize: destination.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      sync: true,
    });
    return pino({ name, level }, stream);
  }
  return pino({ name, level }, destination);
}
