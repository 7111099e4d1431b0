// schema.prisma and prisma/migrations must describe the same database: a change to the schema
// without `npm run -w @vetbox/db migrate:new -- <name>` fails here.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without type declarations
import { prismaCommand } from '../../scripts/prisma.mjs';
import { REPO_ROOT } from '../helpers/processes.js';

interface Command {
  command: string;
  args: string[];
  options: { cwd: string; env: NodeJS.ProcessEnv };
}

function migrateDiff(schemaPath: string) {
  const { command, args, options } = (prismaCommand as (a: string[]) => Command)([
    'migrate', 'diff',
    '--from-migrations', 'prisma/migrations',
    '--to-schema-datamodel', schemaPath,
    '--script', '--exit-code',
  ]);
  return spawnSync(command, args, { ...options, encoding: 'utf8', timeout: 120_000 });
}

describe('Prisma migrations', () => {
  it('match schema.prisma (migrate diff --exit-code is 0)', () => {
    const result = migrateDiff('prisma/schema.prisma');
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
  });

  it('the same check reports drift (exit 2) when the schema gains a model', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vetbox-drift-'));
    try {
      const schema = fs.readFileSync(path.join(REPO_ROOT, 'prisma', 'schema.prisma'), 'utf8');
      const drifted = path.join(dir, 'schema.prisma');
      fs.writeFileSync(drifted, `${schema}\nmodel DriftProbe {\n  id Int @id\n}\n`);
      const result = migrateDiff(drifted);
      expect(result.status, result.stderr).toBe(2);
      expect(result.stdout).toContain('CREATE TABLE "DriftProbe"');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves no shadow database behind', async () => {
    const { createPrismaClient } = await import('@vetbox/db');
    const prisma = createPrismaClient();
    try {
      // Shadow databases of migrate diff runs that finished before this test.
      const rows = await prisma.$queryRawUnsafe<{ n: bigint }[]>(
        "SELECT count(*) AS n FROM pg_database WHERE datname LIKE 'prisma_migrate_shadow_db_%' AND datname NOT IN (SELECT datname FROM pg_stat_activity WHERE datname IS NOT NULL)",
      );
      expect(Number(rows[0]?.n)).toBe(0);
    } finally {
      await prisma.$disconnect();
    }
  });
});
