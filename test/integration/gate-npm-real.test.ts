// The machine's npm against `npm start`'s vetted registry with the real npm registry upstream,
// on `isarray` (a few hundred bytes, no dependencies, no scripts; no other test analyzes it).
// Two releases are analyzed first; npm sees only those; a never-analyzed release is refused with
// the reason, queued by the lockfile install that asked for it, and installs once it passed.
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VetboxService, npmProject } from '../helpers/gate.js';

const NAME = 'isarray';
let vetbox: VetboxService;
const dirs: string[] = [];

beforeAll(async () => {
  // Listing queues nothing here (GATE_PREFETCH_VERSIONS=0), so what npm sees is what the test analyzed.
  vetbox = await new VetboxService({ GATE_PREFETCH_VERSIONS: '0' }).start();
  await vetbox.forget('npm', [NAME]);
}, 180_000);

afterAll(async () => {
  await vetbox?.forget('npm', [NAME]);
  await vetbox?.stop();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('npm through the gate (registry.npmjs.org upstream, real pipeline)', () => {
  it('lists only allowed versions, installs the newest allowed, refuses and queues an unvetted one, installs it once it passed', async () => {
    await vetbox.submit('npm', NAME, '2.0.3');
    await vetbox.submit('npm', NAME, '2.0.4');
    const settled = await Promise.all(['2.0.3', '2.0.4'].map((v) => vetbox.settled('npm', NAME, v)));
    expect(settled.map((w) => w.state), settled.map((w) => w.reason).join('; ')).toEqual(['allowed', 'allowed']);

    const project = await npmProject(vetbox.url, vetbox.keys.read);
    dirs.push(project.dir);
    const view = await project.npm(['view', NAME, 'versions', '--json']);
    expect(view.code, view.output).toBe(0);
    expect(JSON.parse(view.stdout)).toEqual(['2.0.3', '2.0.4']);
    const latest = await project.npm(['view', NAME, 'dist-tags.latest']);
    expect(latest.stdout.trim()).toBe('2.0.4');

    const range = await project.npm(['install', `${NAME}@^2`]);
    expect(range.code, range.output).toBe(0);
    expect(JSON.parse(await readFile(path.join(project.dir, 'node_modules', NAME, 'package.json'), 'utf8')).version).toBe('2.0.4');

    const exact = await project.npm(['install', `${NAME}@2.0.5`]);
    expect(exact.code).not.toBe(0);
    expect(exact.output).toContain('E403');
    expect(exact.output).toMatch(/not analyzed yet: .*2\.0\.5/);

    // A lockfile pinning 2.0.5 (integrity as the registry signed it) fetches the tarball: refused, queued.
    const full = (await (await fetch(`${vetbox.url}/registry/npm/${NAME}`, { headers: { authorization: `Bearer ${vetbox.keys.read}` } })).json()) as {
      policyRestrictions: { versions: Record<string, { dist: { integrity: string; tarball: string } }> };
    };
    const pinned = full.policyRestrictions.versions['2.0.5']!.dist;
    const ci = await npmProject(vetbox.url, vetbox.keys.read);
    dirs.push(ci.dir);
    await writeFile(path.join(ci.dir, 'package.json'), JSON.stringify({ name: 'gate-client', version: '1.0.0', dependencies: { [NAME]: '2.0.5' } }));
    await writeFile(
      path.join(ci.dir, 'package-lock.json'),
      JSON.stringify({
        name: 'gate-client',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: { '': { name: 'gate-client', version: '1.0.0', dependencies: { [NAME]: '2.0.5' } }, [`node_modules/${NAME}`]: { version: '2.0.5', resolved: pinned.tarball, integrity: pinned.integrity } },
      }),
    );
    const refused = await ci.npm(['ci']);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain(`403 Forbidden - GET ${pinned.tarball} - ${NAME}@2.0.5 is not served by vetbox: held: queued for analysis just now`);

    expect((await vetbox.settled('npm', NAME, '2.0.5')).state).toBe('allowed');
    const installed = await ci.npm(['ci']);
    expect(installed.code, installed.output).toBe(0);
    expect(JSON.parse(await readFile(path.join(ci.dir, 'node_modules', NAME, 'package.json'), 'utf8')).version).toBe('2.0.5');
  }, 1_800_000);
});
