import { canaryRoutes, type CanaryReport, type ProcessEntry, type Report } from '@vetbox/contracts';
import { bytes, clean, duration, plural, table } from './text.js';
import { formatPackage } from '@vetbox/lockfiles';

export interface FormatOptions {
  /** Process tree lines shown before the rest is counted (default 40). */
  maxProcesses?: number;
  /** Rows per network table (default 30). */
  maxNetworkRows?: number;
  /** Evidence lines per finding (default 5). */
  maxEvidence?: number;
}

function packageLine(r: Report): string {
  const p = r.package;
  const id = formatPackage(p);
  const from = p.source === 'upload' ? 'uploaded archive' : 'registry';
  return `${clean(id)}  (${from}, sha256 ${p.sha256.slice(0, 12)}…${p.size !== undefined ? `, ${bytes(p.size)}` : ''})`;
}

function header(r: Report): string[] {
  const lines = [`${r.verdict.toUpperCase()}  score ${r.score}/100  ${packageLine(r)}`];
  if (r.summary) lines.push(clean(r.summary, 300));
  if (r.incomplete && r.incompletePhases?.length) {
    lines.push(`INCOMPLETE: ${r.incompletePhases.map((p) => `${p.phase} ${clean(p.reason, 160)}`).join('; ')}`);
  }
  if (r.lookalikeOf) lines.push(`Name resembles the popular package ${clean(r.lookalikeOf)}`);
  if (r.error) lines.push(`Error: ${clean(r.error.code)}: ${clean(r.error.message, 300)}`);
  const meta = [`analyzer ${clean(r.analyzer.version)}`];
  if (r.analysisId) meta.push(`analysis ${clean(r.analysisId)}`);
  if (r.baseline) meta.push(`compared with ${clean(r.baseline.version)}`);
  lines.push(meta.join(', '));
  return lines;
}

function findings(r: Report, max: number): string[] {
  if (r.findings.length === 0) return ['Findings: none'];
  const lines = [`Findings (${r.findings.length})`];
  for (const f of r.findings) {
    lines.push(`  ${f.severity.toUpperCase().padEnd(8)}  ${f.rule}  ${clean(f.title)}${f.phase ? `  [${f.phase}]` : ''}`);
    for (const e of f.evidence.slice(0, max)) lines.push(`            - ${clean(e.summary, 200)}`);
    if (f.evidence.length > max) lines.push(`            - … ${plural(f.evidence.length - max, 'more evidence line')}`);
  }
  return lines;
}

/** Static signals beside behavior: kind, file:line, detail, the escaped snippet and decoded layer. */
function staticSignals(r: Report, max: number): string[] {
  const s = r.static;
  if (!s) return [];
  const head = `Static code (${plural(s.filesAnalyzed, 'file')} read, ${plural(s.signals.length, 'signal')}${s.error ? `; ${clean(s.error, 160)}` : ''})`;
  const lines = [head];
  for (const sig of s.signals.slice(0, max)) {
    lines.push(`  ${sig.kind.padEnd(27)}  ${clean(sig.file, 120)}:${sig.line}${sig.layerDepth ? ` (decoded layer ${sig.layerDepth})` : ''}  ${clean(sig.detail, 160)}`);
    if (sig.snippet) lines.push(`            | ${clean(sig.snippet, 200)}`);
    if (sig.decoded) lines.push(`            decoded ${sig.decoded.transforms.join(' → ')}: ${clean(sig.decoded.preview, 200)}`);
  }
  if (s.signals.length > max) lines.push(`  … ${s.signals.length - max} more`);
  return lines;
}

function phases(r: Report): string[] {
  if (r.phases.length === 0) return [];
  const rows = r.phases.map((p) => [
    p.name,
    p.status,
    p.exitCode === null ? 'exit -' : `exit ${p.exitCode}`,
    duration(p.durationMs),
    p.reason ? clean(p.reason) : '',
  ]);
  return ['Phases', ...table(rows)];
}

function exitText(p: ProcessEntry): string {
  if (p.outlived) return 'still running';
  if (!p.exit) return 'exit ?';
  if (p.exit.signal) return `killed by ${clean(p.exit.signal)}`;
  return `exit ${p.exit.code}`;
}

/** The process tree, children under parents; housekeeping (package-manager noise) is counted, not shown. */
function processes(r: Report, max: number): string[] {
  const all = r.behavior.processes;
  const shown = all.filter((p) => !p.housekeeping);
  const hidden = all.length - shown.length;
  if (shown.length === 0) return [`Processes: none${hidden ? ` (${plural(hidden, 'housekeeping process', 'housekeeping processes')} hidden)` : ''}`];
  const pids = new Set(shown.map((p) => p.pid));
  const children = new Map<number, ProcessEntry[]>();
  const roots: ProcessEntry[] = [];
  for (const p of shown) {
    if (p.ppid !== null && pids.has(p.ppid) && p.ppid !== p.pid) {
      const list = children.get(p.ppid) ?? [];
      list.push(p);
      children.set(p.ppid, list);
    } else {
      roots.push(p);
    }
  }
  const byStart = (a: ProcessEntry, b: ProcessEntry) => a.startMs - b.startMs || a.pid - b.pid;
  const rows: string[][] = [];
  const visited = new Set<number>();
  const walk = (p: ProcessEntry, depth: number) => {
    if (visited.has(p.pid)) return;
    visited.add(p.pid);
    const argv = p.argv.length > 0 ? p.argv.join(' ') : (p.exe ?? `pid ${p.pid}`);
    const flags = p.stdioSocket ? '  stdio is a network socket' : '';
    rows.push([p.phase, `${'  '.repeat(depth)}${depth > 0 ? '└ ' : ''}${clean(argv, 120)}`, `${exitText(p)}${flags}`]);
    for (const c of (children.get(p.pid) ?? []).sort(byStart)) walk(c, depth + 1);
  };
  for (const root of roots.sort(byStart)) walk(root, 0);
  const lines = [`Processes (${shown.length}${hidden ? `, ${hidden} housekeeping hidden` : ''})`, ...table(rows.slice(0, max))];
  if (rows.length > max) lines.push(`  … ${plural(rows.length - max, 'more process', 'more processes')}`);
  return lines;
}

function capped(rows: string[][], max: number, what: string): string[] {
  const lines = table(rows.slice(0, max), '    ');
  if (rows.length > max) lines.push(`    … ${rows.length - max} more ${what}`);
  return lines;
}

function network(r: Report, max: number): string[] {
  const net = r.behavior.network;
  const connections = net.connections.filter((c) => c.protocol !== 'unix');
  if (net.dns.length + connections.length + net.http.length + net.tls.length === 0) return ['Network: no activity'];
  const lines = ['Network'];
  if (net.dns.length > 0) {
    lines.push(`  DNS lookups (${net.dns.length})`);
    lines.push(...capped(net.dns.map((q) => [q.phase, clean(q.name, 100), q.type]), max, 'lookups'));
  }
  if (connections.length > 0) {
    lines.push(`  Connections (${connections.length})`);
    const rows = connections.map((c) => {
      const dest = `${clean(c.address, 60)}${c.port !== null ? `:${c.port}` : ''}`;
      return [
        c.phase,
        c.protocol,
        dest,
        c.hostname ? clean(c.hostname, 80) : '',
        c.result,
        c.sentBytes ? `sent ${bytes(c.sentBytes)}` : '',
      ];
    });
    lines.push(...capped(rows, max, 'connections'));
  }
  if (net.http.length > 0) {
    lines.push(`  HTTP requests (${net.http.length})`);
    const rows = net.http.map((h) => [
      h.phase,
      `${h.tls ? 'https' : 'http'}`,
      `${clean(h.method, 10)} ${clean(h.host, 80)}${clean(h.path, 80)}`,
      h.bodyBytes ? `body ${bytes(h.bodyBytes)}` : '',
    ]);
    lines.push(...capped(rows, max, 'requests'));
  }
  if (net.tls.length > 0) {
    lines.push(`  TLS handshakes (${net.tls.length})`);
    lines.push(...capped(net.tls.map((t) => [t.phase, clean(t.sni, 100)]), max, 'handshakes'));
  }
  return lines;
}

/** Destinations a line names before it counts the rest. */
const CANARY_ROUTES = 4;

/** One line per leaked canary, however many lookups carried it: routes per channel and domain, counted. */
function canaryLine(c: CanaryReport): string {
  const routes = canaryRoutes(c);
  const named = routes.slice(0, CANARY_ROUTES).map((r) => `${r.channel} to ${clean(r.domain, 80)}${r.count > 1 ? ` (${r.count} times)` : ''}`);
  if (routes.length > CANARY_ROUTES) named.push(`${routes.length - CANARY_ROUTES} more destinations`);
  const encodings = [...new Set(c.evidence.map((e) => e.encoding))].join(', ');
  return `  ${c.kind} (${clean(c.planted, 80)}) via ${named.join(', ') || 'unknown channel'}${encodings ? ` [${encodings}]` : ''}`;
}

function canaries(r: Report): string[] {
  const leaked = r.canaries.filter((c) => c.leaked);
  const read = r.canaries.filter((c) => c.read && !c.leaked);
  const lines: string[] = [];
  if (leaked.length === 0) lines.push('Leaked canaries: none');
  else lines.push(`Leaked canaries (${leaked.length})`, ...leaked.map(canaryLine));
  if (read.length > 0) lines.push(`Canary files read but not sent: ${read.map((c) => clean(c.planted, 80)).join(', ')}`);
  return lines;
}

/** What this version does that its baseline did not (`--baseline previous`), added first. */
function baseline(r: Report, max: number): string[] {
  if (!r.baseline) return [];
  const categories = ['hosts', 'processes', 'files', 'canaries', 'findings'] as const;
  const added = categories.flatMap((c) => r.baseline!.added[c]);
  const removed = categories.flatMap((c) => r.baseline!.removed[c]);
  const lines = [`Since ${clean(r.baseline.version)}: ${added.length} added, ${removed.length} removed`];
  const rows = [...added.map((e) => `  + ${e.category.padEnd(9)}  ${clean(e.summary, 160)}`), ...removed.map((e) => `  - ${e.category.padEnd(9)}  ${clean(e.summary, 160)}`)];
  lines.push(...rows.slice(0, max));
  if (rows.length > max) lines.push(`  … ${rows.length - max} more`);
  return lines;
}

/** The readable summary `vetbox analyze` prints without --json. */
export function formatReport(report: Report, opts: FormatOptions = {}): string {
  const sections = [
    header(report),
    findings(report, opts.maxEvidence ?? 5),
    staticSignals(report, opts.maxNetworkRows ?? 30),
    phases(report),
    processes(report, opts.maxProcesses ?? 40),
    network(report, opts.maxNetworkRows ?? 30),
    canaries(report),
    baseline(report, opts.maxNetworkRows ?? 30),
  ].filter((s) => s.length > 0);
  return `${sections.map((s) => s.join('\n')).join('\n\n')}\n`;
}
