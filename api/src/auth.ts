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
 * `Authorization: Bearer <key>`. Keys are looked up by their sha256; a short in-memory cache
 * keeps hot read paths to one hash per request (a revoked key stops working within CACHE_MS).
 */
export function authenticate(prisma: PrismaClient): RequestHandler {
  const cache = new Map<string, { key: ApiKey | null; at: number }>();
  return async (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    if (!header) return next(unauthorized('missing Authorization header: send "Authorization: Bearer <api key>"'));
    const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
    if (!match) return next(unauthorized('malformed Authorization header: expected "Bearer <api key>"'));
    const token = match[1];
    const hash = hashApiKey(token);
    const now = Date.now();
    let hit = cache.get(hash);
    if (!hit || now - hit.at > CACHE_MS) {
      hit = { key: await findApiKey(prisma, token), at: now };
      if (cache.size > 10_000) cache.clear();
      cache.set(hash, hit);
      if (hit.key) void touchApiKey(prisma, hit.key).catch(() => {});
    }
    if (!hit.key) return next(unauthorized('unknown or revoked API key'));
    req.apiKey = { id: hit.key.id, name: hit.key.name, role: hit.key.role };
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
