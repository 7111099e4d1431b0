#!/usr/bin/env node
// Runs the Prisma CLI offline: repo-root cwd (prisma.config.ts), the timer preload, and the
// engine variables that stop Prisma from trying to download native engines.
// Usage: node scripts/prisma.mjs <prisma args...>   (exit code is Prisma's)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(repoRoot, 'services', 'db', 'package.json'));

export function prismaCommand(args) {
  const cli = require.resolve('prisma/build/index.js');
  const preload = path.join(repoRoot, 'scripts', 'unref-long-timers.cjs');
  return {
    command: process.execPath,
    args: ['--require', preload, cli, ...args],
    options: {
      cwd: repoRoot,
      env: {
        ...process.env,
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
        CHECKPOINT_DISABLE: '1',
        PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? '/bin/false',
        PRISMA_QUERY_ENGINE_LIBRARY: process.env.PRISMA_QUERY_ENGINE_LIBRARY ?? '/bin/false',
      },
    },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { command, args, options } = prismaCommand(process.argv.slice(2));
  const result = spawnSync(command, args, { ...options, stdio: 'inherit' });
  if (result.error) throw result.error;
  process.exit(result.status ?? 1);
}
