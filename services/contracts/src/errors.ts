/**
 * Our own failures (never the package's misbehaviour, which is data in the report).
 * Every code is decided exactly once, in `isTransient`, as retry or final.
 */
export const ERROR_CODES = [
  'INVALID_INPUT',
  'PACKAGE_NOT_FOUND',
  'BAD_ARCHIVE',
  'ARCHIVE_TOO_LARGE',
  'INTEGRITY_MISMATCH',
  'REGISTRY_UNAVAILABLE',
  'DOCKER_UNAVAILABLE',
  'SANDBOX_IMAGE_MISSING',
  /** The eBPF tracer cannot load here (SANDBOX_TRACER=ebpf: no BTF, no privileges, not built), or its loader died. */
  'TRACER_UNAVAILABLE',
  'SANDBOX_FAILED',
  'DATABASE_UNAVAILABLE',
  'REDIS_UNAVAILABLE',
  'CANCELLED',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class VetboxError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VetboxError';
    this.code = code;
    this.details = options?.details;
  }
  get transient(): boolean {
    return isTransient(this.code);
  }
}

/** The one place that decides retry (transient infrastructure) versus a final error. */
export function isTransient(code: ErrorCode): boolean {
  switch (code) {
    case 'REGISTRY_UNAVAILABLE':
    case 'DOCKER_UNAVAILABLE':
    case 'SANDBOX_FAILED':
    case 'TRACER_UNAVAILABLE': // a loader that died mid-run is restarted by the next attempt
    case 'DATABASE_UNAVAILABLE':
    case 'REDIS_UNAVAILABLE':
      return true;
    case 'INVALID_INPUT':
    case 'PACKAGE_NOT_FOUND':
    case 'BAD_ARCHIVE':
    case 'ARCHIVE_TOO_LARGE':
    case 'INTEGRITY_MISMATCH':
    case 'SANDBOX_IMAGE_MISSING':
    case 'CANCELLED':
    case 'INTERNAL':
      return false;
    default: {
      const exhaustive: never = code;
      return exhaustive;
    }
  }
}

export function isVetboxError(err: unknown): err is VetboxError {
  return err instanceof VetboxError;
}
