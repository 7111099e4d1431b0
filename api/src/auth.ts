import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ApiRole } from '@vetbox/contracts';
import type { ApiKey, PrismaClient } from '@vetbox/db';
import { findApiKey, hashApiKey, touchApiKey } from '@vetbox/store';
import { HttpProblem } from './http-problem.js';

export interface AuthenticatedKey {
  id: string;
  name: string;
  role: ApiRole;
}

declare module 'express-serve-static-core' {
  interface Request {
    apiKey?: AuthenticatedKey;
  }
}

const RANK: Record<ApiRole, number> = { read: 0, submit: 1, admin: 2 };

/** Whether `role` may do what `needed` allows (admin ⊃ submit ⊃ read). */
export function roleAllows(role: ApiRole, needed: ApiRole): boolean {
  return RANK[role] >= RANK[needed];
}

const CACHE_MS = 10_000;

/**
 * Looks keys up by their sha256; a short in-memory cache keeps hot read paths to one hash per
 * request (a revoked key stops working within CACHE_MS).
 */
export function keyResolver(prisma: PrismaClient): (token: string) => Promise<AuthenticatedKey | null> {
  const cache = new Map<string, { key: ApiKey | null; at: number }>();
  return async (token) => {
    const hash = hashApiKey(token);
    const now = Date.now();
    let hit = cache.get(hash);
    if (!hit || now - hit.at > CACHE_MS) {
      hit = { key: await findApiKey(prisma, token), at: now };
      if (cache.size > 10_000) cache.clear();
      cache.set(hash, hit);
      if (hit.key) void touchApiKey(prisma, hit.key).catch(() => {});
    }
    return hit.key ? { id: hit.key.id, name: hit.key.name, role: hit.key.role } : null;
  };
}

/** `Authorization: Bearer <key>`. */
export function authenticate(prisma: PrismaClient): RequestHandler {
  const resolve = keyResolver(prisma);
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    if (!header) return next(unauthorized('missing Authorization header: send "Authorization: Bearer <api key>"'));
    const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
    if (!match) return next(unauthorized('malformed Authorization header: expected "Bearer <api key>"'));
    const key = await resolve(match[1]!);
    if (!key) return next(unauthorized('unknown or revoked API key'));
    req.apiKey = key;
    next();
  };
}

/**
 * The registry's clients authenticate as they can: npm, pnpm and yarn send the key as a Bearer
 * token (`_authToken`), pip and uv as the password of HTTP basic auth (any user name; a key
 * given as the user name with no password works too). `challenge` is the WWW-Authenticate
 * scheme a refusal names, so pip retries with credentials from its keyring or netrc.
 */
export function authenticateRegistry(prisma: PrismaClient, challenge: 'Bearer' | 'Basic'): RequestHandler {
  const resolve = keyResolver(prisma);
  const refuse = (detail: string) => new HttpProblem(401, 'UNAUTHORIZED', detail, { 'WWW-Authenticate': `${challenge} realm="vetbox"` });
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    if (!header) return next(refuse(`missing credentials: send the API key as ${challenge === 'Basic' ? 'the basic-auth password (https://user:<key>@host/...)' : 'a Bearer token (//host/registry/npm/:_authToken=<key> in .npmrc)'}`));
    let token: string | undefined;
    const bearer = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
    const basic = /^Basic[ ]+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (bearer) token = bearer[1];
    else if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const [user, password] = colon < 0 ? [decoded, ''] : [decoded.slice(0, colon), decoded.slice(colon + 1)];
      token = password || user;
    }
    if (!token) return next(refuse('malformed Authorization header: expected Bearer or Basic credentials'));
    const key = await resolve(token);
    if (!key) return next(refuse('unknown or revoked API key'));
    req.apiKey = key;
    next();
  };
}

export function requireRole(needed: ApiRole): RequestHandler {
  return (req, _res, next) => {
    const key = req.apiKey;
    if (!key) return next(unauthorized('authentication required'));
    if (!roleAllows(key.role, needed)) {
      return next(new HttpProblem(403, 'FORBIDDEN', `this API key has role "${key.role}"; this request needs "${needed}"`));
    }
    next();
  };
}

function unauthorized(detail: string): HttpProblem {
  return new HttpProblem(401, 'UNAUTHORIZED', detail, { 'WWW-Authenticate': 'Bearer realm="vetbox"' });
}
