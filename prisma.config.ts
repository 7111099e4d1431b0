// Prisma 6.19 offline: the JS schema engine (no engine download) driven through our pg adapter.
// Run Prisma through `node scripts/prisma.mjs ...` (or the @vetbox/db scripts), which adds the
// timer preload; see README "Database and migrations".
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { loadEnv } from './services/config/src/index.ts';
import { MigrationPgAdapterFactory } from './services/db/src/migration-adapter.ts';

// schema.prisma reads env("DATABASE_URL") even for `generate`: give it the same default as the app.
const databaseUrl = loadEnv().DATABASE_URL;
process.env.DATABASE_URL = databaseUrl;

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  adapter: async () => new MigrationPgAdapterFactory(databaseUrl),
  schema: path.join(import.meta.dirname, 'prisma', 'schema.prisma'),
  migrations: { path: path.join(import.meta.dirname, 'prisma', 'migrations') },
});
