// The machine's npm against `npm start`'s vetted registry, with a loopback upstream serving
// imitation fixtures: a harmless release, its malicious update (reads ~/.npmrc and posts it to a
// .example host) and a harmless release published just now. The gate queues all three when the
// package is first listed; the real pipeline detonates them; npm never gets the malicious one
// and not the young one until its cooldown ends.
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeNpmRegistry, type FakeNpmRegistry } from '../fixtures/fetch/fake-registries.js';
import { harmless, npmArchive, npmrcThief } from '../fixtures/pipeline/imitation.js';
import { VetboxService, npmProject } from '../helpers/gate.js';

const NAME = `vbx-gate-npm-${Math.random().toString(16).slice(2, 8)}`;
let upstream: FakeNpmRegistry;
let vetbox: VetboxService;
const dirs: string[] = [];
const integrity = new Map<string, string>();

beforeAll(async () => {
  upstream = await startFakeNpmRegistry();
  const releases = [
    { spec: harmless(NAME, '1.0.0'), time: '2026-01-10T00:00:00.000Z' },
    { spec: npmrcThief(NAME, '1.0.1'), time: '2026-01-20T00:00:00.000Z' },
    { spec: harmless(NAME, '1.0.2'), time: new Date().toISOString() },
  ];
  for (const { spec, time } of releases) {
    const tarball = await npmArchive(spec);
    upstream.add({ name: NAME, version: spec.version, tarball, time });
    integrity.set(spec.version, `sha512-${createHash('sha512').update(tarball).digest('base64')}`);
  }
  vetbox = await new VetboxService({ NPM_REGISTRY_URL: upstream.url, GATE_PREFETCH_VERSIONS: '3' }).start();
}, 180_000);

afterAll(async () => {
  await vetbox?.forget('npm', [NAME]);
  await vetbox?.stop();
  await upstream?.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('npm through the gate (loopback upstream, real pipeline)', () => {
  it('listing the package queues its releases; the malicious one is analyzed and never served, the young one waits', async () => {
    const project = await npmProject(vetbox.url, vetbox.keys.read);
    dirs.push(project.dir);
    // The first listing queues the newest releases (GATE_PREFETCH_VERSIONS) and holds them all.
    const first = await project.npm(['view', NAME, 'versions', '--json']);
    expect(first.output).not.toContain('1.0.0"');
    const settled = await Promise.all(['1.0.0', '1.0.1', '1.0.2'].map((v) => vetbox.settled('npm', NAME, v)));
    expect(settled.map((w) => [w.version, w.state, w.analysis?.verdict]), settled.map((w) => w.reason).join('; ')).toEqual([
      ['1.0.0', 'allowed', 'benign'],
      ['1.0.1', 'malicious', 'malicious'],
      ['1.0.2', 'cooldown', 'benign'],
    ]);

    const view = await project.npm(['view', NAME, 'versions', '--json']);
    expect(view.code, view.output).toBe(0);
    expect([JSON.parse(view.stdout)].flat()).toEqual(['1.0.0']);

    const range = await project.npm(['install', `${NAME}@^1`]);
    expect(range.code, range.output).toBe(0);
    expect(JSON.parse(await readFile(path.join(project.dir, 'node_modules', NAME, 'package.json'), 'utf8')).version).toBe('1.0.0');
    const lock = JSON.parse(await readFile(path.join(project.dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { integrity: string }> };
    expect(lock.packages[`node_modules/${NAME}`]!.integrity).toBe(integrity.get('1.0.0'));

    const malicious = await project.npm(['install', `${NAME}@1.0.1`]);
    expect(malicious.code).not.toBe(0);
    expect(malicious.output).toContain('E403');
    expect(malicious.output).toContain(`${NAME}@1.0.1 malicious: vetbox's analysis found it malicious`);
    expect(malicious.output).toContain(`${vetbox.url}/registry/why/npm/${NAME}/1.0.1`);

    const young = await project.npm(['install', `${NAME}@1.0.2`]);
    expect(young.code).not.toBe(0);
    expect(young.output).toMatch(new RegExp(`${NAME}@1\\.0\\.2 held: released \\d+ (min|h) ago; versions are served 3d after release`));
  }, 1_800_000);

  it('npm ci with a lockfile pinning the malicious version fails at the tarball with the reason', async () => {
    const project = await npmProject(vetbox.url, vetbox.keys.read);
    dirs.push(project.dir);
    const resolved = `${vetbox.url}/registry/npm/${NAME}/-/${NAME}-1.0.1.tgz`;
    await writeFile(path.join(project.dir, 'package.json'), JSON.stringify({ name: 'gate-client', version: '1.0.0', dependencies: { [NAME]: '1.0.1' } }));
    await writeFile(
      path.join(project.dir, 'package-lock.json'),
      JSON.stringify({
        name: 'gate-client',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: 'gate-client', version: '1.0.0', dependencies: { [NAME]: '1.0.1' } },
          [`node_modules/${NAME}`]: { version: '1.0.1', resolved, integrity: integrity.get('1.0.1'), hasInstallScript: true },
        },
      }),
    );
    const ci = await project.npm(['ci']);
    expect(ci.code).not.toBe(0);
    expect(ci.output).toContain(`403 Forbidden - GET ${resolved} - ${NAME}@1.0.1 is not served by vetbox: malicious`);
    expect(ci.output).toContain(`npm notice ${NAME}@1.0.1 is not served by vetbox`);
  }, 300_000);
});
