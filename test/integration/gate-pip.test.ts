// Debian's pip against `npm start`'s vetted registry, with a loopback PyPI upstream (PyPI itself
// is unreachable here) serving imitation wheels: a harmless release, a release whose module
// sends ~/.aws/credentials to a documentation address when imported, and an older release
// nobody analyzed. pip only downloads wheels here (--only-binary, pip download): no package
// code runs on the host.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wheelFiles, writeZip } from '../../services/fetch/src/__fixtures__/archives.js';
import { startFakePypi, type FakePypi } from '../fixtures/fetch/fake-registries.js';
import { AWS_TCP_PY } from '../fixtures/sandbox/stage.js';
import { VetboxService, run } from '../helpers/gate.js';

const NAME = `vbx-gate-pip-${Math.random().toString(16).slice(2, 8)}`;
const MODULE = NAME.replace(/-/g, '_');
let upstream: FakePypi;
let vetbox: VetboxService;
let work = '';
const sha = new Map<string, string>();

async function wheel(version: string, initPy: string): Promise<{ filename: string; content: Buffer }> {
  const filename = `${MODULE}-${version}-py3-none-any.whl`;
  const file = path.join(work, filename);
  await writeZip(file, wheelFiles(NAME, version, { [`${MODULE}/__init__.py`]: initPy }, { topLevel: [MODULE] }));
  const content = await readFile(file);
  sha.set(version, createHash('sha256').update(content).digest('hex'));
  return { filename, content };
}

/** Debian's pip (python3-pip), isolated from any user or site configuration. */
function pip(args: string[]) {
  const index = new URL(`${vetbox.url}/registry/pypi/simple/`);
  index.username = '__token__';
  index.password = vetbox.keys.read;
  return run('/usr/bin/python3', ['-m', 'pip', 'download', '--isolated', '--no-cache-dir', '--disable-pip-version-check', '--no-deps', '--only-binary=:all:', '--index-url', index.toString(), '-d', path.join(work, 'out'), ...args], {
    cwd: work,
    timeoutMs: 120_000,
  });
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'vetbox-gate-pip-'));
  upstream = await startFakePypi();
  const meta = (v: string) => `Metadata-Version: 2.1\nName: ${NAME}\nVersion: ${v}\n`;
  upstream.addRelease(NAME, '0.9.0', [{ ...(await wheel('0.9.0', 'VALUE = 0\n')), uploadTime: '2025-06-01T00:00:00', metadata: meta('0.9.0') }]);
  upstream.addRelease(NAME, '1.0.0', [{ ...(await wheel('1.0.0', 'VALUE = 1\n')), uploadTime: '2026-01-01T00:00:00', metadata: meta('1.0.0') }]);
  upstream.addRelease(NAME, '1.0.1', [{ ...(await wheel('1.0.1', `${AWS_TCP_PY}\nVALUE = 2\n`)), uploadTime: '2026-02-01T00:00:00', metadata: meta('1.0.1') }]);
  // Listing the project queues the two newest releases; 0.9.0 stays never analyzed.
  vetbox = await new VetboxService({ PYPI_URL: upstream.url, GATE_PREFETCH_VERSIONS: '2' }).start();
}, 180_000);

afterAll(async () => {
  await vetbox?.forget('pypi', [NAME]);
  await vetbox?.stop();
  await upstream?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('pip through the gate (loopback PyPI, real pipeline)', () => {
  it('a benign wheel downloads with --require-hashes; a malicious or unvetted one is refused with the reason', async () => {
    const listing = await pip([`${NAME}==1.0.0`]);
    expect(listing.code).not.toBe(0); // nothing analyzed yet: the listing queued the newest releases
    const [benign, malicious] = await Promise.all([vetbox.settled('pypi', NAME, '1.0.0'), vetbox.settled('pypi', NAME, '1.0.1')]);
    expect([benign.state, malicious.state], `${benign.reason}; ${malicious.reason}`).toEqual(['allowed', 'malicious']);

    await writeFile(path.join(work, 'requirements.txt'), `${NAME}==1.0.0 --hash=sha256:${sha.get('1.0.0')}\n`);
    const ok = await pip(['--require-hashes', '-r', 'requirements.txt']);
    expect(ok.code, ok.output).toBe(0);
    const downloaded = await readFile(path.join(work, 'out', `${MODULE}-1.0.0-py3-none-any.whl`));
    expect(createHash('sha256').update(downloaded).digest('hex')).toBe(sha.get('1.0.0'));

    // Unpinned: the newest served release, never the malicious 1.0.1 nor the unvetted 0.9.0.
    await rm(path.join(work, 'out'), { recursive: true, force: true });
    const latest = await pip([NAME]);
    expect(latest.code, latest.output).toBe(0);
    expect(await readdir(path.join(work, 'out'))).toEqual([`${MODULE}-1.0.0-py3-none-any.whl`]);

    // Never analyzed: listed as yanked, so only an exact pin selects it; its download is refused
    // with the reason in the status line, and queues the analysis.
    const unvetted = await pip([`${NAME}==0.9.0`]);
    expect(unvetted.code).not.toBe(0);
    expect(unvetted.output).toContain(`403 Client Error: ${NAME}==0.9.0 is not served by vetbox: held: queued for analysis just now`);

    // Malicious: gone from the index; fetched by its URL (as a lockfile with URLs would), refused with the reason.
    const pinned = await pip([`${NAME}==1.0.1`]);
    expect(pinned.code).not.toBe(0);
    expect(pinned.output).toMatch(/No matching distribution found/);
    const url = new URL(`${vetbox.url}/registry/pypi/files/${NAME}/1.0.1/${MODULE}-1.0.1-py3-none-any.whl`);
    url.username = '__token__';
    url.password = vetbox.keys.read;
    const direct = await pip([`${NAME} @ ${url.toString()}`]);
    expect(direct.code).not.toBe(0);
    expect(direct.output).toContain(`403 Client Error: ${NAME}==1.0.1 is not served by vetbox: malicious: vetbox's analysis found it malicious`);
  }, 1_800_000);
});
