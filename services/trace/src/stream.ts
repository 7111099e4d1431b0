import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { TraceParserState, flushPending, parseLineInto, parseRange } from './line.js';
import type { TraceEvent } from './types.js';

export type LineSource = AsyncIterable<string> | Iterable<string>;

/**
 * Parses trace lines into events, streaming. Each unfinished call is held only until its
 * resumed line; at the end, calls that never resumed come out with `incomplete: 'eof'`.
 * Pass a `state` to read the counters (`state.stats`) afterwards.
 */
export async function* parseTraceLines(
  lines: LineSource,
  state: TraceParserState = new TraceParserState(),
): AsyncGenerator<TraceEvent> {
  const out: TraceEvent[] = [];
  for await (const line of lines as AsyncIterable<string>) {
    parseLineInto(line, state, out);
    if (out.length > 0) {
      for (const ev of out) yield ev;
      out.length = 0;
    }
  }
  flushPending(state, out);
  for (const ev of out) yield ev;
}

/** Synchronous variant for in-memory traces (tests, small fixtures). */
export function parseTraceText(text: string, state: TraceParserState = new TraceParserState()): TraceEvent[] {
  const out: TraceEvent[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    if (end > start) parseRange(text, start, crEnd(text, start, end), state, out);
    if (nl < 0) break;
    start = nl + 1;
  }
  flushPending(state, out);
  return out;
}

function crEnd(text: string, start: number, end: number): number {
  return end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
}

export interface ReadTraceOptions {
  state?: TraceParserState;
  /** Read size. 64 KiB: the decoded chunk string stays a young-generation object (larger ones go to
   * V8's large-object space and linger until a full GC, which is what peak RSS would pay). */
  chunkBytes?: number;
}

/**
 * Parses a trace file (plain, or gzip when the name ends in `.gz`), streaming, in batches of events (one batch per read chunk): the batch
 * form saves an await per event, which matters at hundreds of MB. Memory holds one chunk, the
 * partial last line and the unfinished calls. Lines are read as latin1: strace escapes every
 * non-ASCII byte, and a hostile raw byte can then never break decoding.
 */
export async function* parseTraceFileBatches(path: string, opts: ReadTraceOptions = {}): AsyncGenerator<TraceEvent[]> {
  const state = opts.state ?? new TraceParserState();
  const file = createReadStream(path, { highWaterMark: opts.chunkBytes ?? 64 * 1024 });
  // `.gz` traces (stored fixtures, archived runs) are inflated on the fly, still streaming.
  const stream = path.endsWith('.gz') ? file.pipe(createGunzip({ chunkSize: opts.chunkBytes ?? 64 * 1024 })) : file;
  let carry = '';
  let skipping = false; // inside an over-long line: drop text until the next newline
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const text = chunk.toString('latin1');
    const out: TraceEvent[] = [];
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      if (skipping) {
        skipping = false;
      } else if (carry.length > 0) {
        const line = carry + text.slice(start, nl);
        carry = '';
        parseLineInto(trimCr(line), state, out);
      } else if (nl > start) {
        parseRange(text, start, crEnd(text, start, nl), state, out);
      }
      start = nl + 1;
    }
    if (!skipping && start < text.length) {
      carry += text.slice(start);
      if (carry.length > state.maxLineLength) {
        // Count the monster line once, keep nothing of it.
        state.stats.malformed++;
        state.stats.lines++;
        state.stats.bytes += carry.length;
        carry = '';
        skipping = true;
      }
    }
    if (out.length > 0) yield out;
  }
  const out: TraceEvent[] = [];
  if (carry.length > 0 && !skipping) parseLineInto(trimCr(carry), state, out);
  flushPending(state, out);
  if (out.length > 0) yield out;
}

function trimCr(line: string): string {
  return line.length > 0 && line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}

/** Parses a trace file, streaming, one event at a time. */
export async function* parseTraceFile(path: string, opts: ReadTraceOptions = {}): AsyncGenerator<TraceEvent> {
  for await (const batch of parseTraceFileBatches(path, opts)) {
    for (const ev of batch) yield ev;
  }
}
