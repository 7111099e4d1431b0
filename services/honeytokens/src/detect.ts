import type { Behavior, CanaryLeak, CanaryReport, PhaseName, SinkholeCapture } from '@vetbox/contracts';
import { buildCorpus, type Corpus, type Segment } from './corpus.js';
import { needlesFor, type Needle } from './encodings.js';
import { findAllNeedles } from './search.js';
import type { PlantedCanary } from './generate.js';

export interface DetectOptions {
  /** Phase to report when neither the trace nor timing says otherwise (default install). */
  defaultPhase?: PhaseName;
  /** A hit that is not a leak (the machine resolving its own name, traffic that stays on the LAN). */
  ignore?: (canary: PlantedCanary, segment: Segment) => boolean;
}

export interface Hit {
  segment: Segment;
  needle: Needle;
  pos: number;
}

/** The package manager's own, expected use of a credential: not exfiltration. */
function isExpectedUse(canary: PlantedCanary, hit: Hit): boolean {
  const { segment } = hit;
  return (
    canary.kind === 'npmrc' &&
    segment.channel === 'https' &&
    segment.capture.part === 'headers' &&
    /^registry\.npmjs\.org(:443)?$/.test(segment.destination)
  );
}

/** Record index for joined multi-query DNS text: the query where the match starts. */
function dnsIndexOf(hit: Hit): number {
  const runs = hit.segment.dnsRuns;
  if (!runs) return hit.segment.capture.index;
  const offset = hit.pos - hit.segment.start;
  let index = runs[0]!.index;
  for (const r of runs) if (r.offset <= offset) index = r.index;
  return index;
}

function encodingOf(hit: Hit): CanaryLeak['encoding'] {
  if (hit.needle.encoding !== 'plain') return hit.needle.encoding;
  return hit.segment.layers[0] ?? 'plain';
}

/** Joins capture records to the trace (pid, phase, behavior index) where it can. */
export class TraceJoin {
  private readonly windows: { phase: PhaseName; start: number; end: number }[] = [];

  constructor(
    private readonly capture: SinkholeCapture,
    private readonly behavior: Behavior | undefined,
    private readonly defaultPhase: PhaseName,
  ) {
    const byPhase = new Map<PhaseName, { start: number; end: number }>();
    for (const p of behavior?.processes ?? []) {
      const w = byPhase.get(p.phase) ?? { start: Infinity, end: -Infinity };
      w.start = Math.min(w.start, p.startMs);
      w.end = Math.max(w.end, p.endMs ?? p.startMs);
      byPhase.set(p.phase, w);
    }
    for (const [phase, w] of byPhase) this.windows.push({ phase, ...w });
  }

  private phaseAt(t: number): PhaseName {
    const inside = this.windows.find((w) => t >= w.start && t <= w.end);
    if (inside) return inside.phase;
    // Closest window: sinkhole and trace clocks are the same host clock, but records land late.
    let best: { phase: PhaseName; d: number } | null = null;
    for (const w of this.windows) {
      const d = t < w.start ? w.start - t : t - w.end;
      if (!best || d < best.d) best = { phase: w.phase, d };
    }
    return best?.phase ?? this.defaultPhase;
  }

  leakFor(hit: Hit): CanaryLeak {
    const { segment } = hit;
    const net = this.behavior?.network;
    let pid: number | undefined;
    let phase: PhaseName | undefined;
    let index: number | undefined;
    let tMs = segment.tMs;
    const capture = { ...segment.capture };
    if (segment.capture.list === 'dns') {
      capture.index = dnsIndexOf(hit);
      const q = this.capture.dns[capture.index];
      tMs = q?.t ?? tMs;
      const name = q?.name.replace(/\.$/, '').toLowerCase();
      const candidates = (net?.dns ?? []).map((d, i) => ({ d, i })).filter(({ d }) => d.name.replace(/\.$/, '').toLowerCase() === name);
      candidates.sort((a, b) => Math.abs((a.d.tMs ?? 0) - tMs) - Math.abs((b.d.tMs ?? 0) - tMs));
      const found = candidates[0];
      if (found) ({ pid, phase } = found.d), (index = found.i);
    } else {
      const stream = this.capture.streams[segment.capture.index];
      const conns = net?.connections ?? [];
      const ci = stream
        ? conns.findIndex((c) => c.sourcePort === stream.srcPort && (c.port === null || c.port === stream.dst.port) && c.protocol === stream.protocol)
        : -1;
      if (ci >= 0) ({ pid, phase } = conns[ci]!), (index = ci);
      if (segment.capture.http !== undefined && stream) {
        const req = stream.http[segment.capture.http];
        const hi = (net?.http ?? []).findIndex(
          (h) => req && h.method === req.method && h.path === req.path && h.host === req.host && (pid === undefined || h.pid === undefined || h.pid === pid),
        );
        if (hi >= 0) {
          const h = net!.http[hi]!;
          index = hi;
          phase = h.phase;
          pid ??= h.pid;
        }
      }
    }
    const layers = hit.needle.encoding === 'plain' ? segment.layers : [...segment.layers, hit.needle.encoding];
    return {
      encoding: encodingOf(hit),
      channel: segment.channel,
      destination: segment.destination,
      phase: phase ?? this.phaseAt(tMs),
      ...(pid !== undefined ? { pid } : {}),
      ...(index !== undefined ? { index } : {}),
      ...(layers.length ? { layers } : {}),
      capture,
      tMs,
    };
  }
}

function byCapturePosition(a: CanaryLeak, b: CanaryLeak): number {
  const x = a.capture!;
  const y = b.capture!;
  return x.list.localeCompare(y.list) || x.index - y.index || (x.http ?? 0) - (y.http ?? 0);
}

function wasRead(canary: PlantedCanary, behavior: Behavior | undefined): boolean | null {
  if (!canary.file || !behavior) return null;
  const housekeeping = new Set(behavior.processes.filter((p) => p.housekeeping).map((p) => p.pid));
  // The behavior model files O_RDWR opens under `write` (sqlite3 opens a cookie store that way),
  // so both count as opened for reading.
  return behavior.files.some(
    (f) => f.path === canary.file && (f.op === 'read' || f.op === 'write') && f.result === 'ok' && !housekeeping.has(f.pid),
  );
}

/**
 * Searches everything the sinkhole captured for every planted canary, plain and encoded. One
 * leak per (canary, carrying record, part, encoding); the file-read flag comes from the trace.
 */
export function detectLeaks(
  planted: PlantedCanary[],
  capture: SinkholeCapture,
  behavior?: Behavior,
  opts: DetectOptions = {},
): CanaryReport[] {
  const corpus = buildCorpus(capture);
  const join = new TraceJoin(capture, behavior, opts.defaultPhase ?? 'install');
  // Every needle of every canary, searched in one pass over the whole capture.
  const needles = planted.map((canary) => canary.values.flatMap((v) => needlesFor(v)));
  const flat = needles.flatMap((list, ci) => list.map((needle, ni) => ({ ci, ni, needle })));
  const hitsByCanary = planted.map((): Hit[] => []);
  const order = new Map<Hit, number>();
  for (const [idx, pos] of findAllNeedles(corpus.buffer, flat.map((f) => f.needle.bytes))) {
    const { ci, ni, needle } = flat[idx]!;
    const segment = corpus.segmentAt(pos, needle.bytes.length);
    if (!segment) continue;
    const hit = { segment, needle, pos };
    order.set(hit, ni);
    hitsByCanary[ci]!.push(hit);
  }
  return planted.map((canary, ci) => {
    const evidence: CanaryLeak[] = [];
    const seen = new Set<string>();
    // Most direct encoding first (needlesFor's order), so it is the one kept per record.
    const hits = hitsByCanary[ci]!.sort((a, b) => order.get(a)! - order.get(b)! || a.pos - b.pos);
    for (const hit of hits) {
      if (isExpectedUse(canary, hit) || opts.ignore?.(canary, hit.segment)) continue;
      const leak = join.leakFor(hit);
      const c = leak.capture!;
      // A and AAAA queries (and retries) of one name are one leak.
      const record = c.list === 'dns' ? (capture.dns[c.index]?.name.toLowerCase() ?? c.index) : c.index;
      const key = `${c.list}:${record}:${c.http ?? ''}:${c.part}`;
      if (seen.has(key)) continue;
      seen.add(key);
      evidence.push(leak);
    }
    evidence.sort(byCapturePosition);
    return {
      kind: canary.kind,
      planted: canary.planted,
      read: wasRead(canary, behavior),
      leaked: evidence.length > 0,
      evidence,
      valuePreview: canary.preview,
    };
  });
}
