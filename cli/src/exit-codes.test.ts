import { PassThrough } from 'node:stream';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { loadEnv } from '@vetbox/config';
import { buildProgram } from './program.js';

/** Parses argv as `vetbox ...` would; returns the exit code main.ts would use and what was printed. */
async function parse(args: string[]): Promise<{ code: number | undefined; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c.toString()));
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c.toString()));
  const program = await buildProgram({ env: loadEnv({}), stdout, stderr });
  let code: number | undefined;
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode;
  }
  return { code, out: out.join(''), err: err.join('') };
}

describe('usage errors exit with the command\'s error code, not commander\'s 1 ("suspicious")', () => {
  it.each([
    [['analyze'], 3, "missing required argument 'target'"],
    [['analyze', 'npm:ms@2.1.3', '--bogus'], 3, "unknown option '--bogus'"],
    [['diff', 'npm:ms@2.1.2'], 3, "missing required argument 'targetB'"],
    [['rescore', '--bogus'], 3, "unknown option '--bogus'"],
    [['cancel'], 3, "missing required argument 'analysisId'"],
    [['vet'], 2, "missing required argument 'lockfile'"],
    [['vet', 'package-lock.json', '--bogus'], 2, "unknown option '--bogus'"],
    [['keys', 'create'], 2, "required option '--role <role>' not specified"],
    [['keys', 'revoke'], 2, "missing required argument 'id'"],
  ])('vetbox %j exits %i', async (args, code, message) => {
    const result = await parse(args);
    expect(result.code).toBe(code);
    expect(result.err).toContain(`error: ${message}`);
    expect(result.out).toBe('');
  });

  it('--help still exits 0', async () => {
    const result = await parse(['analyze', '--help']);
    expect(result.code).toBe(0);
    expect(result.out).toContain('Exit codes: 0 benign, 1 suspicious, 2 malicious, 3 error');
    expect(result.out).toContain('--force');
  });
});
