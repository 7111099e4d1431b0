#!/usr/bin/env node
// Creates a migration from the difference between prisma/migrations and schema.prisma.
// `prisma migrate dev` is unreliable with the JS schema engine, so this is the way to add one:
//   npm run -w @vetbox/db migrate:new -- <name>     writes prisma/migrations/<timestamp>_<name>/
//   npm run -w @vetbox/db migrate:check             exits 2 when schema and migrations drift
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prismaCommand } from './prisma.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const migrationsDir = path.join(repoRoot, 'prisma', 'migrations');

function diff(extraArgs) {
  const { command, args, options } = prismaCommand([
    'migrate', 'diff',
    '--from-migrations', 'prisma/migrations',
    '--to-schema-datamodel', 'prisma/schema.prisma',
    '--script',
    ...extraArgs,
  ]);
  const result = spawnSync(command, args, { ...options, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.error) throw result.error;
  return { status: result.status ?? 1, sql: result.stdout };
}

/** `20261126211500` in UTC, the same shape `prisma migrate dev` uses. */
export function migrationTimestamp(date = new Date()) {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

function isEmptyMigration(sql) {
  return sql.split('\n').every((line) => line.trim() === '' || line.trim().startsWith('--'));
}

function main(argv) {
  if (argv[0] === '--check') {
    const { status, sql } = diff(['--exit-code']);
    if (status === 2) process.stderr.write(`schema.prisma and prisma/migrations drift apart; missing migration:\n${sql}\n`);
    return status;
  }
  const name = (argv[0] ?? '').toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  if (!name) {
    process.stderr.write('usage: npm run -w @vetbox/db migrate:new -- <name>\n');
    return 64;
  }
  fs.mkdirSync(migrationsDir, { recursive: true });
  const lock = path.join(migrationsDir, 'migration_lock.toml');
  if (!fs.existsSync(lock)) fs.writeFileSync(lock, 'provider = "postgresql"\n');
  const { status, sql } = diff([]);
  if (status !== 0) return status;
  if (isEmptyMigration(sql)) {
    process.stdout.write('schema.prisma matches prisma/migrations: nothing to create\n');
    return 0;
  }
  // The folder is made only after a successful diff: an empty folder would break the next diff.
  const dir = path.join(migrationsDir, `${migrationTimestamp()}_${name}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'migration.sql'), sql);
  process.stdout.write(`created ${path.relative(repoRoot, dir)}/migration.sql; apply with: npm run -w @vetbox/db migrate:deploy\n`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
