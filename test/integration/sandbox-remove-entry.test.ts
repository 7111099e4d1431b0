// The idle phase takes the package out of the project as the container's root before it installs
// it again (services/sandbox run.ts removeUserEntry). Root there has no DAC_OVERRIDE, so it takes
// the directories it empties; the package's leftover processes can swap any part of the path for
// a link to a system directory first. Against the real engine: what was at the path goes, a link
// is removed and never followed, and no system directory ever changes owner or loses a file.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerRuntime, LABEL_ANALYSIS, Sandbox, ensureSandboxImage, removeUserEntry } from '@vetbox/sandbox';

const runtime = new DockerRuntime();
const quiet = { info() {}, warn() {}, error() {}, debug() {} } as never;
const analysisId = `test-remove-entry-${randomUUID()}`;
let sandbox: Sandbox;

beforeAll(async () => {
  const image = await ensureSandboxImage(runtime, { build: true });
  sandbox = await Sandbox.open({ analysisId, runtime, image, logger: quiet });
}, 600_000);

afterAll(async () => {
  await sandbox?.close();
  expect(await runtime.listByLabel(LABEL_ANALYSIS, analysisId)).toEqual([]);
});

/** Runs a shell script as the sandbox user (what a package's leftover process could do); each test has its own project. */
async function asUser(script: string): Promise<void> {
  const r = await sandbox.exec(['sh', '-c', script], { user: sandbox.identity.user, cwd: sandbox.identity.workdir });
  expect(r.exitCode, r.stderr.toString()).toBe(0);
}

async function stat(path: string): Promise<string> {
  const r = await sandbox.exec(['stat', '-c', '%u %a', path]);
  return r.exitCode === 0 ? r.stdout.toString().trim() : 'missing';
}

async function exists(path: string): Promise<boolean> {
  return (await sandbox.exec(['test', '-e', path])).exitCode === 0;
}

describe('removing a package from the project as the sandbox root', () => {
  it('removes the tree at the path, read-only directories included, and hands the parent back', async () => {
    const nm = `${sandbox.identity.workdir}/a/node_modules`;
    await asUser(`mkdir -p a/node_modules/pkg/lib/ro && cd a && echo x > node_modules/pkg/lib/ro/f && chmod 555 node_modules/pkg/lib/ro node_modules/pkg/lib`);
    const before = await stat(nm);
    const r = await removeUserEntry(sandbox, `${nm}/pkg`);
    expect(r.exitCode, r.stderr.toString()).toBe(0);
    expect(await exists(`${nm}/pkg`)).toBe(false);
    expect(await stat(nm)).toBe(before);
  }, 60_000);

  it('removes a link in place of the package and never what it points to', async () => {
    const nm = `${sandbox.identity.workdir}/b/node_modules`;
    await asUser('mkdir -p b/node_modules && cd b && ln -sfn /usr/local/libexec node_modules/pkg');
    const r = await removeUserEntry(sandbox, `${nm}/pkg`);
    expect(r.exitCode, r.stderr.toString()).toBe(0);
    expect(await exists(`${nm}/pkg`)).toBe(false);
    expect(await stat('/usr/local/libexec')).toBe('0 755');
    expect(await exists('/usr/local/libexec/execute-npm.cjs')).toBe(true);
  }, 60_000);

  it('leaves a system directory alone when node_modules itself was swapped for a link to it', async () => {
    const nm = `${sandbox.identity.workdir}/c/node_modules`;
    // The package's name inside the system directory, as if npm had put it there.
    await asUser('mkdir -p c && cd c && ln -s /usr/lib/node_modules node_modules');
    const r = await removeUserEntry(sandbox, `${nm}/npm`);
    expect(r.exitCode).not.toBe(0);
    expect(await stat('/usr/lib/node_modules')).toBe('0 755');
    expect(await stat('/usr/lib/node_modules/npm')).toBe('0 755');
    expect(await exists('/usr/lib/node_modules/npm/package.json')).toBe(true);
  }, 60_000);
});
