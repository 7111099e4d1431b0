import { PHASES, isPrivateAddress, type FileAccess, type Finding, type PhaseName, type Report } from '@vetbox/contracts';
import { contextFromSandbox, normalizeArgv, normalizeText, type NormalizeContext } from './normalize.js';

export type DiffCategory = 'hosts' | 'processes' | 'files' | 'canaries' | 'findings';
export const DIFF_CATEGORIES: readonly DiffCategory[] = ['hosts', 'processes', 'files', 'canaries', 'findings'];

export interface DiffEntry {
  category: DiffCategory;
  /** Normalized identity: equal keys mean "the same behavior" in both analyses. */
  key: string;
  /** A readable line for reports, CLI and UI. */
  summary: string;
  phases: PhaseName[];
  /** Extra facts per category (op, rule, severity, kind, ...). */
  detail: Record<string, unknown>;
}

export type DiffSide = Record<DiffCategory, DiffEntry[]>;

export interface BehaviorDiff {
  base: { analysisId?: string; version: string };
  target: { analysisId?: string; version: string };
  added: DiffSide;
  removed: DiffSide;
  /** Every change in one list, added ones first. */
  changes: Array<DiffEntry & { change: 'added' | 'removed' }>;
  empty: boolean;
  /**
   * Phases only one of the two analyses ran (a baseline made before the execute phase existed):
   * what was seen only in them is no change and is left out of both sides.
   */
  uncompared: PhaseName[];
}

type EntryMap = Map<string, DiffEntry>;

function put(map: EntryMap, entry: Omit<DiffEntry, 'phases'>, phase: PhaseName | null): void {
  const id = `${entry.category}\u0000${entry.key}`;
  const existing = map.get(id);
  if (existing) {
    if (phase && !existing.phases.includes(phase)) existing.phases.push(phase);
    return;
  }
  map.set(id, { ...entry, phases: phase ? [phase] : [] });
}

/** Reads are one class, every kind of modification another: the op detail inside a class is noise. */
function fileClass(access: FileAccess): 'read' | 'write' | 'exec' {
  if (access.op === 'read') return 'read';
  if (access.op === 'exec') return 'exec';
  return 'write';
}

function collectHosts(report: Report, ctx: NormalizeContext, map: EntryMap): void {
  const net = report.behavior.network;
  for (const q of net.dns) {
    const name = q.name.toLowerCase().replace(/\.$/, '');
    put(map, { category: 'hosts', key: `dns:${name}`, summary: `DNS lookup of ${name}`, detail: { name, type: q.type } }, q.phase);
  }
  for (const c of net.connections) {
    if (c.protocol === 'unix') continue;
    // The sandbox's own resolver carries the DNS lookups listed above: transport, not a destination.
    if (c.port === 53 && !c.hostname && isPrivateAddress(c.address)) continue;
    const dest = c.hostname ? c.hostname.toLowerCase() : c.address;
    const port = c.port ?? 0;
    put(
      map,
      {
        category: 'hosts',
        key: `${c.protocol}:${dest}:${port}`,
        summary: `${c.protocol.toUpperCase()} connection to ${dest}:${port}`,
        detail: { protocol: c.protocol, address: c.address, hostname: c.hostname, port },
      },
      c.phase,
    );
  }
  for (const h of net.http) {
    const path = normalizeText(h.path.split('?')[0] ?? h.path, ctx);
    const scheme = h.tls ? 'https' : 'http';
    put(
      map,
      {
        category: 'hosts',
        key: `${scheme}:${h.method} ${h.host.toLowerCase()}${path}`,
        summary: `${scheme.toUpperCase()} ${h.method} ${h.host}${path}`,
        detail: { method: h.method, host: h.host, path, tls: Boolean(h.tls) },
      },
      h.phase,
    );
  }
}

function collectProcesses(report: Report, ctx: NormalizeContext, map: EntryMap): void {
  for (const p of report.behavior.processes) {
    if (p.housekeeping || p.argv.length === 0) continue;
    const argv = normalizeArgv(p.argv, ctx);
    put(map, { category: 'processes', key: argv, summary: `ran ${argv}`, detail: { argv } }, p.phase);
  }
}

function collectFiles(report: Report, ctx: NormalizeContext, map: EntryMap): void {
  for (const f of report.behavior.files) {
    if (f.result !== 'ok') continue;
    const cls = fileClass(f);
    const path = normalizeText(f.path, ctx);
    put(map, { category: 'files', key: `${cls} ${path}`, summary: `${cls} ${path}`, detail: { op: cls, path } }, f.phase);
  }
}

function collectCanaries(report: Report, ctx: NormalizeContext, map: EntryMap): void {
  for (const c of report.canaries) {
    // Planted in the randomized home (or an env variable name): one entry per canary, not per kind.
    const planted = normalizeText(c.planted, ctx);
    if (c.read) {
      put(map, { category: 'canaries', key: `read:${c.kind}:${planted}`, summary: `read the ${c.kind} canary (${planted})`, detail: { kind: c.kind, planted, state: 'read' } }, null);
    }
    if (c.leaked) {
      const encodings = [...new Set(c.evidence.map((e) => e.encoding))].join(', ');
      put(
        map,
        { category: 'canaries', key: `leaked:${c.kind}:${planted}`, summary: `leaked the ${c.kind} canary ${planted} (${encodings})`, detail: { kind: c.kind, planted, state: 'leaked' } },
        c.evidence[0]?.phase ?? null,
      );
    }
  }
}

function collectFindings(findings: readonly Finding[], map: EntryMap): void {
  for (const f of findings) {
    // new-behavior is itself derived from a diff: comparing it would be circular.
    if (f.rule === 'new-behavior') continue;
    put(map, { category: 'findings', key: f.rule, summary: `${f.severity}: ${f.title}`, detail: { rule: f.rule, severity: f.severity } }, f.phase);
  }
}

export function behaviorEntries(report: Report): EntryMap {
  const ctx = { ...contextFromSandbox(report.sandbox), version: report.package.version };
  const map: EntryMap = new Map();
  collectHosts(report, ctx, map);
  collectProcesses(report, ctx, map);
  collectFiles(report, ctx, map);
  collectCanaries(report, ctx, map);
  collectFindings(report.findings, map);
  return map;
}

function emptySide(): DiffSide {
  return { hosts: [], processes: [], files: [], canaries: [], findings: [] };
}

/**
 * Phases a report ran: those its sandbox started, not those it skipped before starting (a
 * skipped phase is `error_other` that took no time). A report without phases ran them all.
 */
export function phasesRun(report: Report): Set<PhaseName> {
  if (report.phases.length === 0) return new Set(PHASES);
  return new Set(report.phases.filter((p) => !(p.status === 'error_other' && p.durationMs === 0)).map((p) => p.name));
}

/** Entries of `from` that `other` lacks, leaving out what was seen only in phases `other` did not run. */
function subtract(from: EntryMap, other: EntryMap, otherRan: ReadonlySet<PhaseName>): DiffSide {
  const side = emptySide();
  for (const [id, entry] of from) {
    if (other.has(id)) continue;
    if (entry.phases.length > 0 && entry.phases.every((p) => !otherRan.has(p))) continue;
    side[entry.category].push(entry);
  }
  for (const category of DIFF_CATEGORIES) side[category].sort((a, b) => a.key.localeCompare(b.key));
  return side;
}

// The last path segment when it has the shape of a generated name (mkstemp `stXXXXXX`, 6-10
// letters and digits) or was already normalized to <tmp>.
const GENERATED_LAST_SEGMENT = /\/(?:<tmp>|[A-Za-z0-9]{6,10})$/;

/**
 * Random names cannot all be told from words by their shape (`stygVcqm` reads like camelCase),
 * so a file written under a generated-looking name in one run and under another such name in the
 * same directory, with the same kind of access, in the other run is the same behavior. Pairs are
 * cancelled one for one, so a package that writes more such files than before still shows them.
 */
function cancelRenamedTempFiles(added: DiffSide, removed: DiffSide): void {
  const looseKey = (e: DiffEntry): string | null =>
    GENERATED_LAST_SEGMENT.test(e.key) ? e.key.replace(GENERATED_LAST_SEGMENT, '/<generated>') : null;
  const unmatched = new Map<string, DiffEntry[]>();
  for (const entry of removed.files) {
    const key = looseKey(entry);
    if (key) unmatched.set(key, [...(unmatched.get(key) ?? []), entry]);
  }
  const cancelled = new Set<DiffEntry>();
  for (const entry of added.files) {
    const key = looseKey(entry);
    const partner = key ? unmatched.get(key)?.shift() : undefined;
    if (partner) cancelled.add(entry).add(partner);
  }
  added.files = added.files.filter((e) => !cancelled.has(e));
  removed.files = removed.files.filter((e) => !cancelled.has(e));
}

/**
 * Every change in one list: added ones first, each side in category order. Evidence of the
 * `new-behavior` finding indexes into this list, and the report viewer numbers its rows the same way.
 */
export function changeList(added: DiffSide, removed: DiffSide): BehaviorDiff['changes'] {
  return [
    ...DIFF_CATEGORIES.flatMap((c) => added[c].map((e) => ({ ...e, change: 'added' as const }))),
    ...DIFF_CATEGORIES.flatMap((c) => removed[c].map((e) => ({ ...e, change: 'removed' as const }))),
  ];
}

/** What `target` does that `base` did not (added) and what it stopped doing (removed). */
export function diffReports(base: Report, target: Report): BehaviorDiff {
  const before = behaviorEntries(base);
  const after = behaviorEntries(target);
  const ranBase = phasesRun(base);
  const ranTarget = phasesRun(target);
  const uncompared = [...new Set([...ranBase, ...ranTarget])].filter((p) => !ranBase.has(p) || !ranTarget.has(p));
  const added = subtract(after, before, ranBase);
  const removed = subtract(before, after, ranTarget);
  cancelRenamedTempFiles(added, removed);
  const changes = changeList(added, removed);
  return {
    base: { analysisId: base.analysisId, version: base.package.version },
    target: { analysisId: target.analysisId, version: target.package.version },
    added,
    removed,
    changes,
    empty: changes.length === 0,
    uncompared,
  };
}
