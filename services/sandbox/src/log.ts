import { createLogger } from '@vetbox/config';

/** The subset of pino the sandbox logs through, so callers can hand in their own child logger. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

let fallback: Logger | undefined;
export function defaultLogger(): Logger {
  fallback ??= createLogger('sandbox');
  return fallback;
}
