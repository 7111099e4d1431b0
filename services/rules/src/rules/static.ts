import type { Severity, StaticSignal, StaticSignalKind } from '@vetbox/contracts';
import type { Draft, Evidence, RuleContext } from '../context.js';
import { binaryHost, hostMatches, isIpLiteral, normalizeHost, RELEASE_HOSTS } from '../hosts.js';
import { atLeast } from '../scoring.js';

/**
 * Rules over the static pass's signals (report.static, evidence kind `static`). A signal counts
 * fully where the code runs (install, import, a command, a file a phase opened); what a signal
 * means alone is its severity here, what it means with behavior is decided in scoring.
 */

const RUNS = new Set(['install', 'import', 'execute', 'opened']);

function runs(s: StaticSignal): boolean {
  return s.reach.some((r) => RUNS.has(r));
}

function where(s: StaticSignal): string {
  return `${s.file}:${s.line}${s.layerDepth ? ` (decoded layer ${s.layerDepth})` : ''}`;
}

export function staticEvidence(s: StaticSignal, index: number, what = s.detail): Evidence {
  return { kind: 'static', index, summary: `${where(s)} ${what}`, key: `${s.kind}:${s.file}:${s.layerDepth ?? 0}:${s.target ?? s.format ?? s.detail}` };
}

/** Signals of some kinds with their index in report.static.signals. */
function signals(ctx: RuleContext, ...kinds: StaticSignalKind[]): Array<{ s: StaticSignal; index: number }> {
  return (ctx.input.static?.signals ?? []).map((s, index) => ({ s, index })).filter(({ s }) => kinds.includes(s.kind));
}

/** The file is gated to Windows: say so, since the sandbox runs Linux and could not see the payload act. */
function platformNote(ctx: RuleContext, files: Iterable<string>): string | undefined {
  const wanted = new Set(files);
  const gate = signals(ctx, 'platform-gate').find(({ s }) => wanted.has(s.file));
  return gate ? `The code is gated to Windows (${gate.s.detail.replace(/^Windows-only: /, '')}, ${where(gate.s)}): the payload targets a platform the sandbox is not, so behavior alone could not show it.` : undefined;
}

function draft(ctx: RuleContext, rule: string, severity: Severity, evidence: Evidence[], files: Iterable<string>, detail?: string): Draft[] {
  if (evidence.length === 0) return [];
  const note = [detail, platformNote(ctx, files)].filter(Boolean).join(' ');
  return [{ rule, severity, phase: null, evidence, ...(note ? { detail: note } : {}) }];
}

function max(a: Severity, b: Severity): Severity {
  return atLeast(a, b) ? a : b;
}

/** Something a decoded layer does beyond decoding: the hidden payload's own signals. */
function payloadInLayers(ctx: RuleContext): boolean {
  return signals(ctx, 'credential-path', 'exfil-endpoint', 'exec-fetched', 'download-run').some(({ s }) => (s.layerDepth ?? 0) > 0);
}

/** static-code-execution: exec/eval/Function/vm over fetched or decoded data. */
export function staticCodeExecution(ctx: RuleContext): Draft[] {
  let severity: Severity = 'low';
  const evidence: Evidence[] = [];
  const files = new Set<string>();
  for (const { s, index } of signals(ctx, 'exec-fetched', 'exec-decoded')) {
    if (!runs(s)) continue;
    files.add(s.file);
    if (s.kind === 'exec-fetched') severity = max(severity, 'critical');
    else severity = max(severity, payloadInLayers(ctx) ? 'high' : 'medium');
    evidence.push(staticEvidence(s, index));
  }
  const detail =
    severity === 'critical'
      ? 'The code runs what it downloads: a loader, whatever the download holds at the time.'
      : severity === 'high'
        ? 'The decoded layer itself targets credentials or the network: a hidden payload.'
        : undefined;
  return draft(ctx, 'static-code-execution', severity, evidence, files, detail);
}

/** static-download-execute: downloads, then spawns, runs or chmods. */
export function staticDownloadExecute(ctx: RuleContext): Draft[] {
  let severity: Severity = 'low';
  const evidence: Evidence[] = [];
  const files = new Set<string>();
  for (const { s, index } of signals(ctx, 'download-run')) {
    if (!runs(s)) continue;
    files.add(s.file);
    const hosts = (s.urls ?? []).map(hostOf).filter((h): h is string => h !== undefined);
    const trusted = hosts.length > 0 && hosts.every((h) => isTrustedDownloadHost(ctx, h));
    const raw = hosts.some((h) => isIpLiteral(h));
    severity = max(severity, trusted ? 'low' : raw || hosts.length > 0 ? 'high' : 'medium');
    evidence.push(staticEvidence(s, index));
  }
  return draft(ctx, 'static-download-execute', severity, evidence, files);
}

function hostOf(url: string): string | undefined {
  try {
    return normalizeHost(new URL(url.includes('://') ? url : `http://${url}`).hostname);
  } catch {
    return undefined;
  }
}

function isTrustedDownloadHost(ctx: RuleContext, host: string): boolean {
  return (
    ctx.registryHosts.some((h) => hostMatches(host, h)) ||
    ctx.releaseHosts.some((h) => hostMatches(host, h)) ||
    RELEASE_HOSTS.some((h) => hostMatches(host, h)) ||
    binaryHost(host) !== undefined
  );
}

/** static-obfuscation: known obfuscators and layered decoders in code that runs. */
export function staticObfuscation(ctx: RuleContext): Draft[] {
  const evidence: Evidence[] = [];
  const files = new Set<string>();
  for (const { s, index } of signals(ctx, 'obfuscated')) {
    if (!runs(s)) continue;
    files.add(s.file);
    evidence.push(staticEvidence(s, index));
  }
  return draft(ctx, 'static-obfuscation', 'medium', evidence, files);
}

/** static-bundled-executable: executables shipped in the package, high when install/import code launches one. */
export function staticBundledExecutable(ctx: RuleContext): Draft[] {
  const launched = signals(ctx, 'launches-bundled-executable').filter(({ s }) => runs(s));
  if (launched.length > 0) {
    return draft(ctx, 'static-bundled-executable', 'high', launched.map(({ s, index }) => staticEvidence(s, index)), launched.map(({ s }) => s.file), 'Install or import code launches a program the package ships: what it does was never in readable code.');
  }
  const bundled = signals(ctx, 'bundled-executable');
  return draft(ctx, 'static-bundled-executable', 'low', bundled.map(({ s, index }) => staticEvidence(s, index)), []);
}

const STEALER_TARGETS = new Set(['browser', 'discord', 'telegram', 'steam', 'wallet']);

/** static-credential-targeting: code that names stealers' targets (browser profiles, Discord, wallets...). */
export function staticCredentialTargeting(ctx: RuleContext): Draft[] {
  const found = signals(ctx, 'credential-path').filter(({ s }) => runs(s));
  if (found.length === 0) return [];
  const channel = signals(ctx, 'exfil-endpoint', 'exec-fetched', 'download-run').length > 0;
  const hidden = found.some(({ s }) => (s.layerDepth ?? 0) > 0);
  const stealer = found.some(({ s }) => STEALER_TARGETS.has(s.target ?? ''));
  // SDKs name ~/.aws/credentials and ~/.ssh keys legitimately; stealer targets, hidden or paired with a channel out, they do not.
  const severity: Severity = channel || hidden ? 'high' : stealer ? 'medium' : 'low';
  const targets = [...new Set(found.map(({ s }) => s.target))].join(', ');
  return draft(ctx, 'static-credential-targeting', severity, found.map(({ s, index }) => staticEvidence(s, index)), found.map(({ s }) => s.file), `Targets: ${targets}.${channel ? ' The package also holds a way to send data out.' : ''}${hidden ? ' The paths sit inside a decoded layer.' : ''}`);
}

/** static-exfil-endpoint: a Discord webhook or Telegram bot URL in the code. */
export function staticExfilEndpoint(ctx: RuleContext): Draft[] {
  const found = signals(ctx, 'exfil-endpoint');
  return draft(ctx, 'static-exfil-endpoint', 'high', found.map(({ s, index }) => staticEvidence(s, index)), found.map(({ s }) => s.file));
}

export const STATIC_RULES = [staticCodeExecution, staticDownloadExecute, staticObfuscation, staticBundledExecutable, staticCredentialTargeting, staticExfilEndpoint] as const;
