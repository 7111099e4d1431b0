import { VetboxError, isVetboxError, type ErrorCode } from '@vetbox/contracts';

// Prisma error codes meaning "the database did not answer" rather than "the query was wrong".
const PRISMA_UNAVAILABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2034']);
const NET_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

interface ErrorLike {
  name?: string;
  code?: unknown;
  message?: string;
  errorCode?: unknown;
}

/**
 * Infrastructure errors from the clients we use (Prisma, ioredis, sockets) as VetboxErrors, so
 * the worker's retry mapping and the API's status mapping see codes, not library classes.
 * Every failure of a job becomes a VetboxError, whose code then decides retry or final in the
 * one place that decides it (contracts `isTransient`). Unknown errors are INTERNAL: final, since
 * retrying a bug only repeats it.
 */
export function toVetboxError(err: unknown): VetboxError {
  if (isVetboxError(err)) return err;
  const e = (err ?? {}) as ErrorLike;
  const message = typeof e.message === 'string' && e.message ? e.message : String(err);
  const code = classify(e, message);
  return new VetboxError(code, firstLine(message), { cause: err });
}

function classify(e: ErrorLike, message: string): ErrorCode {
  const name = e.name ?? '';
  if (name.startsWith('PrismaClient') || name === 'DriverAdapterError') {
    const prismaCode = typeof e.code === 'string' ? e.code : typeof e.errorCode === 'string' ? e.errorCode : '';
    if (name === 'PrismaClientInitializationError' || PRISMA_UNAVAILABLE.has(prismaCode)) return 'DATABASE_UNAVAILABLE';
    if (/connect|terminat|timeout|Connection/i.test(message)) return 'DATABASE_UNAVAILABLE';
    return 'INTERNAL';
  }
  if (name === 'MaxRetriesPerRequestError' || /Connection is closed|Redis|enableOfflineQueue|Stream isn't writeable/i.test(message)) return 'REDIS_UNAVAILABLE';
  if (typeof e.code === 'string' && NET_ERRNO.has(e.code)) {
    if (/docker\.sock/.test(message)) return 'DOCKER_UNAVAILABLE';
    if (/:5432\b/.test(message)) return 'DATABASE_UNAVAILABLE';
    if (/:6379\b/.test(message)) return 'REDIS_UNAVAILABLE';
  }
  return 'INTERNAL';
}

function firstLine(message: string): string {
  const line = message.split('\n').find((l) => l.trim()) ?? message;
  return line.trim().slice(0, 500);
}
