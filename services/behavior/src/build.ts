import type { Behavior, FileChange, PhaseName, SandboxInfo, SinkholeCapture } from '@vetbox/contracts';
import { parseTraceFileBatches, StraceNormalizer, TraceParserState, type TraceEvent, type TracedEvent } from '@vetbox/trace';
import { classifyContext } from './classify.js';
import { mergeCapture, type PhaseWindow } from './merge.js';
import { PhaseModel, type ModelOptions } from './model.js';

export interface PhaseInput {
  name: PhaseName;
  /** strace events (any iterable), or `tracePath` to parse an strace file streaming. */
  events?: AsyncIterable<TraceEvent> | Iterable<TraceEvent>;
  tracePath?: string;
  /** Tracer-neutral events of this phase (what an eBPF session gives, once split by phase). */
  traced?: AsyncIterable<TracedEvent[]> | Iterable<TracedEvent[]>;
  /** Epoch ms the phase started; defaults to the first event's time. */
  startedAtMs?: number;
  /** Epoch ms the phase ended; defaults to the last event's time. */
  endedAtMs?: number;
  /** Parser counters when the caller parsed `events` itself (for `malformedLines`). */
  parserState?: TraceParserState;
}

/**
 * One continuous trace of all phases (eBPF): batches of events, each tagged with the index (in
 * `phases`) of the phase whose command started its process.
 */
export type PhasedEvents = AsyncIterable<Array<{ phase: number; event: TracedEvent }>>;

export interface BuildBehaviorInput {
  phases: PhaseInput[];
  /** Events of every phase in one stream (eBPF), routed to the phases by index. */
  session?: PhasedEvents;
  sandbox?: SandboxInfo;
  /** Snapshot diff per phase; passed through, and `added` paths turn O_CREAT opens into `create`. */
  fileChanges?: FileChange[];
  capture?: SinkholeCapture;
  options?: Omit<ModelOptions, 'addedPaths'>;
}

/**
 * Builds the report's `behavior` from each phase's events, then merges the sinkhole capture.
 * Streaming: events are consumed as they are parsed, nothing holds the trace. All times are
 * epoch milliseconds (see model.ts).
 */
export async function buildBehavior(input: BuildBehaviorInput): Promise<Behavior> {
  const ctx = classifyContext(input.sandbox);
  const fileChanges = input.fileChanges ?? [];
  const models = input.phases.map((phase) => {
    const added = new Set(fileChanges.filter((c) => c.phase === phase.name && c.kind === 'added').map((c) => c.path));
    return new PhaseModel(phase.name, ctx, { ...input.options, addedPaths: added });
  });
  let malformed = 0;
  for (const [i, phase] of input.phases.entries()) {
    const model = models[i];
    const state = phase.parserState ?? new TraceParserState();
    if (phase.tracePath !== undefined || phase.events !== undefined) {
      const strace = new StraceNormalizer();
      const feed = (ev: TraceEvent): void => {
        for (const t of strace.push(ev)) model.add(t);
      };
      if (phase.tracePath !== undefined) {
        for await (const batch of parseTraceFileBatches(phase.tracePath, { state })) for (const ev of batch) feed(ev);
      }
      if (phase.events !== undefined) for await (const ev of phase.events as AsyncIterable<TraceEvent>) feed(ev);
      for (const t of strace.finish()) model.add(t);
    }
    if (phase.traced !== undefined) {
      for await (const batch of phase.traced as AsyncIterable<TracedEvent[]>) for (const t of batch) model.add(t);
    }
    malformed += state.stats.malformed;
  }
  if (input.session !== undefined) {
    for await (const batch of input.session) for (const { phase, event } of batch) models[phase]?.add(event);
  }

  const behavior: Behavior = {
    processes: [],
    files: [],
    fileChanges,
    network: { dns: [], connections: [], http: [], tls: [] },
    syscallCounts: {},
    housekeeping: [],
    malformedLines: malformed,
  };
  const windows: PhaseWindow[] = [];
  for (const [i, phase] of input.phases.entries()) {
    const model = models[i];
    behavior.processes.push(...model.processes());
    behavior.files.push(...model.fileAccesses());
    behavior.network.connections.push(...model.connections);
    behavior.network.dns.push(...model.dns);
    behavior.syscallCounts[phase.name] = model.syscallCounts();
    behavior.housekeeping!.push(...model.housekeepingSummaries());
    if (model.floods.length > 0) (behavior.floods ??= []).push(...model.floods);
    const startMs = phase.startedAtMs ?? model.firstMs ?? 0;
    windows.push({ name: phase.name, startMs, endMs: phase.endedAtMs ?? model.lastMs ?? startMs });
  }

  if (input.capture !== undefined) mergeCapture(behavior, input.capture, windows);
  return behavior;
}
