import { fastClockTrigger, type CallRecord, type Connection, type PhaseName, type ProcessEntry } from '@vetbox/contracts';
import type { Draft, Evidence, RuleContext } from './context.js';

/** Who acted, when, in which phase: what an evidence row points at. */
interface Actor {
  pid?: number;
  t?: number;
  phase: PhaseName;
}

function actorOf(ctx: RuleContext, ev: Evidence): Actor | undefined {
  if (ev.index === undefined) return undefined;
  const b = ctx.behavior;
  switch (ev.kind) {
    case 'process': {
      const p = b.processes[ev.index];
      return p && { pid: p.pid, t: p.startMs, phase: p.phase };
    }
    case 'file': {
      const f = b.files[ev.index];
      return f && { pid: f.pid, t: f.tMs, phase: f.phase };
    }
    case 'dns': {
      const d = b.network.dns[ev.index];
      if (!d) return undefined;
      // The sinkhole stamps a lookup when it reads it; the trace's send to port 53 is the package's moment.
      const sent = d.pid === undefined || d.tMs === undefined ? undefined : nearestLookupSend(b.network.connections, d.pid, d.tMs);
      return { pid: d.pid, t: sent ?? d.tMs, phase: d.phase };
    }
    case 'connection': {
      const c = b.network.connections[ev.index];
      return c && { pid: c.pid > 0 ? c.pid : undefined, t: c.tMs, phase: c.phase };
    }
    case 'http':
    case 'tls': {
      const h = ev.kind === 'http' ? b.network.http[ev.index] : b.network.tls[ev.index];
      if (!h) return undefined;
      const conn = h.destination && b.network.connections.find((c) => c.phase === h.phase && c.address === h.destination!.address && c.port === h.destination!.port && (h.pid === undefined || c.pid === h.pid));
      return { pid: h.pid, t: conn?.tMs, phase: h.phase };
    }
    default:
      return undefined;
  }
}

function nearestLookupSend(conns: readonly Connection[], pid: number, t: number): number | undefined {
  let best: number | undefined;
  for (const c of conns) {
    if (c.pid !== pid || c.protocol !== 'udp' || c.port !== 53 || c.tMs === undefined || Math.abs(c.tMs - t) > 2000) continue;
    if (best === undefined || Math.abs(c.tMs - t) < Math.abs(best - t)) best = c.tMs;
  }
  return best;
}

/**
 * Says what made each cited event happen, when it was not the phase's own command: the call of
 * the execute phase (`calling loadConfig("vetbox") of t-pkg`), the planted entry the next login
 * ran, the fast clock of the idle window, or the second install a year ahead. Evidence keys stay
 * as they are (policy exceptions and hashes do not move); summaries and the finding's detail say it.
 */
export function attributeDrafts(ctx: RuleContext, drafts: Draft[]): void {
  const b = ctx.behavior;
  const calls = b.calls ?? [];
  if (calls.length === 0 && !b.processes.some((p) => p.trigger) && !ctx.sandbox.clock?.windowStartMs) return;
  const byKey = new Map(b.processes.map((p) => [`${p.phase}:${p.pid}`, p]));
  const callsByPid = new Map<number, CallRecord[]>();
  for (const c of calls) callsByPid.set(c.pid, [...(callsByPid.get(c.pid) ?? []), c]);

  const lineage = (a: Actor): ProcessEntry[] => {
    const out: ProcessEntry[] = [];
    let p = a.pid === undefined ? undefined : byKey.get(`${a.phase}:${a.pid}`);
    for (let depth = 0; p && depth < 64; depth++) {
      out.push(p);
      p = p.ppid === null ? undefined : byKey.get(`${a.phase}:${p.ppid}`);
    }
    return out;
  };

  const because = (a: Actor): string | undefined => {
    const line = lineage(a);
    // The actor's own events from a call's start until its pid's next call are the call's (what
    // a call starts asynchronously lands after it returns); so is a process its pid started then.
    const steps = line.length > 0 ? line.map((p, i) => ({ pid: p.pid, t: i === 0 ? a.t : line[i - 1]!.startMs })) : [{ pid: a.pid, t: a.t }];
    for (const { pid, t } of steps) {
      if (pid === undefined) continue;
      const call = sliceAt(callsByPid.get(pid) ?? [], a.phase, t);
      if (call) return describeCall(call);
    }
    const triggered = line.find((p) => p.trigger);
    if (triggered?.trigger) return triggered.trigger;
    if (a.phase !== 'idle' && a.t !== undefined) {
      const outlived = [...line].reverse().find((p) => p.outlived);
      return fastClockTrigger(ctx.sandbox.clock, outlived?.startMs ?? line.at(-1)?.startMs ?? a.t, a.t);
    }
    return undefined;
  };

  for (const d of drafts) {
    const reasons = new Set<string>();
    for (const ev of d.evidence) {
      const a = actorOf(ctx, ev);
      const why = a && because(a);
      if (!why) continue;
      reasons.add(why);
      ev.summary = `${why}: ${ev.summary}`;
    }
    if (reasons.size > 0) {
      const list = [...reasons].slice(0, 3).join('; ');
      d.detail = `${d.detail ? `${d.detail} ` : ''}What set it off: ${list}${reasons.size > 3 ? '; …' : ''}.`;
    }
  }
}

/** The last call of one pid (calls in start order) that began by `t`; any of them when `t` is unknown. */
function sliceAt(calls: readonly CallRecord[], phase: PhaseName, t: number | undefined): CallRecord | undefined {
  let found: CallRecord | undefined;
  for (const c of calls) {
    if (c.phase !== phase) continue;
    if (t === undefined) return c;
    if (c.startMs - 5 <= t) found = c;
  }
  return found;
}

/** `calling loadConfig("vetbox") of t-pkg`, `running t-pkg --help`, or a planted entry's label. */
export function describeCall(c: Pick<CallRecord, 'kind' | 'name' | 'of' | 'phase'>): string {
  if (c.kind === 'bin') return `running \`${c.name}\``;
  if (c.kind === 'trigger') return `at the next login: ${c.name}`;
  return `calling \`${c.name}\`${c.of ? ` of ${c.of}` : ''}`;
}
