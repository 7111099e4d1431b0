import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

// The outage tests stop the shared Docker daemon and PostgreSQL for real: they run alone, one
// file, one test at a time, after the rest of the suite (`npm test`).
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/outage/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    fileParallelism: false,
    maxWorkers: 1,
  },
});
