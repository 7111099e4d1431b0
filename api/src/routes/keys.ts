import { Router } from 'express';
import { CreateApiKeyBody } from '@vetbox/contracts';
import { createApiKey, listApiKeys, revokeApiKey, isUuid } from '@vetbox/store';
import { requireRole } from '../auth.js';
import { notFound } from '../http-problem.js';
import type { ApiServices } from '../services.js';
import { parseOrThrow } from '../validate.js';

/** API key management, admin only. The key itself is shown once, in the creation answer. */
export function keysRoutes(s: ApiServices): Router {
  const router = Router();
  router.post('/v1/keys', requireRole('admin'), async (req, res) => {
    const body = parseOrThrow(CreateApiKeyBody, req.body, 'key request');
    const { key, record } = await createApiKey(s.prisma, body);
    res.status(201).json({
      id: record.id,
      name: record.name,
      role: record.role,
      prefix: record.prefix,
      key,
      webhookUrl: record.webhookUrl,
      webhookSecret: record.webhookSecret,
      createdAt: record.createdAt.toISOString(),
    });
  });
  router.get('/v1/keys', requireRole('admin'), async (_req, res) => {
    const keys = await listApiKeys(s.prisma);
    res.json({
      items: keys.map((k) => ({
        ...k,
        createdAt: k.createdAt.toISOString(),
        revokedAt: k.revokedAt?.toISOString() ?? null,
        lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
      })),
    });
  });
  router.delete('/v1/keys/:id', requireRole('admin'), async (req, res) => {
    const id = req.params.id as string;
    if (!isUuid(id) || !(await revokeApiKey(s.prisma, id))) throw notFound(`no active API key ${id}`);
    res.status(204).end();
  });
  return router;
}
