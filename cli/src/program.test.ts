import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadEnv } from '@vetbox/config';
import { buildProgram, commandFiles } from './program.js';
import { resolveApiKey } from './context.js';

function context() {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c.toString()));
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c.toString()));
  return { ctx: { env: loadEnv({}), stdout, stderr }, out: () => out.join(''), err: () => err.join('') };
}

describe('vetbox program', () => {
  it('loads every command file in src/commands', async () => {
    const files = commandFiles();
    expect(files.map((f) => path.basename(f))).toContain('status.ts');
    const { ctx } = context();
    const program = await buildProgram(ctx);
    expect(program.commands.map((c) => c.name())).toContain('status');
  });

  it('rejects a command file without register()', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vetbox-cli-'));
    fs.writeFileSync(path.join(dir, 'broken.mjs'), 'export const x = 1;\n');
    const { ctx } = context();
    await expect(buildProgram(ctx, commandFiles(dir, '.mjs'))).rejects.toThrow(/broken.mjs does not export register/);
    fs.rmSync(dir, { recursive: true });
  });

  it('status prints each dependency from /readyz', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ checks: { redis: { ok: false, ms: 1, error: 'ECONNREFUSED' }, docker: { ok: true, ms: 2 } } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { ctx, out } = context();
    const program = await buildProgram(ctx);
    const previous = process.exitCode;
    try {
      await program.parseAsync(['status', '--server', url], { from: 'user' });
      expect(out()).toContain('NOT ready');
      expect(out()).toMatch(/FAIL redis\s+ECONNREFUSED/);
      expect(out()).toMatch(/ok {3}docker\s+2 ms/);
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = previous;
      server.close();
    }
  });
});

describe('vetbox status --server', () => {
  it('without a scheme: says what it must be, exit 2 (as when unreachable)', async () => {
    const { ctx, err } = context();
    const program = await buildProgram(ctx);
    const previous = process.exitCode;
    try {
      await program.parseAsync(['status', '--server', '127.0.0.1:3100'], { from: 'user' });
      expect(err()).toBe('vetbox status: --server must be an http(s) URL, e.g. http://127.0.0.1:3000 (got "127.0.0.1:3100")\n');
      expect(process.exitCode).toBe(2);
    } finally {
      process.exitCode = previous;
    }
  });
});

describe('resolveApiKey', () => {
  it('prefers VETBOX_API_KEY, then the local key file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vetbox-key-'));
    const file = path.join(dir, 'api-key');
    expect(resolveApiKey(loadEnv({}), file)).toBeUndefined();
    fs.writeFileSync(file, 'vbx_local\n');
    expect(resolveApiKey(loadEnv({}), file)).toBe('vbx_local');
    expect(resolveApiKey(loadEnv({ VETBOX_API_KEY: 'vbx_env' }), file)).toBe('vbx_env');
    fs.rmSync(dir, { recursive: true });
  });
});
