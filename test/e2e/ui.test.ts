/**
 * The report viewer end to end in headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core; no browser download): the real API (startServer on an ephemeral port) serving
 * web/dist, an in-process worker running the real @vetbox/pipeline in the Docker sandbox, real
 * Redis and PostgreSQL, a private queue. Screenshots of every page land in test/artifacts/ui/.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '@vetbox/api';
import { createLogger, loadEnv } from '@vetbox/config';
import type { Report } from '@vetbox/contracts';
import { analyze, applyKnownMalicious } from '@vetbox/pipeline';
import { DockerRuntime, ensureSandboxImage } from '@vetbox/sandbox';
import { completeAnalysis, createApiKey, getReport, markRunning, revokeApiKey, submitAnalysis } from '@vetbox/store';
import { createAnalysisWorker, type AnalysisWorker } from '@vetbox/worker';
import { PipelineHarness } from '../fixtures/pipeline/harness.js';
import { envStealer, harmless, npmrcThief, writeNpmArchive } from '../fixtures/pipeline/imitation.js';
import { CHROMIUM, CHROMIUM_ARGS, ensureWebBuilt } from '../helpers/web.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = path.join(REPO, 'test', 'artifacts', 'ui');
const ANALYSIS_TIMEOUT_MS = 240_000;

const logger = createLogger('e2e-ui', { level: 'silent' });
const suffix = randomUUID().slice(0, 8);
const names = { stealer: `vbx-e2e-stealer-${suffix}`, benign: `vbx-e2e-tidy-${suffix}` };

let dir = '';
let server: RunningServer;
let worker: AnalysisWorker;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let apiKey = '';
let apiKeyId = '';
/** A private queue on the shared Redis and PostgreSQL; removes the queue and these packages at the end. */
const h = new PipelineHarness();
const prisma = h.prisma;
Object.values(names).forEach((n) => h.track(n));
const pageErrors: string[] = [];

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** The upload form, as a user fills it: choose "Upload an archive", pick the file, Analyze. */
async function uploadThroughForm(p: Page, file: string, opts: { comparePrevious?: boolean; force?: boolean } = {}): Promise<string> {
  await p.getByLabel('Upload an archive').check();
  await p.getByLabel(/^Archive/).setInputFiles(file);
  if (opts.comparePrevious) await p.getByLabel('Compare with the previous version').check();
  if (opts.force) await p.getByLabel('Re-run even if analyzed').check();
  await p.getByRole('button', { name: 'Analyze' }).click();
  await p.waitForURL(/\/analyses\/[0-9a-f-]{36}$/);
  return p.url().split('/').pop()!;
}

async function waitForVerdict(p: Page, verdict: string): Promise<void> {
  await p.getByTestId('verdict-banner').getByTestId('verdict-badge').filter({ hasText: verdict }).waitFor({ timeout: ANALYSIS_TIMEOUT_MS });
  // The report's sections render once the report is loaded.
  await p.locator('#findings').waitFor();
}

/**
 * How far the visible cells of these rows reach past what their table shows without scrolling
 * sideways (its .table-wrap box, or the viewport): > 0 means a column is cut off.
 */
function cellsOverflow(p: Page, rowSelector: string): Promise<number> {
  return p.evaluate(`Math.max(-1, ...[...document.querySelectorAll(${JSON.stringify(`${rowSelector} td`)})]
    .filter((e) => e.getClientRects().length > 0)
    .map((e) => e.getBoundingClientRect().right - Math.min(document.documentElement.clientWidth, (e.closest('.table-wrap') || document.documentElement).getBoundingClientRect().right)))`) as Promise<number>;
}

/**
 * Follows an in-report link and checks where it landed: the target row starts below the sticky
 * section menu (not hidden under it), is inside the viewport, and is the highlighted :target.
 */
async function expectLandsInView(p: Page, link: ReturnType<Page['locator']>): Promise<void> {
  const href = (await link.getAttribute('href')) ?? '';
  expect(href).toMatch(/^#[a-z]+-\d+$/);
  await link.click();
  const target = p.locator(href);
  await target.waitFor();
  await expect.poll(() => p.evaluate('location.hash')).toBe(href);
  // Let the jump to the anchor settle.
  await p.waitForTimeout(150);
  const box = (await target.boundingBox())!;
  const toc = (await p.locator('nav.toc').boundingBox())!;
  const viewport = p.viewportSize()!;
  expect(box.y, `${href} starts below the sticky menu (bottom ${toc.y + toc.height})`).toBeGreaterThanOrEqual(toc.y + toc.height - 0.5);
  expect(box.y + Math.min(box.height, 20), `${href} is inside the viewport`).toBeLessThanOrEqual(viewport.height);
  expect(await target.isVisible()).toBe(true);
  expect(await p.evaluate(`getComputedStyle(document.querySelector(':target')).outlineStyle`)).toBe('solid');
  expect(await p.evaluate(`document.querySelector(':target')?.id`)).toBe(href.slice(1));
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  ensureWebBuilt();
  const runtime = new DockerRuntime({ logger });
  await ensureSandboxImage(runtime, { build: true });
  dir = await mkdtemp(path.join(os.tmpdir(), 'vetbox-e2e-ui-'));
  const env = loadEnv({ ...process.env, PORT: '0', HOST: '127.0.0.1', QUEUE_NAME: h.queueName, DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'silent', READYZ_DOCKER: 'false', RATE_LIMIT_PER_MINUTE: '0' });
  server = await startServer(env, logger);
  worker = createAnalysisWorker({ queueName: h.queueName, redisUrl: env.REDIS_URL, prisma, analyze, logger, concurrency: 1, retentionDays: 1, attempts: 2, reconcileIntervalMs: 0, dataDir: env.DATA_DIR });
  await worker.ready();
  const created = await createApiKey(prisma, { name: `e2e-ui-${suffix}`, role: 'submit' });
  apiKey = created.key;
  apiKeyId = created.record.id;

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(`${msg.text()} ${msg.location().url}`);
  });
}, 900_000);

afterAll(async () => {
  await browser?.close();
  await worker?.close();
  await server?.close();
  if (apiKeyId) {
    await prisma.batch.deleteMany({ where: { apiKeyId } });
    await prisma.apiKey.deleteMany({ where: { id: apiKeyId } });
  }
  await h.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('web UI in headless Chromium', () => {
  let stealerId = '';
  let benignId = '';

  it('signs in through the form field labeled "API key"; a wrong key is refused', async () => {
    await page.goto(`${server.url}/`);
    await shot(page, '01-login');
    await page.getByLabel('API key').fill('vbx_not-a-real-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not accepted');
    await page.getByLabel('API key').fill(apiKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Analyses' }).waitFor();
    await shot(page, '02-list-empty');
  });

  it('an uploaded env stealer runs live, completes malicious, and its finding names the leaked canary', async () => {
    const file = await writeNpmArchive(path.join(dir, 'uploads'), envStealer(names.stealer, '1.0.0'));
    stealerId = await uploadThroughForm(page, file);
    // Live progress while it runs (the worker takes it within a second or two).
    await page.getByRole('progressbar').waitFor({ timeout: 10_000 }).catch(() => {});
    await shot(page, '03-analysis-running');
    await waitForVerdict(page, 'malicious');
    await expect.poll(() => page.getByTestId('verdict-reason').textContent()).not.toBe('');

    const report = (await getReport(prisma, stealerId)) as Report;
    const leaked = report.canaries.filter((c) => c.leaked).map((c) => c.kind);
    expect(leaked.length, 'the report records a leaked canary').toBeGreaterThan(0);
    const finding = page.getByTestId('finding').filter({ hasText: 'credential-exfiltration' });
    await expect.poll(() => finding.count()).toBe(1);
    const text = (await finding.textContent()) ?? '';
    expect(leaked.some((kind) => text.includes(kind)), `finding text names one of ${leaked.join(', ')}: ${text}`).toBe(true);
    // Critical findings come first.
    expect(await page.getByTestId('finding').first().textContent()).toContain('critical');
    // The leaked canary is highlighted where it was found, with its encoding.
    expect(await page.getByTestId('canary-leaked').count()).toBeGreaterThan(0);
    const hitText = (await page.getByTestId('canary-hit').allTextContents()).join(' ');
    expect(hitText).toContain('base64');
    // The tag names the planted variable or file, so two canaries of one kind can be told apart.
    const planted = report.canaries.filter((c) => c.leaked).map((c) => c.planted);
    expect(planted.some((v) => hitText.includes(v)), `canary tags name one of ${planted.join(', ')}: ${hitText}`).toBe(true);
    expect(await page.locator('#network').textContent()).toContain('collector.example');
    await shot(page, '04-analysis-malicious');

    // The raw JSON download is the stored report.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download raw JSON' }).click()]);
    const saved = path.join(dir, 'report.json');
    await download.saveAs(saved);
    expect(JSON.parse(readFileSync(saved, 'utf8'))).toMatchObject({ verdict: 'malicious', package: { name: names.stealer } });

    // A deep link loads the same page from the server (SPA fallback) with the key kept for the session.
    await page.goto(`${server.url}/analyses/${stealerId}`);
    await waitForVerdict(page, 'malicious');
  }, ANALYSIS_TIMEOUT_MS + 60_000);

  it('evidence links land on their row below the sticky section menu, highlighted', async () => {
    await page.goto(`${server.url}/analyses/${stealerId}`);
    await waitForVerdict(page, 'malicious');
    const links = page.locator('.evidence a[href^="#"]:not([href="#baseline"])');
    const n = await links.count();
    expect(n).toBeGreaterThan(0);
    for (let i = 0; i < Math.min(n, 4); i++) await expectLandsInView(page, links.nth(i));
    await shot(page, '04b-evidence-target');
  });

  it('the report page downloads its OSV record and indicators, and lists the known-malicious records a finding cites', async () => {
    await page.goto(`${server.url}/analyses/${stealerId}`);
    await waitForVerdict(page, 'malicious');
    const save = async (button: string, file: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
      await download.saveAs(path.join(dir, file));
      return readFileSync(path.join(dir, file), 'utf8');
    };
    const osv = JSON.parse(await save('OSV record', 'osv.json'));
    expect(osv.id).toMatch(/^VBX-\d{4}-\d+$/);
    expect(osv.affected[0]).toMatchObject({ package: { ecosystem: 'npm', name: names.stealer }, versions: ['1.0.0'] });
    const csv = await save('Indicators (CSV)', 'indicators.csv');
    expect(csv).toMatch(new RegExp(`^${stealerId},npm,${names.stealer},1\\.0\\.0,malicious,domain,collector\\.example,`, 'm'));
    expect(JSON.parse(await save('Indicators (JSON)', 'indicators.json'))).toMatchObject({ analysisId: stealerId, verdict: 'malicious' });

    // A quiet version on an imported list: the finding links to the record's row.
    // Named apart from this run's suffix, so the list filters below see only the two uploads.
    const listed = `vbx-e2e-listed-${randomUUID().slice(0, 8)}`;
    h.track(listed);
    const { analysis } = await submitAnalysis(prisma, { artifact: { ecosystem: 'npm', name: listed, version: '1.0.0', source: 'registry' }, analyzerVersion: 'e2e', queue: 'e2e-ui-listed' });
    const quiet = (await getReport(prisma, stealerId)) as Report;
    const report = applyKnownMalicious(
      { ...quiet, package: { ...quiet.package, name: listed }, findings: [], verdict: 'benign', score: 0, canaries: [] },
      [{ id: 'MAL-2026-0042', summary: 'Malicious code in the e2e fixture', source: 'fixture-list', sourceDate: '2026-11-30T00:00:00.000Z', modified: '2026-11-02T08:00:00.000Z' }],
    );
    expect(await markRunning(prisma, analysis.id, 1)).toBe(true);
    expect(await completeAnalysis(prisma, analysis.id, { report, raw: [], retentionDays: 1 })).toBe(true);
    await page.goto(`${server.url}/analyses/${analysis.id}`);
    await waitForVerdict(page, 'malicious');
    expect(await page.getByTestId('known-malicious').textContent()).toContain('MAL-2026-0042');
    await expectLandsInView(page, page.getByTestId('finding').filter({ hasText: 'known-malicious' }).locator('.evidence a[href="#intel-0"]'));
    await shot(page, '04c-known-malicious');
  });

  it('a package making hundreds of lookups: the network section groups them by destination, a few rows each, hits and linked rows always reachable', async () => {
    // A stored report shaped like a DNS-tunnelling beacon: 300 lookups and 300 connections to one
    // domain, one lookup carrying a canary, and a finding that cites the last lookup.
    const flooder = `vbx-e2e-flood-${randomUUID().slice(0, 8)}`;
    h.track(flooder);
    const { analysis } = await submitAnalysis(prisma, { artifact: { ecosystem: 'npm', name: flooder, version: '1.0.0', source: 'registry' }, analyzerVersion: 'e2e', queue: 'e2e-ui-flood' });
    const base = (await getReport(prisma, stealerId)) as Report;
    const dns = Array.from({ length: 300 }, (_, i) => ({ phase: 'install' as const, name: `c${i.toString(16).padStart(4, '0')}.tunnel.flood.example`, type: 'A' }));
    dns.push({ phase: 'install', name: 'registry.npmjs.org', type: 'A' });
    const connections = Array.from({ length: 300 }, (_, i) => ({ phase: 'install' as const, pid: 100, protocol: 'udp' as const, address: '198.51.100.7', port: 53, hostname: `c${i}.tunnel.flood.example`, result: 'ok' }));
    const report: Report = {
      ...base,
      package: { ...base.package, name: flooder },
      behavior: { ...base.behavior, network: { dns, connections, http: [], tls: [] } },
      canaries: [{ kind: 'npmrc', planted: '~/.npmrc', read: true, leaked: true, evidence: [{ encoding: 'hex', channel: 'dns', destination: 'flood.example', phase: 'install', index: 150 }] }],
      findings: [{ rule: 'dns-tunnel', severity: 'high', title: 'Encodes data in DNS names', explanation: 'e2e', phase: 'install', evidence: [{ kind: 'dns', index: 299, summary: 'the last lookup' }] }],
    };
    expect(await markRunning(prisma, analysis.id, 1)).toBe(true);
    expect(await completeAnalysis(prisma, analysis.id, { report, raw: [], retentionDays: 1 })).toBe(true);
    await page.goto(`${server.url}/analyses/${analysis.id}`);
    await page.locator('#network').waitFor();

    const group = page.getByTestId('dns-group').filter({ hasText: 'flood.example' });
    expect(await page.getByTestId('dns-group').first().textContent()).toContain('flood.example');
    // Five rows plus the one that carried the canary, not 300.
    expect(await group.locator('li').count()).toBe(6);
    expect(await page.locator('#dns-150').textContent()).toContain('canary');
    expect(await page.getByTestId('dns-group').filter({ hasText: 'npmjs.org' }).locator('li').count()).toBe(1);
    expect(await page.getByTestId('connection-group').filter({ hasText: 'flood.example' }).getByTestId('connection-row').count()).toBe(5);
    await shot(page, '04d-network-grouped');
    // The finding's link to a hidden lookup expands the groups and lands on it.
    expect(await page.locator('#dns-299').count()).toBe(0);
    await expectLandsInView(page, page.getByTestId('finding').filter({ hasText: 'dns-tunnel' }).locator('.evidence a[href="#dns-299"]'));
    expect(await group.locator('li').count()).toBe(300);
    // A shared link to that lookup opens with it on the page.
    await page.reload();
    await page.locator('#dns-299').waitFor();
    // "Show all" expands one destination.
    await page.goto(`${server.url}/analyses/${analysis.id}`);
    await page.locator('#network').waitFor();
    expect(await page.getByTestId('connection-row').count()).toBe(5);
    await page.getByTestId('connection-group').getByTestId('network-show-all').click();
    expect(await page.getByTestId('connection-row').count()).toBe(300);
  });

  it('a benign upload completes benign', async () => {
    await page.goto(`${server.url}/`);
    const file = await writeNpmArchive(path.join(dir, 'uploads'), harmless(names.benign, '1.0.0'));
    benignId = await uploadThroughForm(page, file);
    await waitForVerdict(page, 'benign');
    expect(await page.getByTestId('finding').filter({ hasText: /critical|high/ }).count()).toBe(0);
    await shot(page, '05-analysis-benign');
    // Its first version: nothing earlier to compare with, and the page says so.
    await page.getByRole('button', { name: 'Compare with the previous analyzed version' }).click();
    await expect.poll(() => page.locator('#baseline').getByRole('alert').textContent()).toContain('below 1.0.0');
  }, ANALYSIS_TIMEOUT_MS + 60_000);

  it('filters the list by name, verdict and rule', async () => {
    await page.goto(`${server.url}/`);
    const rows = page.getByTestId('analysis-row');
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(2);
    await shot(page, '06-list');

    const filters = page.getByRole('search');
    await filters.getByLabel('Name').fill(`e2e-stealer-${suffix}`);
    await filters.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(names.stealer);
    expect(page.url()).toContain(`q=e2e-stealer-${suffix}`);

    await filters.getByLabel('Name').fill(suffix);
    await filters.getByLabel('Verdict').selectOption('benign');
    await filters.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => rows.allTextContents()).toEqual([expect.stringContaining(names.benign)]);

    await filters.getByLabel('Verdict').selectOption('');
    await filters.getByLabel('Rule').fill('credential-exfiltration');
    await filters.getByLabel('Since').fill(new Date().toISOString().slice(0, 10));
    await filters.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => rows.allTextContents()).toEqual([expect.stringContaining(names.stealer)]);
    // More than a page: "Load more" (by keyboard) appends the next page under the same filters.
    await page.goto(`${server.url}/?limit=1&q=${suffix}`);
    await expect.poll(() => rows.count()).toBe(1);
    const more = page.getByRole('button', { name: 'Load more' });
    await more.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => rows.count()).toBe(2);
    const listed = await rows.allTextContents();
    expect(listed.some((t) => t.includes(names.stealer)) && listed.some((t) => t.includes(names.benign)), listed.join(' | ')).toBe(true);
    // Only the refusals the tests asked for: the wrong key (401), no version before 1.0.0 (404).
    expect(pageErrors.filter((e) => !e.includes('status of 401') && !e.includes('/diff?against=previous'))).toEqual([]);
    await shot(page, '07-list-filtered');
  });

  it('a malicious update submitted with "compare with the previous version" shows what it added; the package page diffs any two versions', async () => {
    await page.goto(`${server.url}/`);
    const file = await writeNpmArchive(path.join(dir, 'uploads'), npmrcThief(names.benign, '1.0.1'));
    const updateId = await uploadThroughForm(page, file, { comparePrevious: true });
    await waitForVerdict(page, 'malicious');
    // The worker compared it with the analyzed 1.0.0 (the baseline the API linked).
    const baseline = page.locator('#baseline');
    await baseline.waitFor();
    // The count is set apart from the version: not "Compared with 1.0.017".
    expect(await baseline.getByRole('heading').textContent()).toMatch(/^Compared with 1\.0\.0 · \d+ changes?$/);
    const added = (await baseline.getByTestId('diff').textContent()) ?? '';
    expect(added).toContain('telemetry.tidy-helper.example');
    expect(added).toContain('.npmrc');
    const newBehavior = page.getByTestId('finding').filter({ hasText: 'new-behavior' });
    expect(await newBehavior.count()).toBe(1);
    // Its evidence links point at the very rows of the diff, not just the section.
    const npmrcLink = newBehavior.getByRole('link', { name: /\.npmrc/ }).first();
    const href = (await npmrcLink.getAttribute('href')) ?? '';
    expect(href).toMatch(/^#diff-\d+$/);
    expect(await page.locator(href).textContent()).toContain('.npmrc');
    await npmrcLink.click();
    await expect.poll(() => page.evaluate('window.location.hash')).toBe(href);
    // File accesses are grouped by operation; the credential filter leaves the ~/.npmrc read.
    expect(await page.getByTestId('file-group').count()).toBeGreaterThan(1);
    await page.getByLabel('Credential paths only').check();
    const files = page.locator('#files li');
    await expect.poll(async () => (await files.allTextContents()).some((t) => t.includes('.npmrc'))).toBe(true);
    expect(await page.locator('#files li:not(.credential)').count()).toBe(0);
    await page.getByLabel('Credential paths only').uncheck();
    await shot(page, '08-analysis-update-vs-baseline');

    // An evidence link to a file row the Operation filter hides clears the filter and lands on it.
    const fileLink = page.locator('.evidence a[href^="#file-"]').first();
    const fileHref = (await fileLink.getAttribute('href'))!;
    const fileOp = (await page.locator(`${fileHref} .op`).textContent())!;
    const otherOp = (await page.locator('#files select option').allTextContents()).find((o) => o !== 'any' && o !== fileOp)!;
    await page.locator('#files').getByLabel('Operation').selectOption(otherOp);
    await expect.poll(() => page.locator(fileHref).count()).toBe(0);
    await expectLandsInView(page, fileLink);
    expect(await page.locator('#files').getByLabel('Operation').inputValue()).toBe('');

    // The timeline keeps the credential read and the request that carried it, in that order.
    const timeline = await page.getByTestId('timeline-item').allTextContents();
    const read = timeline.findIndex((t) => /read \S*\.npmrc/.test(t));
    const post = timeline.findIndex((t) => t.includes('POST telemetry.tidy-helper.example/v1/collect'));
    expect(read, timeline.join('\n')).toBeGreaterThanOrEqual(0);
    expect(post, timeline.join('\n')).toBeGreaterThan(read);
    expect(timeline[post]).toContain('canary');
    // The connection that carried the request shows what it sent and the canary, not "—".
    const conn = page.getByTestId('connection-row').filter({ hasText: 'telemetry.tidy-helper.example' }).first();
    const sent = (await conn.getByTestId('connection-sent').textContent()) ?? '';
    expect(sent).toMatch(/\d+ bytes|POST/);
    expect(sent).toContain('canary');

    // 1.0.0 analyzed again after 1.0.1: the package page still orders by version and diffs 1.0.0 → 1.0.1.
    await page.goto(`${server.url}/`);
    const again = await writeNpmArchive(path.join(dir, 'rerun'), harmless(names.benign, '1.0.0'));
    const rerunId = await uploadThroughForm(page, again, { force: true });
    expect(rerunId).not.toBe(benignId);
    await waitForVerdict(page, 'benign');

    await page.getByTestId('verdict-banner').getByRole('link', { name: `npm:${names.benign}` }).click();
    await page.waitForURL(`**/packages/npm/${names.benign}`);
    const versions = page.locator('#versions tbody tr');
    await expect.poll(() => versions.count()).toBe(2);
    // Newest version first, whatever was analyzed last.
    expect((await versions.allTextContents()).map((t) => t.slice(0, 5))).toEqual(['1.0.1', '1.0.0']);
    // The previous version is the base, the newer the target; the diff shows without a click.
    expect(await page.getByLabel('From').inputValue()).toBe(rerunId);
    expect(await page.getByLabel('To').inputValue()).toBe(updateId);
    const diff = page.getByTestId('diff');
    await diff.waitFor();
    expect(await page.getByTestId('diff-summary').textContent()).toMatch(/^1\.0\.0 → 1\.0\.1: [1-9]\d* added/);
    const text = (await diff.textContent()) ?? '';
    expect(text).toContain('telemetry.tidy-helper.example');
    expect(text).toContain('.npmrc');
    await shot(page, '09-package-diff');
  }, 2 * ANALYSIS_TIMEOUT_MS + 60_000);

  it('the batch page shows progress, counts by verdict, the policy outcome and the items', async () => {
    // An allowlist naming the three analyzed uploads: every item links to its existing analysis.
    const allowlist = [`npm:${names.stealer}@1.0.0`, `npm:${names.benign}@1.0.0`, `npm:${names.benign}@1.0.1`].join('\n');
    const res = await fetch(`${server.url}/v1/batches?filename=allowlist.txt`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'text/plain' },
      body: allowlist,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const { id } = (await res.json()) as { id: string };
    // A failed item as the API reports it (the sandboxed registry lookup is not available here):
    // appended to the real answer, so the page must say why it failed.
    await page.route(`**/v1/batches/${id}`, async (route) => {
      const real = await route.fetch();
      const body = (await real.json()) as { items: unknown[] };
      body.items.push({ ecosystem: 'npm', name: `vbx-e2e-missing-${suffix}`, version: '9.9.9', verdict: 'error', effectiveVerdict: 'error', status: 'failed', policyStatus: 'error', findings: [], topFindings: [], exceptedFindings: [], errorCode: 'PACKAGE_NOT_FOUND' });
      await route.fulfill({ response: real, json: body });
    });
    await page.goto(`${server.url}/batches/${id}`);
    await expect.poll(() => page.getByRole('progressbar').getAttribute('aria-valuenow'), { timeout: 60_000 }).toBe('100');
    const rows = page.locator('#items tbody tr');
    await expect.poll(() => rows.count()).toBe(4);
    expect(await rows.filter({ hasText: names.stealer }).getByTestId('verdict-badge').textContent()).toBe('malicious');
    expect(await rows.filter({ hasText: 'vbx-e2e-missing' }).textContent()).toMatch(/error · not found on the registry \(PACKAGE_NOT_FOUND\)/);
    expect(await page.getByTestId('batch-summary').textContent()).toMatch(/fail/i);
    await rows.filter({ hasText: names.stealer }).getByRole('link').click();
    await page.waitForURL(`**/analyses/${stealerId}`);
    await page.goBack();
    await rows.first().waitFor();
    await shot(page, '10-batch');
    await page.unroute(`**/v1/batches/${id}`);
  }, 120_000);

  it('the API docs linked from the header render under the same Content-Security-Policy', async () => {
    const errors: string[] = [];
    const p = await context.newPage();
    p.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    try {
      await p.goto(`${server.url}/docs/`);
      await p.getByText('/v1/analyses/{id}/diff').first().waitFor();
      expect(errors.filter((e) => /Content Security Policy|Refused/i.test(e))).toEqual([]);
      await shot(p, '13-api-docs');
    } finally {
      await p.close();
    }
  });

  it('is readable on a phone-size viewport', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    try {
      const p = await phone.newPage();
      await p.goto(`${server.url}/`);
      await p.getByLabel('API key').fill(apiKey);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('heading', { name: 'Analyses' }).waitFor();
      await p.getByTestId('analysis-row').first().waitFor();
      // Strings: the test's tsconfig has no DOM types.
      const overflow = () => p.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as Promise<number>;
      // What sticks out, named for the failure message.
      const offenders = () =>
        p.evaluate(`[...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !e.closest('.table-wrap, pre'))
          .slice(0, 8).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + ' ' + (e.textContent || '').slice(0, 60)).join(' | ')`) as Promise<string>;
      expect(await overflow(), `no horizontal page scroll on the list: ${await offenders()}`).toBeLessThanOrEqual(0);
      // Every column of the list is readable: none is cut off inside a side-scrolling table.
      expect(await cellsOverflow(p, '[data-testid=analysis-row]')).toBeLessThanOrEqual(0);
      await shot(p, '11-phone-list');
      await p.goto(`${server.url}/analyses/${stealerId}`);
      await waitForVerdict(p, 'malicious');
      expect(await overflow(), `no horizontal page scroll on the report: ${await offenders()}`).toBeLessThanOrEqual(0);
      expect(await cellsOverflow(p, '[data-testid=connection-row]')).toBeLessThanOrEqual(0);
      await shot(p, '12-phone-analysis');
      // The section menu wraps on a phone: evidence still lands below it.
      await expectLandsInView(p, p.locator('.evidence a[href^="#"]:not([href="#baseline"])').first());
      await shot(p, '12b-phone-evidence-target');
    } finally {
      await phone.close();
    }
  });

  it('a deep link opened with a stale saved key says the key was not accepted', async () => {
    const ctx = await browser.newContext();
    try {
      await ctx.addInitScript(`sessionStorage.getItem('vetbox.apiKey') === null && !sessionStorage.getItem('seeded') && (sessionStorage.setItem('vetbox.apiKey', 'vbx_stale-key-${suffix}'), sessionStorage.setItem('seeded', '1'))`);
      const p = await ctx.newPage();
      await p.goto(`${server.url}/analyses/${stealerId}`);
      await p.getByLabel('API key').waitFor();
      await expect.poll(() => p.getByRole('alert').textContent()).toContain('Your saved API key was not accepted');
      await shot(p, '14-stale-key');
      // An unknown page is the UI's own not-found page (status 404), not API JSON.
      const res = await p.goto(`${server.url}/no-such-page`);
      expect(res?.status()).toBe(404);
      expect(res?.headers()['content-type']).toContain('text/html');
    } finally {
      await ctx.close();
    }
  });

  it('a key revoked mid-session sends the reader back to the sign-in form', async () => {
    const { key, record } = await createApiKey(prisma, { name: `e2e-ui-revoked-${suffix}`, role: 'read' });
    const ctx = await browser.newContext();
    try {
      const p = await ctx.newPage();
      await p.goto(`${server.url}/analyses/${stealerId}`);
      await p.getByLabel('API key').fill(key);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await waitForVerdict(p, 'malicious');
      await revokeApiKey(prisma, record.id);
      // The API caches a key for up to 10 s (auth.ts CACHE_MS): wait until it refuses this one,
      // then navigate; the UI must answer that 401 by returning to the sign-in form.
      const refused = async () => (await fetch(`${server.url}/v1/analyses?limit=1`, { headers: { authorization: `Bearer ${key}` } })).status === 401;
      for (const until = Date.now() + 20_000; !(await refused()); ) {
        if (Date.now() > until) throw new Error('the API still accepts the revoked key after 20 s');
        await new Promise((r) => setTimeout(r, 500));
      }
      await p.getByRole('link', { name: 'Analyses' }).click();
      await p.getByLabel('API key').waitFor();
      expect(await p.evaluate('sessionStorage.length')).toBe(0);
    } finally {
      await ctx.close();
      await prisma.apiKey.deleteMany({ where: { id: record.id } });
    }
  });
});
