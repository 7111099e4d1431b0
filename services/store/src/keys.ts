import { createHash, randomBytes } from 'node:crypto';
import type { ApiRole } from '@vetbox/contracts';
import type { ApiKey } from '@vetbox/db';
import type { Db } from './db.js';

const KEY_PREFIX = 'vbx_';

/** Keys are stored as sha256: a database leak does not leak usable keys. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export interface CreatedApiKey {
  /** Shown once; only its hash is kept. */
  key: string;
  record: ApiKey;
}

export async function createApiKey(
  db: Db,
  input: { name: string; role: ApiRole; webhookUrl?: string | null },
): Promise<CreatedApiKey> {
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const record = await db.apiKey.create({
    data: {
      name: input.name,
      role: input.role,
      hash: hashApiKey(key),
      prefix: key.slice(0, KEY_PREFIX.length + 6),
      webhookUrl: input.webhookUrl ?? null,
      // Per-key secret for webhook signatures, generated with the key.
      webhookSecret: input.webhookUrl ? randomBytes(32).toString('base64url') : null,
    },
  });
  return { key, record };
}

/** The active key matching a presented token, or null. */
export async function findApiKey(db: Db, token: string): Promise<ApiKey | null> {
  if (token.length < 8 || token.length > 200) return null;
  const record = await db.apiKey.findUnique({ where: { hash: hashApiKey(token) } });
  if (!record || record.revokedAt) return null;
  return record;
}

/** Recorded at most once a minute per key, so authentication stays one indexed read. */
export async function touchApiKey(db: Db, record: ApiKey, now = new Date()): Promise<void> {
  if (record.lastUsedAt && now.getTime() - record.lastUsedAt.getTime() < 60_000) return;
  await db.apiKey.update({ where: { id: record.id }, data: { lastUsedAt: now } });
}

export async function revokeApiKey(db: Db, id: string): Promise<boolean> {
  const { count } = await db.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
  return count > 0;
}

export async function listApiKeys(db: Db): Promise<Omit<ApiKey, 'hash' | 'webhookSecret'>[]> {
  return db.apiKey.findMany({
    orderBy: { createdAt: 'asc' },
    select: { id: true, name: true, role: true, prefix: true, webhookUrl: true, createdAt: true, revokedAt: true, lastUsedAt: true },
  });
}

/** Where to announce the end of an analysis submitted with a key that has a webhook. */
export async function webhookTargetForAnalysis(db: Db, analysisId: string): Promise<{ url: string; secret: string } | null> {
  const analysis = await db.analysis.findUnique({ where: { id: analysisId }, select: { apiKeyId: true } });
  if (!analysis?.apiKeyId) return null;
  const key = await db.apiKey.findUnique({ where: { id: analysis.apiKeyId } });
  if (!key?.webhookUrl || !key.webhookSecret || key.revokedAt) return null;
  return { url: key.webhookUrl, secret: key.webhookSecret };
}
