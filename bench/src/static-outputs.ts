/**
 * The static pass's results over the bench tree and the imitation fixtures, one JSON line per
 * package (timings dropped), for diffing two versions of the pass: a speed change must leave
 * every signal, location, closure and limit note as it was.
 *
 *   npm run -s -w @vetbox/bench static:outputs > /tmp/before.jsonl
 *   (change the pass)
 *   npm run -s -w @vetbox/bench static:outputs > /tmp/after.jsonl
 *   diff /tmp/before.jsonl /tmp/after.jsonl
 *
 * The tree holds this repository's own workspaces (node_modules/@vetbox/*): a package whose
 * files the change touched differs by those files (`filesInPackage`) and nothing else.
 *
 * `BENCH_STATIC_TREE` picks the tree as bench:static does; `VETBOX_STATIC_THREADS` the pool.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedFilePool, staticPass } from '@vetbox/static';
import { packagesIn } from './lib/package-tree.js';
import { bundledPeLauncher, obfuscatedSetupPy, remoteLoader, windowsStealer, writeFixtureArchive } from '../../services/static/src/__fixtures__/imitation.js';

const root = process.env.BENCH_STATIC_TREE ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules');

function line(name: string, result: Awaited<ReturnType<typeof staticPass>>): string {
  const { durationMs: _durationMs, ...rest } = result;
  return JSON.stringify({ name, ...rest });
}

for (const name of packagesIn(root)) console.log(line(name, await staticPass({ ecosystem: 'npm', name, packageDir: path.join(root, name) })));

const dir = await mkdtemp(path.join(os.tmpdir(), 'vetbox-static-outputs-'));
try {
  const fixtures = [
    { fx: obfuscatedSetupPy(), ecosystem: 'pypi' as const },
    { fx: windowsStealer(), ecosystem: 'pypi' as const },
    { fx: bundledPeLauncher(), ecosystem: 'npm' as const },
    { fx: remoteLoader(), ecosystem: 'pypi' as const },
  ];
  for (const { fx, ecosystem } of fixtures) {
    const archivePath = await writeFixtureArchive(dir, fx, ecosystem);
    console.log(line(`fixture:${fx.name}`, await staticPass({ ecosystem, name: fx.name, archivePath })));
  }
} finally {
  await rm(dir, { recursive: true, force: true });
  await sharedFilePool()?.close();
}
