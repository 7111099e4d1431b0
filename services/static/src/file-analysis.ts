import { isAscii } from 'node:buffer';
import { SPARSE_ABOVE, analyzeJavaScript, tokenFreeImports } from './javascript.js';
import { analyzePython } from './python.js';
import { SignalCollector, type Budget, type Place, type SourceResult } from './source.js';

/** One `add` call on a collector: what a file raised, replayed on the pass's own collector in file order. */
export type SignalCall = Parameters<SignalCollector['add']>;

/**
 * A collector that only records: a file analyzed on a pool thread raises its signals here, and
 * the pass replays them in the order it would have analyzed the file itself, so dedupe, the
 * per-file caps and the signal cap decide exactly as in one thread.
 */
export class RecordingCollector extends SignalCollector {
  readonly calls: SignalCall[] = [];

  override add(...call: SignalCall): void {
    this.calls.push(call);
  }
}

/** What analyzing one file yields besides its signals. */
export interface FileAnalysis {
  python: boolean;
  /** UTF-8 bytes of the text analyzed. */
  bytes: number;
  result: SourceResult;
}

/** A code file's bytes as text. Most code is ASCII, which latin1 copies without UTF-8 decoding (the same string). */
/** Files larger than this are always analyzed on a pool thread: only they are worth a message's copy before decoding. */
export const POOL_WITHOUT_DECODING = SPARSE_ABOVE;

export function decodeSource(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buf.toString(isAscii(buf) ? 'latin1' : 'utf8');
}

/**
 * One file of the install/import closure analyzed as Python or JavaScript. The reach is not
 * needed here: it only labels signals, and the pass sets it when it records them. `tokensSeen`:
 * `tokenFreeFile` already answered undefined for this text (it is not scanned for tokens again).
 */
export function analyzeFile(file: string, text: string, out: SignalCollector, budget: Budget, tokensSeen = false): FileAnalysis {
  const place: Place = { file, reach: [], depth: 0 };
  const python = isPython(file, text);
  let result: SourceResult;
  try {
    result = python ? analyzePython(text, place, out, budget) : analyzeJavaScript(text, place, out, budget, tokensSeen);
  } catch {
    // A parser bug on hostile input loses this file's signals, never the pass.
    result = { imports: [], launches: [], parsed: false };
  }
  return { python, bytes: Buffer.byteLength(text), result };
}

function isPython(file: string, text: string): boolean {
  return /\.(py|pyw|pth)$/.test(file) || (!/\.(c|m)?js$/.test(file) && /^#!.*python/.test(text));
}

/**
 * The outcome of a JavaScript file that holds no token any signal needs, found without parsing
 * (exactly what `analyzeFile` returns for it); undefined for every other file. Most files of a
 * closure are these: the pass settles them itself rather than sending them to a pool thread.
 */
export function tokenFreeFile(file: string, text: string): FileAnalysis | undefined {
  if (isPython(file, text)) return undefined;
  const imports = tokenFreeImports(text);
  return imports && { python: false, bytes: Buffer.byteLength(text), result: { imports, launches: [], parsed: true } };
}
