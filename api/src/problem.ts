import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { isVetboxError, type ErrorCode, type VetboxError } from '@vetbox/contracts';
import { HttpProblem, type HttpProblemCode } from './http-problem.js';

/** RFC 9457 problem details: every error the API returns has this shape. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code?: ErrorCode | HttpProblemCode | 'NOT_READY';
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function sendProblem(res: Response, problem: Problem): void {
  res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/** The one mapping from our error codes to HTTP statuses. */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'INVALID_INPUT':
      return 400;
    case 'PACKAGE_NOT_FOUND':
      return 404;
    case 'CANCELLED':
      return 409;
    case 'ARCHIVE_TOO_LARGE':
      return 413;
    case 'BAD_ARCHIVE':
    case 'INTEGRITY_MISMATCH':
      return 422;
    case 'REGISTRY_UNAVAILABLE':
      return 502;
    case 'DOCKER_UNAVAILABLE':
    case 'DATABASE_UNAVAILABLE':
    case 'REDIS_UNAVAILABLE':
    case 'SANDBOX_IMAGE_MISSING':
    case 'TRACER_UNAVAILABLE':
      return 503;
    case 'SANDBOX_FAILED':
    case 'INTERNAL':
      return 500;
    default: {
      const exhaustive: never = code;
      return exhaustive;
    }
  }
}

function problemType(code: string): string {
  return `https://vetbox.invalid/problems/${code.toLowerCase().replaceAll('_', '-')}`;
}

export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, {
    type: problemType('NOT_FOUND'),
    title: 'Not Found',
    status: 404,
    code: 'NOT_FOUND',
    detail: `no route for ${req.method} ${req.path}`,
  });
};

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
  message?: string;
}

/** Last middleware: VetboxErrors keep their code; body-parser errors keep their 4xx; the rest is 500. */
export function errorHandler(
  log: { error(obj: object, msg: string): void },
  /** Turns a library error into a VetboxError when it has a known meaning (a database outage). */
  classify?: (err: unknown) => VetboxError | undefined,
): ErrorRequestHandler {
  return (rawErr: unknown, req, res, next) => {
    if (res.headersSent) return next(rawErr);
    const err = (!isVetboxError(rawErr) && !(rawErr instanceof HttpProblem) && classify?.(rawErr)) || rawErr;
    if (err instanceof HttpProblem) {
      for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
      return sendProblem(res, {
        type: problemType(err.code),
        title: STATUS_CODES[err.status] ?? 'Error',
        status: err.status,
        code: err.code,
        detail: err.detail,
      });
    }
    if (isVetboxError(err)) {
      const status = httpStatusFor(err.code);
      if (status >= 500) log.error({ err, path: req.path }, 'request failed');
      return sendProblem(res, {
        type: problemType(err.code),
        title: STATUS_CODES[status] ?? err.code,
        status,
        code: err.code,
        detail: err.message,
        ...(Array.isArray(err.details?.errors) ? { errors: err.details.errors } : err.details ? { details: err.details } : {}),
      });
    }
    const httpish = (err ?? {}) as HttpishError;
    const status = httpish.status ?? httpish.statusCode ?? 500;
    if (status >= 400 && status < 500 && httpish.expose !== false) {
      return sendProblem(res, {
        type: problemType('INVALID_INPUT'),
        title: STATUS_CODES[status] ?? 'Bad Request',
        status,
        code: status === 413 ? 'ARCHIVE_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'INVALID_INPUT',
        detail: bodyParserDetail(httpish) ?? httpish.message ?? 'invalid request',
      });
    }
    log.error({ err, path: req.path }, 'unhandled error');
    return sendProblem(res, {
      type: problemType('INTERNAL'),
      title: 'Internal Server Error',
      status: 500,
      code: 'INTERNAL',
      detail: 'internal error',
    });
  };
}

/** body-parser's messages name its internals; say what was wrong with the request instead. */
function bodyParserDetail(err: HttpishError): string | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return `malformed JSON body: ${err.message ?? ''}`.trim();
    case 'entity.too.large':
      return 'request body is over the 1 MB allowed for JSON (upload archives as multipart/form-data)';
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return 'unsupported body encoding or charset (send UTF-8 JSON)';
    default:
      return undefined;
  }
}

export { problemType };
