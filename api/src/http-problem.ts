/**
 * HTTP-level problems that are not VetboxErrors (those are our failures with error codes):
 * authentication, authorization, rate limits, unknown resources. Thrown by handlers and
 * rendered by the one error middleware (problem.ts) as RFC 9457 problem+json.
 */
export type HttpProblemCode = 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'RATE_LIMITED' | 'CONFLICT' | 'NOT_COMPARABLE' | 'UNSUPPORTED_MEDIA_TYPE' | 'NOT_ACCEPTABLE' | 'METHOD_NOT_ALLOWED';

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: HttpProblemCode,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

export const notFound = (what: string) => new HttpProblem(404, 'NOT_FOUND', what);
