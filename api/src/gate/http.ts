import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Request, Response } from 'express';
import { isVetboxError, type Ecosystem } from '@vetbox/contracts';
import { versionSpec, type GateDecision } from '@vetbox/gate';
import { HttpProblem } from '../http-problem.js';
import { PROBLEM_CONTENT_TYPE, httpStatusFor, problemType, sendProblem, type Problem } from '../problem.js';

/** The scheme and host a client reached the gate on: URLs the gate writes point back there. */
export function requestBase(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}

const encodePath = (name: string) => name.split('/').map(encodeURIComponent).join('/');

/** `/registry/why/{ecosystem}/{name}/{version}`; `<version>` stays literal as a placeholder. */
export function whyUrl(base: string, ecosystem: Ecosystem, name: string, version: string): string {
  return `${base}/registry/why/${ecosystem}/${encodePath(name)}/${version === '<version>' ? version : encodeURIComponent(version)}`;
}

/** A rendered body with its validators, gzipped once on first demand. */
export class RenderedBody {
  readonly etag: string;
  private gz?: Buffer;

  constructor(
    readonly body: Buffer,
    readonly contentType: string,
  ) {
    this.etag = `W/"${createHash('sha256').update(contentType).update(body).digest('base64url').slice(0, 32)}"`;
  }

  gzip(): Buffer {
    this.gz ??= gzipSync(this.body, { level: 6 });
    return this.gz;
  }
}

/**
 * Sends a rendered listing with `Vary: Accept` (one URL, several forms), an ETag that changes
 * with its content (hence with every verdict, approval and policy change that affects it) and
 * 304 for a client that has it. `no-cache`: clients revalidate every time, so a version that
 * turns malicious disappears at once.
 */
export function sendRendered(req: Request, res: Response, rendered: RenderedBody): void {
  res.setHeader('Vary', 'Accept, Accept-Encoding');
  res.setHeader('ETag', rendered.etag);
  res.setHeader('Cache-Control', 'private, no-cache');
  const inm = req.get('if-none-match');
  if (inm && inm.split(',').some((t) => t.trim() === rendered.etag || t.trim() === rendered.etag.slice(2))) {
    res.status(304).end();
    return;
  }
  res.setHeader('Content-Type', rendered.contentType);
  if (rendered.body.length > 1024 && /\bgzip\b/.test(req.get('accept-encoding') ?? '')) {
    const gz = rendered.gzip();
    res.setHeader('Content-Encoding', 'gzip');
    res.setHeader('Content-Length', gz.length);
    res.end(gz);
    return;
  }
  res.setHeader('Content-Length', rendered.body.length);
  res.end(rendered.body);
}

/** Status lines carry only latin1 without control characters: what pip prints of a refusal. */
export function statusLine(text: string): string {
  const flat = text.replace(/[^\x20-\x7e]/g, (c) => (c === '—' ? '-' : c === '…' ? '...' : ' ')).replace(/\s{2,}/g, ' ');
  return flat.length > 400 ? `${flat.slice(0, 397)}...` : flat;
}

/**
 * 403 for a held or blocked version: problem+json whose `error` npm prints, an `npm-notice`
 * header npm shows as a notice, and (for pip, which shows only the status line) the reason as
 * the status text.
 */
export function refuseVersion(res: Response, ecosystem: Ecosystem, name: string, version: string, decision: Pick<GateDecision, 'state' | 'reason'>, why: string): void {
  const spec = versionSpec(ecosystem, name, version);
  const message = `${spec} is not served by vetbox: ${decision.reason} (why: ${why})`;
  res.statusMessage = statusLine(ecosystem === 'pypi' ? message : 'Forbidden');
  res.setHeader('npm-notice', statusLine(message));
  res.setHeader('Cache-Control', 'no-store');
  res
    .status(403)
    .type(PROBLEM_CONTENT_TYPE)
    .send(
      JSON.stringify({
        type: problemType('FORBIDDEN'),
        title: 'Forbidden',
        status: 403,
        code: 'FORBIDDEN',
        detail: message,
        error: message,
        state: decision.state,
        reason: decision.reason,
        why,
      }),
    );
}

/**
 * Errors of the registry routes as problem+json with an `error` member too: npm prints
 * `body.error` after the status, so a 401, 404 or 405 explains itself in the terminal.
 */
export const registryErrors: ErrorRequestHandler = (err, _req, res, next) => {
  if (res.headersSent) return next(err);
  let status: number;
  let code: string;
  let detail: string;
  if (err instanceof HttpProblem) {
    for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
    [status, code, detail] = [err.status, err.code, err.detail];
  } else if (isVetboxError(err)) {
    [status, code, detail] = [httpStatusFor(err.code), err.code, err.message];
  } else return next(err);
  res.statusMessage = statusLine(`${STATUS_CODES[status] ?? 'Error'}: ${detail}`);
  sendProblem(res, { type: problemType(code), title: STATUS_CODES[status] ?? 'Error', status, code: code as Problem['code'], detail, error: detail });
};

/** A checked archive from the gate's cache; its sha256 is its ETag. */
export function sendArchive(req: Request, res: Response, artifact: { path: string; size: number; sha256: string }): void {
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('Content-Length', artifact.size);
  res.setHeader('ETag', `"${artifact.sha256}"`);
  res.setHeader('Cache-Control', 'private, no-cache');
  if (req.method === 'HEAD') return void res.end();
  const stream = createReadStream(artifact.path);
  res.on('close', () => stream.destroy());
  stream.on('error', (err) => res.destroy(err));
  stream.pipe(res);
}
