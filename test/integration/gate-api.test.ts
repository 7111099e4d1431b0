// The vetted registry's HTTP behaviour (#18), in process, against the real Redis and PostgreSQL
// with loopback npm and PyPI upstreams. Verdicts are written as a worker would (stored reports and
// progress events), so every state is reached on purpose; the real clients and the real
// pipeline are driven in gate-npm-*.test.ts and gate-pip.test.ts.
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GateWhy, Verdict } from '@vetbox/contracts';
import { publishProgress } from '@vetbox/queue';
import { importRecords } from '@vetbox/intel';
import { completeAnalysis, jobFor, markRunning, submitAnalysis } from '@vetbox/store';
import { ApiHarness } from '../fixtures/api/harness.js';
import { startFakeNpmRegistry, startFakePypi, type FakeNpmRegistry, type FakePypi } from '../fixtures/fetch/fake-registries.js';
import { fakeReport, FAKE_ANALYZER_VERSION } from '../fixtures/pipeline/fake-analyzer.js';
import { npmArchive } from '../fixtures/pipeline/imitation.js';

let api: ApiHarness;
let npm: FakeNpmRegistry;
let pypi: FakePypi;
let server: Server;
let base = '';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const OLD = '2024-01-01T00:00:00.000Z';
const tarballs = new Map<string, Buffer>();

/** What a worker does when it finishes: the stored report (with the analyzed bytes' sha256) and the progress event. */
async function analyzed(ecosystem: 'npm' | 'pypi', name: string, version: string, verdict: Verdict, sha: string): Promise<string> {
  const { analysis } = await submitAnalysis(api.h.prisma, { artifact: { ecosystem, name, version, source: 'registry' }, analyzerVersion: FAKE_ANALYZER_VERSION, queue: api.h.queueName });
  await markRunning(api.h.prisma, analysis.id, 1);
  const report = fakeReport(jobFor(analysis), verdict);
  report.package.sha256 = sha;
  if (verdict === 'malicious') report.summary = 'posts ~/.npmrc to upload.example';
  await completeAnalysis(api.h.prisma, analysis.id, { report, raw: [], retentionDays: 1 });
  await publishProgress(api.h.publisher, api.h.queueName, { analysisId: analysis.id, status: 'completed', stage: 'done', percent: 100, verdict });
  return analysis.id;
}

async function addNpm(name: string, version: string, time = OLD): Promise<Buffer> {
  const tarball = await npmArchive({ name, version, files: { 'index.js': `module.exports = '${version}';\n` } });
  npm.add({ name, version, tarball, time });
  tarballs.set(`${name}@${version}`, tarball);
  return tarball;
}

const get = (path: string, role: 'read' | 'admin' | 'submit' | 'revoked' | null = 'read', headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { headers: { ...(role ? api.auth(role) : {}), ...headers }, redirect: 'manual' });
const ABBREVIATED = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';
const packument = async (name: string, accept = ABBREVIATED) => {
  const res = await get(`/registry/npm/${name.replace('/', '%2f')}`, 'read', { accept });
  expect(res.status, await res.clone().text()).toBe(200);
  return { res, doc: (await res.json()) as { versions: Record<string, { dist: { tarball: string; integrity: string } }>; 'dist-tags': Record<string, string>; time?: Record<string, string>; policyRestrictions?: { message: string; versions: Record<string, unknown> } } };
};
/** Waits until the gate has heard the progress event (decisions are cached until then). */
async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let P = '';
let SCOPED = '';

beforeAll(async () => {
  npm = await startFakeNpmRegistry();
  pypi = await startFakePypi();
  api = await new ApiHarness({ gate: { npmRegistryUrl: npm.url, pypiUrl: pypi.url, prefetchVersions: 0 } }).start();
  server = api.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  P = api.h.name('vbx-gate');
  // 1.0.0 benign, 1.1.0 malicious, 1.2.0 benign but released now, 1.3.0 never analyzed.
  await addNpm(P, '1.0.0');
  await addNpm(P, '1.1.0');
  await addNpm(P, '1.2.0', new Date().toISOString());
  await addNpm(P, '1.3.0');
  await analyzed('npm', P, '1.0.0', 'benign', sha256(tarballs.get(`${P}@1.0.0`)!));
  await analyzed('npm', P, '1.1.0', 'malicious', sha256(tarballs.get(`${P}@1.1.0`)!));
  await analyzed('npm', P, '1.2.0', 'benign', sha256(tarballs.get(`${P}@1.2.0`)!));
  SCOPED = api.h.track(`@vbxgate/${api.h.name('scoped')}`);
  await addNpm(SCOPED, '2.0.0');
  await analyzed('npm', SCOPED, '2.0.0', 'benign', sha256(tarballs.get(`${SCOPED}@2.0.0`)!));
}, 60_000);

afterAll(async () => {
  const names = [P, SCOPED];
  await api?.h.prisma.gateApproval.deleteMany({ where: { name: { in: names } } });
  await api?.h.prisma.gateDecision.deleteMany({ where: { name: { in: names } } });
  await api?.h.prisma.gatePackagePolicy.deleteMany({ where: { name: { in: names } } });
  await new Promise((r) => server?.close(r));
  await api?.close();
  await npm?.close();
  await pypi?.close();
});

describe('npm packuments', () => {
  it('lists only served versions, moves latest, keeps integrity, and puts the rest under policyRestrictions', async () => {
    const { res, doc } = await packument(P);
    expect(res.headers.get('content-type')).toBe('application/vnd.npm.install-v1+json');
    expect(res.headers.get('vary')).toMatch(/Accept/);
    expect(Object.keys(doc.versions)).toEqual(['1.0.0']);
    expect(doc['dist-tags']).toEqual({ latest: '1.0.0' });
    expect(doc.versions['1.0.0']!.dist.tarball).toBe(`${base}/registry/npm/${P}/-/${P}-1.0.0.tgz`);
    expect(doc.versions['1.0.0']!.dist.integrity).toBe(`sha512-${createHash('sha512').update(tarballs.get(`${P}@1.0.0`)!).digest('base64')}`);
    expect(Object.keys(doc.policyRestrictions!.versions).sort()).toEqual(['1.1.0', '1.2.0', '1.3.0']);
    const message = doc.policyRestrictions!.message;
    expect(message).toContain(`${P}@1.1.0 malicious: vetbox's analysis found it malicious: posts ~/.npmrc to upload.example — ${base}/registry/why/npm/${P}/1.1.0`);
    expect(message).toMatch(new RegExp(`${P}@1\\.2\\.0 held: released \\d+ min ago; versions are served 3d after release`));
    expect(message).toContain('not analyzed yet: 1.3.0');

    const full = await packument(P, 'application/json');
    expect(full.res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(full.doc.time!).filter((k) => k !== 'created' && k !== 'modified')).toEqual(['1.0.0']);
    expect(full.res.headers.get('etag')).not.toBe(res.headers.get('etag'));
  });

  it('scoped names as @scope%2fname, %2F and a plain slash are one package', async () => {
    const bodies = await Promise.all(
      [`@vbxgate%2f${SCOPED.split('/')[1]}`, `@vbxgate%2F${SCOPED.split('/')[1]}`, SCOPED].map(async (p) => {
        const res = await get(`/registry/npm/${p}`, 'read', { accept: ABBREVIATED });
        expect(res.status).toBe(200);
        return res.text();
      }),
    );
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0]!).versions['2.0.0'].dist.tarball).toBe(`${base}/registry/npm/${SCOPED}/-/${SCOPED.split('/')[1]}-2.0.0.tgz`);
  });

  it('answers 304 for an unchanged packument and a new ETag once a verdict or the package policy changes', async () => {
    const first = await packument(P);
    const etag = first.res.headers.get('etag')!;
    expect((await get(`/registry/npm/${P}`, 'read', { accept: ABBREVIATED, 'if-none-match': etag })).status).toBe(304);

    // A package override (cooldown 0) is a policy change: 1.2.0 appears and latest moves.
    const put = await fetch(`${base}/v1/gate/packages/npm/${P}`, { method: 'PUT', headers: { ...api.auth('admin'), 'content-type': 'application/json' }, body: JSON.stringify({ cooldown: '0', reason: 'our own package, released by CI' }) });
    expect(put.status, await put.text()).toBe(200);
    const after = await packument(P);
    expect(after.res.headers.get('etag')).not.toBe(etag);
    expect(Object.keys(after.doc.versions)).toEqual(['1.0.0', '1.2.0']);
    expect(after.doc['dist-tags'].latest).toBe('1.2.0');
    expect((await get(`/registry/npm/${P}`, 'read', { accept: ABBREVIATED, 'if-none-match': etag })).status).toBe(200);

    // A verdict: 1.3.0 analyzed benign reaches the gate through the progress event.
    await analyzed('npm', P, '1.3.0', 'benign', sha256(tarballs.get(`${P}@1.3.0`)!));
    const third = await until(() => packument(P), (p) => '1.3.0' in p.doc.versions, '1.3.0 to be served');
    expect(third.res.headers.get('etag')).not.toBe(after.res.headers.get('etag'));
    expect(third.doc['dist-tags'].latest).toBe('1.3.0');
    expect((await fetch(`${base}/v1/gate/packages/npm/${P}`, { method: 'DELETE', headers: api.auth('admin') })).status).toBe(204);
  });
});

describe('npm tarballs', () => {
  it('serves exactly the analyzed bytes', async () => {
    const res = await get(`/registry/npm/${P}/-/${P}-1.0.0.tgz`);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(sha256(body)).toBe(sha256(tarballs.get(`${P}@1.0.0`)!));
    expect(res.headers.get('etag')).toBe(`"${sha256(body)}"`);
  });

  it('refuses a malicious version with a JSON error npm prints, an npm-notice and the why link', async () => {
    const res = await get(`/registry/npm/${P}/-/${P}-1.1.0.tgz`);
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: string; state: string; why: string };
    expect(body.state).toBe('malicious');
    expect(body.error).toContain(`${P}@1.1.0 is not served by vetbox: malicious: vetbox's analysis found it malicious`);
    expect(body.why).toBe(`${base}/registry/why/npm/${P}/1.1.0`);
    expect(res.headers.get('npm-notice')).toContain(body.why);
  });

  it('queues a never-seen version once, deduplicated, and says so', async () => {
    const V = '1.4.0';
    await addNpm(P, V);
    api.gate!.gate.upstream.drop(`npm:${P}`);
    const [a, b] = [await get(`/registry/npm/${P}/-/${P}-${V}.tgz`), await get(`/registry/npm/${P}/-/${P}-${V}.tgz`)];
    expect(a.status).toBe(403);
    expect(((await a.json()) as { reason: string }).reason).toBe('held: queued for analysis just now; try again in a few minutes');
    expect(((await b.json()) as { state: string }).state).toBe('queued');
    const analyses = await api.h.prisma.analysis.findMany({ where: { artifact: { version: V, package: { name: P } } } });
    expect(analyses).toHaveLength(1);
    expect(await api.h.queue.bull.getJob(analyses[0]!.id)).toBeTruthy();
  });

  it('refuses bytes that differ from the analyzed ones', async () => {
    const V = '1.5.0';
    await addNpm(P, V);
    api.gate!.gate.upstream.drop(`npm:${P}`);
    await analyzed('npm', P, V, 'benign', 'f'.repeat(64));
    const res = await until(() => get(`/registry/npm/${P}/-/${P}-${V}.tgz`), (r) => r.status !== 403 || true, 'answer');
    expect(res.status).toBe(403);
    expect(((await res.json()) as { reason: string }).reason).toMatch(/^blocked: the registry now serves different bytes/);
  });

  it('refuses writes and other /-/ paths with 405, passes audits, keys and attestations through', async () => {
    for (const [method, path] of [
      ['PUT', `/registry/npm/${P}`],
      ['DELETE', `/registry/npm/${P}/-rev/1`],
      ['GET', '/registry/npm/-/whoami'],
      ['GET', '/registry/npm/-/v1/search?text=x'],
      ['PUT', '/registry/npm/-/user/org.couchdb.user:someone'],
      ['GET', '/registry/npm/-/npm/v1/security/advisories/bulk'],
    ] as const) {
      const res = await fetch(`${base}${path}`, { method, headers: { ...api.auth('admin'), 'content-type': 'application/json' }, ...(method === 'PUT' ? { body: '{}' } : {}) });
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(((await res.json()) as { error: string }).error).toMatch(/read-only|not allowed/);
    }
    const seen = npm.requests.length;
    const audit = await fetch(`${base}/registry/npm/-/npm/v1/security/advisories/bulk`, { method: 'POST', headers: { ...api.auth('read'), 'content-type': 'application/json' }, body: JSON.stringify({ [P]: ['1.0.0'] }) });
    expect(audit.status).toBe(404); // the loopback upstream has no audit endpoint: its answer passes through
    expect((await get('/registry/npm/-/npm/v1/keys')).status).toBe(404);
    expect((await get(`/registry/npm/-/npm/v1/attestations/${P}@1.0.0`)).status).toBe(404);
    expect(npm.requests.slice(seen)).toEqual(['/-/npm/v1/security/advisories/bulk', '/-/npm/v1/keys', `/-/npm/v1/attestations/${P}@1.0.0`]);
  });

  it('needs a key: 401 with a Bearer challenge, a read key suffices', async () => {
    const res = await get(`/registry/npm/${P}`, null);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await res.json()) as { error: string }).error).toMatch(/_authToken/);
    expect((await get(`/registry/npm/${P}`, 'revoked')).status).toBe(401);
  });
});

describe('known-malicious lists (#19)', () => {
  it('a version an imported OSV record lists is blocked whatever its analysis said, approvals included', async () => {
    const V = '1.6.0';
    await addNpm(P, V);
    api.gate!.gate.upstream.drop(`npm:${P}`);
    await analyzed('npm', P, V, 'benign', sha256(tarballs.get(`${P}@${V}`)!));
    await until(() => packument(P), (p) => V in p.doc.versions, `${V} to be served`);
    const source = `gate-test-list-${P}`;
    const record = { id: `MAL-2026-${P}`, summary: 'steals npm tokens', modified: '2026-11-30T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: P }, versions: [V] }] };
    async function* files() {
      yield { file: 'record.json', json: record };
    }
    try {
      await importRecords(api.h.prisma, files(), { source });
      api.gate!.gate.invalidate();
      const { doc } = await packument(P);
      expect(Object.keys(doc.versions)).not.toContain(V);
      expect(doc.policyRestrictions!.message).toContain(`${P}@${V} malicious: listed by ${source} (MAL-2026-${P}): steals npm tokens`);
      const res = await get(`/registry/npm/${P}/-/${P}-${V}.tgz`);
      expect(res.status).toBe(403);
    } finally {
      await api.h.prisma.intelSource.deleteMany({ where: { name: source } });
      api.gate!.gate.invalidate();
    }
  });
});

describe('why, approvals and decisions', () => {
  it('explains a version as JSON for tools and hands browsers the web UI', async () => {
    const res = await get(`/registry/why/npm/${P}/1.1.0`, 'read', { accept: 'application/json' });
    const why = (await res.json()) as GateWhy;
    expect(why).toMatchObject({ spec: `${P}@1.1.0`, state: 'malicious', served: false, analysis: { verdict: 'malicious' }, policy: { failOn: 'suspicious', cooldown: '3d' }, canApprove: false });
    const page = await get(`/registry/why/npm/${P}/1.1.0`, null, { accept: 'text/html,application/xhtml+xml' });
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await get(`/registry/why/npm/${SCOPED}/2.0.0`, 'read')).status).toBe(200);
  });

  it('an admin approves a held version with a reason and an expiry; malicious stays blocked; revoking holds it again', async () => {
    const approve = (body: object, role: 'admin' | 'read' = 'admin') =>
      fetch(`${base}/v1/gate/approvals`, { method: 'POST', headers: { ...api.auth(role), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const expires = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    expect((await approve({ ecosystem: 'npm', name: P, version: '1.2.0', reason: 'hotfix we need today', expires }, 'read')).status).toBe(403);
    expect((await approve({ ecosystem: 'npm', name: P, version: '1.2.0', reason: ' ', expires: 'soon' })).status).toBe(400);
    const refused = await approve({ ecosystem: 'npm', name: P, version: '1.1.0', reason: 'trust me', expires });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { detail: string }).detail).toMatch(/never lift a malicious verdict/);

    const created = await approve({ ecosystem: 'npm', name: P, version: '1.2.0', reason: 'hotfix we need today', expires });
    expect(created.status, await created.clone().text()).toBe(201);
    const approval = (await created.json()) as { id: string; active: boolean };
    expect(approval.active).toBe(true);
    const why = (await (await get(`/registry/why/npm/${P}/1.2.0`, 'admin')).json()) as GateWhy;
    expect(why).toMatchObject({ state: 'approved', served: true, approval: { reason: 'hotfix we need today' }, canApprove: true });
    expect(Object.keys((await packument(P)).doc.versions)).toContain('1.2.0');
    expect((await get(`/registry/npm/${P}/-/${P}-1.2.0.tgz`)).status).toBe(200);

    expect((await fetch(`${base}/v1/gate/approvals/${approval.id}`, { method: 'DELETE', headers: api.auth('admin') })).status).toBe(204);
    expect(Object.keys((await packument(P)).doc.versions)).not.toContain('1.2.0');
    expect((await get(`/registry/npm/${P}/-/${P}-1.2.0.tgz`)).status).toBe(403);
  });

  it('lists the decisions clients met, with the decision now', async () => {
    await api.gate!.gate.flushDecisions();
    const res = await get(`/v1/gate/decisions?q=${encodeURIComponent(P)}`);
    const { items } = (await res.json()) as { items: Array<{ version: string; state: string; served: boolean; requests: number; current: { state: string } | null }> };
    const malicious = items.find((i) => i.version === '1.1.0');
    expect(malicious).toMatchObject({ state: 'malicious', served: false, current: { state: 'malicious' } });
    expect(items.find((i) => i.version === '1.0.0')).toMatchObject({ served: true, current: { state: 'allowed' } });
    expect(items.find((i) => i.version === '1.4.0')?.requests).toBe(2);
  });

  it('validates the deployment policy (YAML or JSON) and counts revisions', async () => {
    const bad = await fetch(`${base}/v1/gate/policy`, { method: 'PUT', headers: { ...api.auth('admin'), 'content-type': 'application/yaml' }, body: 'cooldown: soon\nfailOn: maybe\n' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/failOn[\s\S]*cooldown: "soon" is not a duration/);
    const before = (await (await get('/v1/gate/policy')).json()) as { revision: number; policy: object };
    // The same policy again (other tests share the database): stored as a new revision.
    const put = await fetch(`${base}/v1/gate/policy`, { method: 'PUT', headers: { ...api.auth('admin'), 'content-type': 'application/json' }, body: JSON.stringify(before.policy) });
    expect(put.status, await put.clone().text()).toBe(200);
    expect(((await put.json()) as { revision: number }).revision).toBe(before.revision + 1);
    expect((await fetch(`${base}/v1/gate/policy`, { method: 'PUT', headers: { ...api.auth('read'), 'content-type': 'application/json' }, body: '{}' })).status).toBe(403);
  });
});

describe('PyPI simple index', () => {
  const Q = `vbx-gate-py-${Math.random().toString(16).slice(2, 8)}`;
  const QUARANTINED = `${Q}-evil`;
  const files = {
    wheel1: Buffer.from('wheel 1.0.0'),
    sdist1: Buffer.from('sdist 1.0.0'),
    wheel2: Buffer.from('wheel 2.0.0'),
    evil: Buffer.from('evil 1.0.0'),
  };
  const under = Q.replace(/-/g, '_');

  beforeAll(async () => {
    api.h.track(Q);
    api.h.track(QUARANTINED);
    pypi.addRelease(Q, '1.0.0', [
      { filename: `${under}-1.0.0-py3-none-any.whl`, content: files.wheel1, metadata: `Metadata-Version: 2.1\nName: ${Q}\nVersion: 1.0.0\n` },
      { filename: `${Q}-1.0.0.tar.gz`, content: files.sdist1 },
    ]);
    pypi.addRelease(Q, '2.0.0', [{ filename: `${under}-2.0.0-py3-none-any.whl`, content: files.wheel2 }]);
    pypi.addRelease(QUARANTINED, '1.0.0', [{ filename: `${QUARANTINED.replace(/-/g, '_')}-1.0.0-py3-none-any.whl`, content: files.evil }]);
    await analyzed('pypi', Q, '1.0.0', 'benign', sha256(files.wheel1));
    await analyzed('pypi', QUARANTINED, '1.0.0', 'malicious', sha256(files.evil));
  });

  const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`__token__:${key}`).toString('base64')}` });

  it('negotiates PEP 691 JSON and PEP 503 HTML; lists only the analyzed file; holds the rest as yanked with the reason', async () => {
    const res = await fetch(`${base}/registry/pypi/simple/${Q}/`, { headers: { ...basic(api.keys.read), accept: 'application/vnd.pypi.simple.v1+json' } });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.pypi.simple.v1+json');
    expect(res.headers.get('vary')).toMatch(/Accept/);
    const page = (await res.json()) as { files: Array<{ filename: string; url: string; yanked: unknown; hashes: { sha256: string }; 'core-metadata': unknown }> };
    expect(page.files.map((f) => [f.filename, f.yanked])).toEqual([
      [`${under}-1.0.0-py3-none-any.whl`, false],
      [`${under}-2.0.0-py3-none-any.whl`, 'vetbox: held: vetbox has not analyzed this version yet; downloading it or opening its link queues the analysis'],
    ]);
    expect(page.files[0]!.url).toBe(`${base}/registry/pypi/files/${Q}/1.0.0/${under}-1.0.0-py3-none-any.whl`);
    expect(page.files[0]!.hashes.sha256).toBe(sha256(files.wheel1));
    const html = await fetch(`${base}/registry/pypi/simple/${Q}/`, { headers: { ...basic(api.keys.read), accept: 'text/html' } });
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await html.text()).toContain(`${under}-1.0.0-py3-none-any.whl#sha256=${sha256(files.wheel1)}`);
    // PEP 503 names: one URL per project.
    const redirect = await fetch(`${base}/registry/pypi/simple/${Q.toUpperCase().replace(/-/g, '_')}/`, { headers: basic(api.keys.read), redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe(`/registry/pypi/simple/${Q}/`);
  });

  it('serves the analyzed file and its metadata; refuses a held file with the reason in the status line', async () => {
    const ok = await fetch(`${base}/registry/pypi/files/${Q}/1.0.0/${under}-1.0.0-py3-none-any.whl`, { headers: basic(api.keys.read) });
    expect(ok.status).toBe(200);
    expect(Buffer.from(await ok.arrayBuffer())).toEqual(files.wheel1);
    const meta = await fetch(`${base}/registry/pypi/files/${Q}/1.0.0/${under}-1.0.0-py3-none-any.whl.metadata`, { headers: basic(api.keys.read) });
    expect(await meta.text()).toContain(`Name: ${Q}`);
    const sdist = await fetch(`${base}/registry/pypi/files/${Q}/1.0.0/${Q}-1.0.0.tar.gz`, { headers: basic(api.keys.read) });
    expect(sdist.status).toBe(403);
    expect(sdist.statusText).toMatch(/another file of this release/);
    const held = await fetch(`${base}/registry/pypi/files/${Q}/2.0.0/${under}-2.0.0-py3-none-any.whl`, { headers: basic(api.keys.read) });
    expect(held.status).toBe(403);
    expect(held.statusText).toBe(`${Q}==2.0.0 is not served by vetbox: held: queued for analysis just now; try again in a few minutes (why: ${base}/registry/why/pypi/${Q}/2.0.0)`);
  });

  it('a project whose every release is malicious is quarantined, its files refused', async () => {
    const res = await fetch(`${base}/registry/pypi/simple/${QUARANTINED}/`, { headers: { ...basic(api.keys.read), accept: 'application/vnd.pypi.simple.v1+json' } });
    const page = (await res.json()) as { files: unknown[]; 'project-status': { status: string } };
    expect(page['project-status'].status).toBe('quarantined');
    expect(page.files).toEqual([]);
    const file = await fetch(`${base}/registry/pypi/files/${QUARANTINED}/1.0.0/${QUARANTINED.replace(/-/g, '_')}-1.0.0-py3-none-any.whl`, { headers: basic(api.keys.read) });
    expect(file.status).toBe(403);
    expect(file.statusText).toMatch(/malicious/);
  });

  it('basic auth takes the key as password; without it pip gets a Basic challenge; uploads are 405', async () => {
    const res = await fetch(`${base}/registry/pypi/simple/${Q}/`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="vetbox"/);
    expect((await fetch(`${base}/registry/pypi/simple/${Q}/`, { headers: basic('vbx_wrong') })).status).toBe(401);
    expect((await fetch(`${base}/registry/pypi/legacy/`, { method: 'POST', headers: basic(api.keys.admin), body: 'x' })).status).toBe(405);
  });
});
