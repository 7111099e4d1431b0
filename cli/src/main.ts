#!/usr/bin/env node
// The `vetbox` command (bin of the `vetbox` workspace; `npx vetbox --help` from the repo root).
import { CommanderError } from 'commander';
import { loadEnv } from '@vetbox/config';
import { buildProgram } from './program.js';

try {
  const program = await buildProgram({ env: loadEnv(), stdout: process.stdout, stderr: process.stderr });
  await program.parseAsync(process.argv);
} catch (err) {
  // Usage errors: commander printed the message; the command chose the exit code (exit-codes.ts).
  if (err instanceof CommanderError) process.exitCode = err.exitCode;
  else {
    process.stderr.write(`vetbox: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
