import { describe, expect, it } from 'vitest';
import { decideVersion, versionsToPrefetch, type AnalysisFact, type GateDecision, type VersionFacts } from './decide.js';
import { formatDuration, parseDuration } from './duration.js';
import { DEFAULT_GATE_POLICY, effectivePolicy, parseGatePolicy } from './policy.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const DAY = 86_400_000;

const analysis = (over: Partial<AnalysisFact> = {}): AnalysisFact => ({
  id: '00000000-0000-4000-8000-000000000001',
  status: 'completed',
  verdict: 'benign',
  summary: 'no finding above low',
  errorMessage: null,
  sha256: 'a'.repeat(64),
  createdAt: new Date(NOW.getTime() - 30 * DAY),
  finishedAt: new Date(NOW.getTime() - 30 * DAY),
  ...over,
});

const facts = (over: Partial<VersionFacts> = {}): VersionFacts => ({
  ecosystem: 'npm',
  name: 'tidy',
  version: '1.0.0',
  publishedAt: new Date(NOW.getTime() - 30 * DAY),
  completed: analysis(),
  inFlight: null,
  failed: null,
  approval: null,
  knownMalicious: null,
  ...over,
});

const policy = effectivePolicy(DEFAULT_GATE_POLICY);
const decide = (f: Partial<VersionFacts>, p = policy) => decideVersion(facts(f), p, NOW);
const approval = { id: 'ap1', reason: 'reviewed in SEC-1', expiresAt: new Date(NOW.getTime() + DAY), createdAt: NOW };

describe('decideVersion', () => {
  it('serves an old benign version with the analyzed sha256 to check bytes against', () => {
    const d = decide({});
    expect(d).toMatchObject({ state: 'allowed', served: true, sha256: 'a'.repeat(64), verdict: 'benign' });
  });

  it('holds suspicious under the default policy, serves it when the package fails only on malicious', () => {
    const suspicious = { completed: analysis({ verdict: 'suspicious', summary: 'reads ~/.npmrc' }) };
    expect(decide(suspicious)).toMatchObject({ state: 'suspicious', served: false });
    expect(decide(suspicious).reason).toContain('reads ~/.npmrc');
    const lenient = effectivePolicy(DEFAULT_GATE_POLICY, { failOn: 'malicious', reason: 'internal tool' });
    expect(decide(suspicious, lenient)).toMatchObject({ state: 'allowed', served: true });
  });

  it('blocks malicious whatever an approval says; a known-malicious listing beats a benign verdict', () => {
    expect(decide({ completed: analysis({ verdict: 'malicious', summary: 'posts ~/.npmrc' }), approval })).toMatchObject({ state: 'malicious', served: false });
    const listed = decide({ knownMalicious: { source: 'osv', id: 'MAL-2026-1', summary: 'credential stealer' }, approval });
    expect(listed).toMatchObject({ state: 'malicious', served: false });
    expect(listed.reason).toContain('MAL-2026-1');
  });

  it('a policy exception that removes the findings lets a suspicious version through', () => {
    const p = parseGatePolicy({ exceptions: [{ package: 'npm:tidy@1.0.0', rule: 'credential-store-read', reason: 'reads its own config', expires: '2027-06-30' }] });
    const withFinding = { completed: analysis({ verdict: 'suspicious', findings: [{ rule: 'credential-store-read', severity: 'high' }] }) };
    expect(decide(withFinding, effectivePolicy(p))).toMatchObject({ state: 'allowed', effectiveVerdict: 'benign' });
    const expired = parseGatePolicy({ exceptions: [{ package: 'npm:tidy@1.0.0', rule: 'credential-store-read', reason: 'x', expires: '2026-01-01' }] });
    expect(decide(withFinding, effectivePolicy(expired)).state).toBe('suspicious');
  });

  it('an incomplete analysis is held only when the policy fails on incomplete analyses', () => {
    const incomplete = { completed: analysis({ incomplete: true }) };
    expect(decide(incomplete).state).toBe('allowed');
    const strict = effectivePolicy(parseGatePolicy({ failOnIncomplete: true }));
    expect(decide(incomplete, strict)).toMatchObject({ state: 'failed', served: false });
    expect(decide(incomplete, strict).reason).toMatch(/could not run every phase/);
  });

  it('holds queued, running and never-seen versions; only never-seen ones ask to be queued', () => {
    expect(decide({ completed: null, inFlight: analysis({ status: 'queued', verdict: null }) })).toMatchObject({ state: 'queued', shouldQueue: false });
    expect(decide({ completed: null, inFlight: analysis({ status: 'running', verdict: null }) })).toMatchObject({ state: 'running' });
    expect(decide({ completed: null })).toMatchObject({ state: 'unvetted', served: false, shouldQueue: true });
    // An approval cannot skip the analysis.
    expect(decide({ completed: null, approval })).toMatchObject({ state: 'unvetted', served: false });
  });

  it('a failed analysis holds the version (fail closed), is retried an hour later, and an approval lifts it', () => {
    const failedRecently = analysis({ status: 'failed', verdict: null, errorMessage: 'sandbox died', finishedAt: new Date(NOW.getTime() - 60_000) });
    expect(decide({ completed: null, failed: failedRecently })).toMatchObject({ state: 'failed', shouldQueue: false });
    expect(decide({ completed: null, failed: { ...failedRecently, finishedAt: new Date(NOW.getTime() - 2 * 3_600_000) } }).shouldQueue).toBe(true);
    expect(decide({ completed: null, failed: failedRecently, approval })).toMatchObject({ state: 'approved', served: true });
    expect(decide({ completed: analysis({ verdict: 'error' }) })).toMatchObject({ state: 'failed' });
  });

  it('holds a benign version younger than the cooldown until it ages, per deployment and per package', () => {
    const young = { publishedAt: new Date(NOW.getTime() - 2 * 3_600_000) };
    const d = decide(young);
    expect(d).toMatchObject({ state: 'cooldown', served: false });
    expect(d.availableAt?.toISOString()).toBe(new Date(NOW.getTime() - 2 * 3_600_000 + 3 * DAY).toISOString());
    expect(d.reason).toMatch(/released 2 h ago; versions are served 3d after release/);
    expect(decide(young, effectivePolicy(parseGatePolicy({ cooldown: '1h' })))).toMatchObject({ state: 'allowed' });
    expect(decide(young, effectivePolicy(DEFAULT_GATE_POLICY, { cooldownSeconds: 0, reason: 'our own package' }))).toMatchObject({ state: 'allowed' });
    expect(decide({ publishedAt: null })).toMatchObject({ state: 'cooldown' });
    expect(decide({ ...young, approval })).toMatchObject({ state: 'approved', served: true, sha256: 'a'.repeat(64) });
    expect(decide({ ...young, approval: { ...approval, expiresAt: new Date(NOW.getTime() - 1) } }).state).toBe('cooldown');
  });
});

describe('versionsToPrefetch', () => {
  it('queues only never-seen versions among the newest stable releases', () => {
    const at = (d: number) => new Date(NOW.getTime() - d * DAY);
    const versions = [
      { version: '1.0.0', publishedAt: at(40), prerelease: false },
      { version: '1.1.0', publishedAt: at(30), prerelease: false },
      { version: '1.2.0', publishedAt: at(20), prerelease: false },
      { version: '2.0.0-rc.1', publishedAt: at(1), prerelease: true },
      { version: '1.3.0', publishedAt: at(10), prerelease: false },
    ];
    const state = (s: GateDecision['state']) => ({ state: s, served: false, reason: '', shouldQueue: s === 'unvetted' }) as GateDecision;
    const decisions = new Map([
      ['1.0.0', state('unvetted')],
      ['1.1.0', state('unvetted')],
      ['1.2.0', state('allowed')],
      ['1.3.0', state('unvetted')],
      ['2.0.0-rc.1', state('unvetted')],
    ]);
    expect(versionsToPrefetch(versions, decisions, 3)).toEqual(['1.3.0', '1.1.0']);
    expect(versionsToPrefetch(versions, decisions, 0)).toEqual([]);
  });
});

describe('policy documents', () => {
  it('reads durations and refuses what is not one, listing every problem', () => {
    expect(parseDuration('1d12h')).toBe(129_600);
    expect(formatDuration(129_600)).toBe('1d12h');
    expect(parseGatePolicy('cooldown: 12h\nfailOn: malicious\n')).toMatchObject({ cooldown: 43_200, failOn: 'malicious', failOnError: true });
    expect(DEFAULT_GATE_POLICY).toMatchObject({ failOn: 'suspicious', cooldown: 259_200 });
    expect(() => parseGatePolicy({ cooldown: 'soon', failOn: 'maybe' })).toThrow(/failOn: Invalid option[\s\S]*cooldown: "soon" is not a duration/);
    expect(() => parseGatePolicy({ coolDown: '1d' })).toThrow(/coolDown/);
  });
});
