/**
 * The registry's pages in headless Chromium: the link an npm error prints opens the decision,
 * an admin approves the held version with a reason and an expiry, npm's view of the package
 * changes, and the Registry page lists what clients were refused. The real app and web/dist, real
 * Redis and PostgreSQL, a loopback npm upstream; verdicts are stored as a worker stores them
 * (the pipeline's part is covered by gate-npm-*.test.ts). Screenshots land in test/artifacts/ui/.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeAnalysis, jobFor, markRunning, submitAnalysis } from '@vetbox/store';
import { ApiHarness } from '../fixtures/api/harness.js';
import { startFakeNpmRegistry, type FakeNpmRegistry } from '../fixtures/fetch/fake-registries.js';
import { fakeReport, FAKE_ANALYZER_VERSION } from '../fixtures/pipeline/fake-analyzer.js';
import { harmless, npmArchive } from '../fixtures/pipeline/imitation.js';
import { REPO_ROOT } from '../helpers/processes.js';
import { CHROMIUM, CHROMIUM_ARGS, ensureWebBuilt } from '../helpers/web.js';

const SHOTS = path.join(REPO_ROOT, 'test', 'artifacts', 'ui');
let api: ApiHarness;
let npm: FakeNpmRegistry;
let server: Server;
let browser: Browser;
let page: Page;
let base = '';
let NAME = '';

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  ensureWebBuilt();
  npm = await startFakeNpmRegistry();
  api = await new ApiHarness({ gate: { npmRegistryUrl: npm.url, pypiUrl: npm.url, prefetchVersions: 0 } }).start();
  server = api.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  NAME = api.h.name('vbx-gate-ui');
  // 1.0.0 old and benign; 1.0.1 benign but released an hour ago: held by the 3-day cooldown.
  for (const [version, time] of [['1.0.0', '2026-01-01T00:00:00.000Z'], ['1.0.1', new Date(Date.now() - 3_600_000).toISOString()]] as const) {
    const tarball = await npmArchive(harmless(NAME, version));
    npm.add({ name: NAME, version, tarball, time });
    const { analysis } = await submitAnalysis(api.h.prisma, { artifact: { ecosystem: 'npm', name: NAME, version, source: 'registry' }, analyzerVersion: FAKE_ANALYZER_VERSION });
    await markRunning(api.h.prisma, analysis.id, 1);
    const report = fakeReport(jobFor(analysis), 'benign');
    report.package.sha256 = createHash('sha256').update(tarball).digest('hex');
    await completeAnalysis(api.h.prisma, analysis.id, { report, raw: [], retentionDays: 1 });
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await api?.h.prisma.gateApproval.deleteMany({ where: { name: NAME } });
  await api?.h.prisma.gateDecision.deleteMany({ where: { name: NAME } });
  await new Promise((r) => server?.close(r));
  await api?.close();
  await npm?.close();
});

const served = async () => {
  const res = await fetch(`${base}/registry/npm/${NAME}`, { headers: { ...api.auth('read'), accept: 'application/vnd.npm.install-v1+json' } });
  return Object.keys(((await res.json()) as { versions: object }).versions);
};

describe('registry pages', () => {
  it('an admin opens the link of a held version, approves it with a reason and an expiry, and npm sees it', async () => {
    expect(await served()).toEqual(['1.0.0']);
    // What npm ci would have hit: a refused tarball, so the Registry page has a row.
    expect((await fetch(`${base}/registry/npm/${NAME}/-/${NAME}-1.0.1.tgz`, { headers: api.auth('read') })).status).toBe(403);
    await api.gate!.gate.flushDecisions();

    await page.goto(`${base}/registry/why/npm/${NAME}/1.0.1`);
    await page.getByLabel('API key').fill(api.keys.admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByTestId('gate-state').first().textContent(), { timeout: 15_000 }).toBe('cooldown');
    expect(await page.getByTestId('gate-reason').textContent()).toMatch(/^held: released 1 h ago; versions are served 3d after release/);
    await page.screenshot({ path: path.join(SHOTS, 'gate-why-held.png'), fullPage: true });

    await page.getByLabel('Reason').fill('hotfix for INC-42, diff reviewed');
    await page.getByRole('button', { name: `Approve ${NAME}@1.0.1` }).click();
    await expect.poll(() => page.getByTestId('gate-state').first().textContent(), { timeout: 15_000 }).toBe('approved');
    await page.getByRole('heading', { name: 'Approved', exact: true }).waitFor();
    expect(await page.getByText('hotfix for INC-42, diff reviewed').count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(SHOTS, 'gate-why-approved.png'), fullPage: true });
    expect(await served()).toEqual(['1.0.0', '1.0.1']);
    const stored = await api.h.prisma.gateApproval.findFirstOrThrow({ where: { name: NAME, version: '1.0.1' } });
    expect(stored.reason).toBe('hotfix for INC-42, diff reviewed');
    expect(stored.expiresAt.getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
  }, 120_000);

  it('the Registry page lists the refused download, its decision now, and the approval in force', async () => {
    await page.getByRole('link', { name: 'Registry', exact: true }).click();
    await page.getByRole('heading', { name: 'Registry decisions' }).waitFor();
    const row = page.getByTestId('gate-decisions').getByRole('row').filter({ hasText: `${NAME}@1.0.1` });
    await row.waitFor({ timeout: 15_000 });
    expect(await row.getByTestId('gate-state').allTextContents()).toEqual(['cooldown', 'approved']);
    expect(await page.getByTestId('gate-approvals').textContent()).toContain('hotfix for INC-42');
    await page.screenshot({ path: path.join(SHOTS, 'gate-decisions.png'), fullPage: true });
  }, 60_000);
});
