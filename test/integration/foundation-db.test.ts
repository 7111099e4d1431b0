// @vetbox/db against the PostgreSQL that `npm run setup` migrated.
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createPrismaClient, Ecosystem } from '@vetbox/db';
import { REPO_ROOT } from '../helpers/processes.js';

const prisma = createPrismaClient();
afterAll(() => prisma.$disconnect());

describe('@vetbox/db', () => {
  it('every migration in prisma/migrations is applied', async () => {
    const folders = fs
      .readdirSync(path.join(REPO_ROOT, 'prisma', 'migrations'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    const applied = await prisma.$queryRawUnsafe<{ migration_name: string }[]>(
      'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name',
    );
    expect(applied.map((r) => r.migration_name)).toEqual(folders);
  });

  it('writes and reads through the pg driver adapter', async () => {
    const name = `foundation-db-${randomUUID()}`;
    const pkg = await prisma.package.create({ data: { ecosystem: Ecosystem.npm, name } });
    try {
      const found = await prisma.package.findUnique({ where: { ecosystem_name: { ecosystem: 'npm', name } } });
      expect(found?.id).toBe(pkg.id);
      // A transaction goes through the adapter's own connection handling.
      const [count] = await prisma.$transaction([prisma.package.count({ where: { name } })]);
      expect(count).toBe(1);
    } finally {
      await prisma.package.delete({ where: { id: pkg.id } });
    }
  });

  it('setup registered the local admin key as a sha256 hash', async () => {
    const keyFile = path.join(REPO_ROOT, '.vetbox', 'api-key');
    expect(fs.existsSync(keyFile), 'run npm run setup').toBe(true);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = fs.readFileSync(keyFile, 'utf8').trim();
    const { createHash } = await import('node:crypto');
    const stored = await prisma.apiKey.findUnique({ where: { hash: createHash('sha256').update(key).digest('hex') } });
    expect(stored).toMatchObject({ role: 'admin', revokedAt: null });
    const plain = await prisma.apiKey.count({ where: { hash: key } });
    expect(plain).toBe(0);
  });
});
