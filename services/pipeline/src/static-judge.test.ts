// The static pass joined with behavior (#20): the imitation fixtures read statically, judged with
// the phases failing as they fail in the sandbox, and the guarantees around incompleteness.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyBehavior, type PhaseReport, type SandboxInfo, type StaticAnalysis } from '@vetbox/contracts';
import { staticPass } from '@vetbox/static';
import { bundledPeLauncher, obfuscatedSetupPy, remoteLoader, windowsStealer, writeFixtureArchive, type FixtureFiles } from '../../static/src/__fixtures__/imitation.js';
import { judge, rescoreReport, type JudgeInput } from './judge.js';

const sandbox: SandboxInfo = { image: 'vetbox-sandbox:test', hostname: 'dev-x', user: 'ana', home: '/home/ana', workdir: '/home/ana/project', packageDirs: [], network: 'sinkhole' };
const ok = (name: PhaseReport['name']): PhaseReport => ({ name, status: 'completed', exitCode: 0, durationMs: 10, stdoutTail: '', stderrTail: '' });
const failed = (name: PhaseReport['name'], stderr: string): PhaseReport => ({ name, status: 'error_other', exitCode: 1, durationMs: 10, stdoutTail: '', stderrTail: stderr, reason: 'exit code 1' });

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vetbox-static-judge-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function read(fx: FixtureFiles, ecosystem: 'npm' | 'pypi'): Promise<StaticAnalysis> {
  return staticPass({ ecosystem, name: fx.name, archivePath: await writeFixtureArchive(dir, fx, ecosystem) });
}

function input(fx: FixtureFiles, ecosystem: 'npm' | 'pypi', phases: PhaseReport[], statics?: StaticAnalysis): JudgeInput {
  return {
    analysisId: `a-${fx.name}`,
    analyzerVersion: 'test',
    package: { ecosystem, name: fx.name, version: fx.version, sha256: 'a'.repeat(64), source: 'upload' },
    behavior: emptyBehavior(),
    canaries: [],
    sandbox,
    phases,
    ...(statics ? { static: statics } : {}),
  };
}

describe('static signals judged with behavior', () => {
  it('the obfuscated setup.py whose payload died: suspicious, incomplete, the exec located with its decoded layer', async () => {
    const fx = obfuscatedSetupPy();
    const report = judge(input(fx, 'pypi', [failed('install', "Traceback (most recent call last):\nModuleNotFoundError: No module named 'browser_cookie_vault'\nerror: subprocess-exited-with-error"), failed('import', '')], await read(fx, 'pypi')));
    expect(report.verdict).not.toBe('benign');
    expect(report.incomplete).toBe(true);
    expect(report.incompletePhases![0]).toEqual({ phase: 'install', reason: "exit code 1: ModuleNotFoundError: No module named 'browser_cookie_vault'" });
    expect(report.summary).toContain("incomplete: install exit code 1: ModuleNotFoundError: No module named 'browser_cookie_vault'");
    const exec = report.findings.find((f) => f.rule === 'static-code-execution')!;
    expect(exec.severity).toBe('high');
    const ref = exec.evidence[0]!;
    expect(ref.kind).toBe('static');
    expect(report.static!.signals[ref.index!]).toMatchObject({ kind: 'exec-decoded', file: 'setup.py', line: 2 });
    expect(report.findings.map((f) => f.rule)).toContain('static-obfuscation');
  });

  it('the same setup.py that also contacted a host is malicious (static corroborated by behavior)', async () => {
    const fx = obfuscatedSetupPy();
    const i = input(fx, 'pypi', [ok('install'), ok('import')], await read(fx, 'pypi'));
    i.behavior.network.connections.push({ phase: 'install', pid: 7, protocol: 'tcp', address: '203.0.113.50', port: 80, result: 'ok', sentBytes: 120 });
    const report = judge(i);
    expect(report.verdict).toBe('malicious');
    expect(report.incomplete).toBe(false);
  });

  it('the Windows-only stealer that never ran on Linux: at least suspicious, the platform gate explained', async () => {
    const fx = windowsStealer();
    const report = judge(input(fx, 'pypi', [ok('install'), failed('import', "TypeError: expected str, bytes or os.PathLike object, not NoneType")], await read(fx, 'pypi')));
    expect(report.verdict).not.toBe('benign');
    expect(report.findings.map((f) => f.rule)).toEqual(expect.arrayContaining(['static-credential-targeting', 'static-exfil-endpoint']));
    expect(report.findings.find((f) => f.rule === 'static-exfil-endpoint')!.explanation).toContain('gated to Windows');
    expect(report.incompletePhases?.map((p) => p.phase)).toEqual(['import']);
  });

  it('the npm postinstall that launches a bundled PE: suspicious with the launch located', async () => {
    const fx = bundledPeLauncher();
    const report = judge(input(fx, 'npm', [failed('install', 'Error: spawn ENOEXEC'), ok('import')], await read(fx, 'npm')));
    expect(report.verdict).not.toBe('benign');
    const f = report.findings.find((x) => x.rule === 'static-bundled-executable')!;
    expect(f.severity).toBe('high');
    expect(f.evidence[0]!.summary).toContain('install.js:3');
  });

  it('the loader that exec()s downloaded text is malicious on static evidence alone', async () => {
    const fx = remoteLoader();
    const report = judge(input(fx, 'pypi', [ok('install'), failed('import', 'SyntaxError: invalid syntax')], await read(fx, 'pypi')));
    expect(report.verdict).toBe('malicious');
    expect(report.findings[0]!.rule).toBe('static-code-execution');
    expect(report.findings[0]!.severity).toBe('critical');
  });

  it('never benign with a failed phase and a static signal: a low signal is raised', () => {
    const fx = { name: 'sdk-demo', version: '1.0.0', files: {} };
    const statics: StaticAnalysis = {
      filesAnalyzed: 1, bytesAnalyzed: 10, filesInPackage: 1, entryPoints: ['sdk/__init__.py'], durationMs: 1,
      signals: [{ kind: 'credential-path', file: 'sdk/__init__.py', line: 4, snippet: "'~/.aws/credentials'", detail: 'names cloud credential data', reach: ['import'], target: 'cloud' }],
    };
    const complete = judge(input(fx, 'pypi', [ok('install'), ok('import')], statics));
    expect(complete.verdict).toBe('benign');
    expect(complete.findings.map((f) => `${f.rule}:${f.severity}`)).toEqual(['static-credential-targeting:low']);
    const broken = judge(input(fx, 'pypi', [ok('install'), failed('import', "ModuleNotFoundError: No module named 'botocore'")], statics));
    expect(broken.verdict).toBe('suspicious');
    expect(broken.findings[0]!.explanation).toContain('Raised from low');
  });

  it('a failed phase without static signals stays benign but says it is incomplete; rescore keeps it', () => {
    const fx = { name: 'plain-demo', version: '1.0.0', files: {} };
    const report = judge(input(fx, 'npm', [failed('install', 'npm error code 1'), ok('import')]));
    expect(report.verdict).toBe('benign');
    expect(report.incomplete).toBe(true);
    expect(report.summary).toMatch(/^benign: no finding \(incomplete: install exit code 1/);
    expect(rescoreReport(report)).toMatchObject({ verdict: 'benign', incomplete: true, summary: report.summary });
  });

  it('rescore judges stored static evidence again without the archive', async () => {
    const fx = remoteLoader();
    const report = judge(input(fx, 'pypi', [ok('install'), ok('import')], await read(fx, 'pypi')));
    const stale = { ...report, verdict: 'benign' as const, score: 0, findings: [] };
    expect(rescoreReport(stale)).toMatchObject({ verdict: 'malicious', findings: report.findings });
  });
});
