import { PHASES, SEVERITY_ORDER, type Finding, type Indicator, type Report } from '@vetbox/contracts';
import { extractIndicators } from './indicators.js';
import { SandboxInternals } from './internal.js';

export const OSV_SCHEMA_VERSION = '1.6.0';

/** Where the record points readers: the report page, the JSON report, the indicators. */
export interface OsvLinks {
  /** The report page in vetbox's web UI. */
  analysis: string;
  /** The JSON report (`/v1/analyses/{id}/report`). */
  report: string;
  indicators: string;
}

export interface OsvInput {
  /** `VBX-<year>-<n>` (see osvIdFor). */
  id: string;
  /** When the id was first given. */
  published: Date;
  /** When the analysis behind this export finished (or was last rescored). */
  modified: Date;
  analysisId: string;
  report: Report;
  links: OsvLinks;
}

/** The part of an OSV record vetbox writes (schema 1.6; see schema/osv-1.6.schema.json). */
export interface OsvRecord {
  schema_version: string;
  id: string;
  modified: string;
  published: string;
  aliases?: string[];
  summary: string;
  details: string;
  affected: Array<{
    package: { ecosystem: 'npm' | 'PyPI'; name: string; purl: string };
    versions: string[];
    database_specific: Record<string, unknown>;
  }>;
  references: Array<{ type: 'REPORT' | 'EVIDENCE' | 'PACKAGE' | 'DETECTION'; url: string }>;
  credits: Array<{ name: string; type: 'TOOL' }>;
  database_specific: Record<string, unknown>;
}

/** Only malicious and suspicious analyses become records: a benign or failed one has nothing to share. */
export function hasOsvRecord(report: Pick<Report, 'verdict'>): boolean {
  return report.verdict === 'malicious' || report.verdict === 'suspicious';
}

/**
 * An analysis as an OSV record, in the shape ossf/malicious-packages uses for `MAL-` entries:
 * the affected package with its exact version, `details` written from the findings phase by
 * phase, `database_specific` with the verdict, findings, indicators and the analysis link,
 * references to the report. Known-malicious records naming the version become `aliases`.
 */
export function buildOsvRecord(input: OsvInput): OsvRecord {
  const { report } = input;
  const pkg = report.package;
  const ecosystem = pkg.ecosystem === 'npm' ? 'npm' : 'PyPI';
  const indicators = extractIndicators(report);
  const aliases = (report.knownMalicious ?? []).map((r) => r.id);
  const references: OsvRecord['references'] = [
    { type: 'REPORT', url: input.links.analysis },
    { type: 'EVIDENCE', url: input.links.report },
    ...(indicators.length > 0 ? [{ type: 'DETECTION' as const, url: input.links.indicators }] : []),
    ...(pkg.source === 'registry' ? [{ type: 'PACKAGE' as const, url: packagePage(pkg.ecosystem, pkg.name) }] : []),
  ];
  return {
    schema_version: OSV_SCHEMA_VERSION,
    id: input.id,
    modified: rfc3339(input.modified),
    published: rfc3339(input.published),
    ...(aliases.length > 0 ? { aliases } : {}),
    summary: `${report.verdict === 'malicious' ? 'Malicious code' : 'Suspicious behavior'} in ${pkg.name} (${ecosystem})`,
    details: writeDetails(report, indicators),
    affected: [
      {
        package: { ecosystem, name: pkg.name, purl: purl(pkg.ecosystem, pkg.name) },
        versions: [pkg.version],
        database_specific: { artifact: { source: pkg.source, sha256: pkg.sha256 } },
      },
    ],
    references,
    credits: [{ name: 'vetbox', type: 'TOOL' }],
    database_specific: {
      analysis: input.links.analysis,
      analysis_id: input.analysisId,
      verdict: report.verdict,
      score: report.score,
      analyzer_version: report.analyzer.version,
      findings: report.findings.map((f) => ({ rule: f.rule, severity: f.severity, phase: f.phase, title: f.title })),
      indicators,
      ...(aliases.length > 0 ? { known_malicious: report.knownMalicious } : {}),
    },
  };
}

/** OSV wants UTC with a `Z`; seconds precision is what the published databases use. */
function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function purl(ecosystem: 'npm' | 'pypi', name: string): string {
  if (ecosystem === 'pypi') return `pkg:pypi/${name.toLowerCase().replace(/[-_.]+/g, '-')}`;
  return `pkg:npm/${name.split('/').map(encodeURIComponent).join('/')}`;
}

function packagePage(ecosystem: 'npm' | 'pypi', name: string): string {
  return ecosystem === 'npm' ? `https://www.npmjs.com/package/${name}` : `https://pypi.org/project/${encodeURIComponent(name)}/`;
}

/** When each phase runs, as a reader of the advisory would say it. */
const PHASE_HEADINGS: Record<string, (ecosystem: 'npm' | 'pypi') => string> = {
  install: (e) => `On install (${e === 'npm' ? 'npm install: lifecycle scripts' : 'pip install: setup.py and build hooks'})`,
  import: (e) => `On import (${e === 'npm' ? 'require()/import' : 'import'} of the package)`,
  execute: () => 'When its exports, commands or scripts are run',
  idle: () => 'Later, while left running (timers, sleeps, date gates)',
  'next-login': () => 'At the next login (what it planted ran)',
};

const MAX_EVIDENCE_LINES = 3;
const MAX_EVIDENCE_CHARS = 200;

/**
 * Markdown (OSV `details` is CommonMark): what the package does, phase by phase, each finding
 * with a few of its evidence lines. Evidence text comes from the package (host names, commands),
 * so it is shown as code, never as markup.
 */
function writeDetails(report: Report, indicators: readonly Indicator[]): string {
  const pkg = report.package;
  const scrub = scrubber(report);
  const out: string[] = [];
  out.push(
    `vetbox installed and ran ${pkg.name} ${pkg.version} (${pkg.ecosystem === 'npm' ? 'npm' : 'PyPI'}) in a sandbox imitating a developer's workstation ` +
      `and judged it **${report.verdict}** (score ${report.score}/100).`,
  );
  if (report.summary) out.push('', `Verdict: ${inlineCode(report.summary)}`);
  const phaseless = report.findings.filter((f) => f.phase === null);
  const ordered = [...PHASES, ...[...new Set(report.findings.map((f) => f.phase))].filter((p): p is NonNullable<typeof p> => p !== null && !PHASES.includes(p))];
  for (const phase of ordered) {
    const findings = report.findings.filter((f) => f.phase === phase);
    if (findings.length === 0) continue;
    out.push('', `### ${PHASE_HEADINGS[phase]?.(pkg.ecosystem) ?? `During ${phase}`}`, '');
    for (const f of bySeverity(findings)) out.push(...findingLines(f, scrub));
  }
  if (phaseless.length > 0) {
    out.push('', '### Independent of any phase', '');
    for (const f of bySeverity(phaseless)) out.push(...findingLines(f, scrub));
  }
  if (indicators.length > 0) {
    const counts = new Map<string, number>();
    for (const i of indicators) counts.set(i.type, (counts.get(i.type) ?? 0) + 1);
    const list = [...counts].map(([t, n]) => `${n} ${t}${n === 1 ? '' : 's'}`).join(', ');
    out.push('', `Indicators (${list}) are listed in \`database_specific.indicators\`; sandbox-internal addresses are left out.`);
  }
  return out.join('\n');
}

function bySeverity(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity));
}

function findingLines(f: Finding, scrub: (text: string) => string): string[] {
  const lines = [`- **${escapeMarkdown(scrub(f.title))}** (${f.rule}, ${f.severity})`];
  const shown = f.evidence.slice(0, MAX_EVIDENCE_LINES);
  for (const e of shown) lines.push(`  - ${inlineCode(scrub(e.summary))}`);
  if (f.evidence.length > shown.length) lines.push(`  - and ${f.evidence.length - shown.length} more in the report`);
  return lines;
}

/**
 * Evidence lines name the addresses the sinkhole handed out (`collector.example (198.18.0.7)`):
 * in a shared record they would read as the attacker's, so they become `sinkhole`.
 */
function scrubber(report: Report): (text: string) => string {
  const addresses = [...new SandboxInternals(report).addressesIn(report)].sort((a, b) => b.length - a.length);
  if (addresses.length === 0) return (text) => text;
  const pattern = new RegExp(`(?<![\\d.])(${addresses.map((a) => a.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?!\\d|\\.\\d)`, 'g');
  return (text) => text.replace(pattern, 'sinkhole');
}

/** Package-controlled text as a code span: backticks cannot close it, newlines cannot start a block. */
function inlineCode(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ').replace(/`/g, "'");
  const cut = flat.length > MAX_EVIDENCE_CHARS ? `${flat.slice(0, MAX_EVIDENCE_CHARS)}…` : flat;
  return `\`${cut}\``;
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>#|]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
}
