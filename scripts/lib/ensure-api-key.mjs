#!/usr/bin/env node
// Makes sure this checkout has a local admin API key: written once to .vetbox/api-key (mode 600,
// git-ignored), stored in the ApiKey table only as its sha256. If the file exists but the
// database lost the key (a fresh database), the same key is registered again.
// Key shape and hashing match @vetbox/store (vbx_ + 32 random bytes, base64url; sha256 hex).
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPrismaClient } from '@vetbox/db';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const keyFile = path.join(root, '.vetbox', 'api-key');
const KEY_PREFIX = 'vbx_';

const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

function readOrCreateKey() {
  if (fs.existsSync(keyFile)) return { key: fs.readFileSync(keyFile, 'utf8').trim(), created: false };
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  fs.mkdirSync(path.dirname(keyFile), { recursive: true, mode: 0o700 });
  fs.writeFileSync(keyFile, `${key}\n`, { mode: 0o600, flag: 'wx' });
  return { key, created: true };
}

const prisma = createPrismaClient();
try {
  const { key, created } = readOrCreateKey();
  fs.chmodSync(keyFile, 0o600);
  const hash = sha256(key);
  const existing = await prisma.apiKey.findUnique({ where: { hash } });
  if (!existing) {
    await prisma.apiKey.create({
      data: { name: 'local-admin', role: 'admin', hash, prefix: key.slice(0, KEY_PREFIX.length + 6) },
    });
  } else if (existing.revokedAt) {
    process.stdout.write(`warning: the key in ${path.relative(root, keyFile)} is revoked; delete the file and rerun setup\n`);
  }
  process.stdout.write(
    created
      ? `created admin API key in ${path.relative(root, keyFile)}\n`
      : existing
        ? `admin API key in ${path.relative(root, keyFile)} is registered\n`
        : `registered the admin API key from ${path.relative(root, keyFile)}\n`,
  );
} finally {
  await prisma.$disconnect();
}
