import { PrismaPg } from '@prisma/adapter-pg';
import { loadEnv } from '@vetbox/config';
import { PrismaClient } from '../generated/client/index.js';

// The generated client (schema.prisma → generated/client, rebuilt by `npm run -w @vetbox/db generate`).
export * from '../generated/client/index.js';

export interface CreatePrismaClientOptions {
  /** Defaults to DATABASE_URL from the environment (see @vetbox/config). */
  databaseUrl?: string;
  /** Connection pool size; pg's default is 10. */
  maxConnections?: number;
}

/**
 * A Prisma client on the pg driver adapter (no native query engine: everything runs offline).
 * The caller owns it and must `$disconnect()` on shutdown.
 */
export function createPrismaClient(options: CreatePrismaClientOptions = {}): PrismaClient {
  const connectionString = options.databaseUrl ?? loadEnv().DATABASE_URL;
  const adapter = new PrismaPg({ connectionString, max: options.maxConnections });
  return new PrismaClient({ adapter });
}
