import type { Finding, Severity, Verdict } from '@vetbox/contracts';
import { ruleInfo } from './catalog.js';

/** Points per finding; a rule counts once per severity however many phases it fired in. */
export const SEVERITY_POINTS: Record<Severity, number> = { critical: 70, high: 30, medium: 10, low: 2, info: 0 };

/** Score bands the verdict pins the score into, so score and verdict never disagree. */
export const VERDICT_BANDS: Record<Exclude<Verdict, 'error'>, readonly [number, number]> = {
  benign: [0, 19],
  suspicious: [20, 69],
  malicious: [70, 100],
};

const RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

export function atLeast(severity: Severity, floor: Severity): boolean {
  return RANK[severity] >= RANK[floor];
}

export interface Scored {
  verdict: Exclude<Verdict, 'error'>;
  score: number;
  summary: string;
  /** Why the verdict is what it is, when a combination (not one finding) decided it. */
  corroboration?: string;
}

/** Behavior that confirms what the code reads like (the obfuscated setup.py that also contacted a host). */
const CORROBORATING = new Set(['egress', 'exfiltration', 'collection', 'execution', 'persistence']);

/**
 * Pairs of behaviors that together make an attack chain: each alone has innocent explanations,
 * together they do not (secrets read, then a channel out; a payload fetched, then run).
 */
function corroboration(findings: readonly Finding[]): string | undefined {
  const has = (rule: string, floor: Severity) => findings.some((f) => f.rule === rule && atLeast(f.severity, floor));
  // What left is the machine's own (its identity, its environment): the send is the attack.
  const machineData = has('identity-exfiltration', 'high') || has('environment-exfiltration', 'high');
  if (machineData && (has('network-activity', 'medium') || has('exfiltration-channel', 'low'))) {
    return "the machine's identity or environment sent to a destination outside";
  }
  if (has('credential-store-read', 'high') && (has('network-activity', 'medium') || has('downloader-execution', 'medium'))) {
    return 'credential-store read together with network activity';
  }
  if (has('typosquatting', 'medium') && findings.some((f) => f.rule !== 'typosquatting' && atLeast(f.severity, 'high'))) {
    return 'a look-alike name together with high-severity behavior';
  }
  const staticSignal = findings.some((f) => f.rule.startsWith('static-') && atLeast(f.severity, 'medium'));
  const behaviorSignal = findings.some((f) => !f.rule.startsWith('static-') && CORROBORATING.has(ruleInfo(f.rule).category) && atLeast(f.severity, 'medium'));
  if (staticSignal && behaviorSignal) return 'static code signals together with matching behavior';
  const highCategories = new Set(findings.filter((f) => atLeast(f.severity, 'high')).map((f) => ruleInfo(f.rule).category));
  if (highCategories.size >= 2) return `high-severity findings in ${highCategories.size} independent categories (${[...highCategories].join(', ')})`;
  return undefined;
}

/**
 * Verdict: malicious on any critical finding or a corroborated pair of high ones; suspicious on
 * any other finding above low; benign otherwise. The score adds points per distinct (rule,
 * severity) and is then clamped into the verdict's band.
 */
export function score(findings: readonly Finding[]): Scored {
  const distinct = new Map<string, Severity>();
  for (const f of findings) distinct.set(`${f.rule}:${f.severity}`, f.severity);
  const raw = [...distinct.values()].reduce((sum, s) => sum + SEVERITY_POINTS[s], 0);

  const critical = findings.filter((f) => f.severity === 'critical');
  const because = critical.length > 0 ? undefined : corroboration(findings);
  let verdict: Scored['verdict'];
  if (critical.length > 0 || because) verdict = 'malicious';
  else if (findings.some((f) => atLeast(f.severity, 'medium'))) verdict = 'suspicious';
  else verdict = 'benign';

  const [lo, hi] = VERDICT_BANDS[verdict];
  const clamped = Math.min(hi, Math.max(lo, raw));
  return { verdict, score: clamped, summary: summarize(verdict, findings, because), corroboration: because };
}

function summarize(verdict: Scored['verdict'], findings: readonly Finding[], because: string | undefined): string {
  const worst = [...findings].sort((a, b) => RANK[b.severity] - RANK[a.severity]);
  const names = [...new Set(worst.filter((f) => atLeast(f.severity, 'medium')).map((f) => `${f.rule} (${f.severity})`))];
  if (verdict === 'benign') {
    const lows = new Set(findings.map((f) => f.rule));
    return lows.size === 0 ? 'benign: no finding' : `benign: only low-severity findings (${[...lows].join(', ')})`;
  }
  const head = names.slice(0, 4).join(', ') + (names.length > 4 ? `, +${names.length - 4} more` : '');
  return because ? `${verdict}: ${because}: ${head}` : `${verdict}: ${head}`;
}
