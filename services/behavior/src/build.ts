import type { Behavior, FileChange, PhaseName, SandboxInfo, SinkholeCapture } from '@vetbox/contracts';
import { parseTraceFileBatches, TraceParserState, type TraceEvent } from '@vetbox/trace';
import { classifyContext } from './classify.js';
import { mergeCapture, type PhaseWindow } from './merge.js';
import { PhaseModel, type ModelOptions } from './model.js';

export interface PhaseInput {
  name: PhaseName;
  /** Parsed events (any iterable), or `tracePath` to parse a trace file streaming. */
  events?: AsyncIterable<TraceEvent> | Iterable<TraceEvent>;
  tracePath?: string;
  /** Epoch ms the phase started; defaults to the first event's time. */
  startedAtMs?: number;
  /** Epoch ms the phase ended; defaults to the last event's time. */
  endedAtMs?: number;
  /** Parser counters when the caller parsed `events` itself (for `malformedLines`). */
  parserState?: TraceParserState;
}

export interface BuildBehaviorInput {
  phases: PhaseInput[];
  sandbox?: SandboxInfo;
  /** Snapshot diff per phase; passed through, and `added` paths turn O_CREAT opens into `create`. */
  fileChanges?: FileChange[];
  capture?: SinkholeCapture;
  options?: Omit<ModelOptions, 'addedPaths'>;
}

/**
 * Builds the report's `behavior` from each phase's trace, then merges the sinkhole capture.
 * Streaming: events are consumed as they are parsed, nothing holds the trace. All times are
 * epoch milliseconds (see model.ts).
 */
export async function buildBehavior(input: BuildBehaviorInput): Promise<Behavior> {
  const ctx = classifyContext(input.sandbox);
  const fileChanges = input.fileChanges ?? [];
  const behavior: Behavior = {
    processes: [],
    files: [],
    fileChanges,
    network: { dns: [], connections: [], http: [], tls: [] },
    syscallCounts: {},
    housekeeping: [],
    malformedLines: 0,
  };
  const windows: PhaseWindow[] = [];

  for (const phase of input.phases) {
    const added = new Set(fileChanges.filter((c) => c.phase === phase.name && c.kind === 'added').map((c) => c.path));
    const model = new PhaseModel(phase.name, ctx, { ...input.options, addedPaths: added });
    const state = phase.parserState ?? new TraceParserState();
    if (phase.tracePath !== undefined) {
      for await (const batch of parseTraceFileBatches(phase.tracePath, { state })) {
        for (const ev of batch) model.add(ev);
      }
    }
    if (phase.events !== undefined) {
      for await (const ev of phase.events as AsyncIterable<TraceEvent>) model.add(ev);
    }
    model.finish();

    behavior.processes.push(...model.processes());
    behavior.files.push(...model.fileAccesses());
    behavior.network.connections.push(...model.connections);
    behavior.network.dns.push(...model.dns);
    behavior.syscallCounts[phase.name] = model.syscallCounts();
    behavior.housekeeping!.push(...model.housekeepingSummaries());
    behavior.malformedLines! += state.stats.malformed;
    const startMs = phase.startedAtMs ?? model.firstMs ?? 0;
    windows.push({ name: phase.name, startMs, endMs: phase.endedAtMs ?? model.lastMs ?? startMs });
  }

  if (input.capture !== undefined) mergeCapture(behavior, input.capture, windows);
  return behavior;
}
