import { defineConfig } from 'vitest/config';
import { loadEnv } from './services/config/src/index.ts';
import { testDatabaseUrl } from './scripts/lib/test-database.mjs';

// Tests run against TypeScript sources: the "source" export condition points every
// workspace package at its src/ so a test never depends on a stale dist/.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['services/*/src/**/*.test.ts', 'api/src/**/*.test.ts', 'worker/src/**/*.test.ts', 'cli/src/**/*.test.ts', 'test/**/*.test.ts'],
    // test/outage stops shared services: vitest.outage.config.ts runs it alone, after the rest.
    exclude: ['**/node_modules/**', '**/dist/**', 'test/outage/**'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    // Services log every container they create at info; in tests that buries the failures.
    // Tests that read logs set their own level (LOG_LEVEL=info for `npm start`, own loggers).
    // Tests use their own database (setup creates it), so `npm start` never lists their data.
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', DATABASE_URL: testDatabaseUrl(loadEnv().DATABASE_URL) },
  },
});
