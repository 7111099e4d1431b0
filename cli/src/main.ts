#!/usr/bin/env node
// The `vetbox` command (bin of the `vetbox` workspace; `npx vetbox --help` from the repo root).
import { loadEnv } from '@vetbox/config';
import { buildProgram } from './program.js';

try {
  const program = await buildProgram({ env: loadEnv(), stdout: process.stdout, stderr: process.stderr });
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`vetbox: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
