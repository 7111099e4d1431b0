export type { ExitEvent, SignalEvent, SyscallEvent, TraceEvent, TraceStats } from './types.js';
export { TraceParserState, flushPending, parseLine, parseLineInto, parseRange } from './line.js';
export {
  parseTraceFile,
  parseTraceFileBatches,
  parseTraceLines,
  parseTraceText,
  type LineSource,
  type ReadTraceOptions,
} from './stream.js';
export {
  AT_FDCWD,
  decodeQuoted,
  decodeQuotedBytes,
  field,
  parseArgs,
  parseEndpoint,
  parseFdDecoration,
  parseSockaddr,
  unescapePath,
  type Endpoint,
  type FdInfo,
  type SockAddr,
  type TraceValue,
} from './values.js';
