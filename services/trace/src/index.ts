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
export type {
  CallEvent,
  CwdEvent,
  ExecEvent,
  FileEvent,
  FileEventOp,
  FloodEvent,
  NetEvent,
  NetFamily,
  NetProtocol,
  OpenFlags,
  ProcessExitEvent,
  SourcePortEvent,
  SpawnEvent,
  TracedEvent,
} from './events.js';
export { normalizePath, resolvePath } from './paths.js';
export { StraceNormalizer, detach, openFlags } from './strace/normalize.js';
export { errnoName, signalName } from './errno.js';
export { EbpfSession, ipv6, readSockaddr, type EbpfSessionOptions, type PhaseCounters, type PhasedEvent } from './ebpf/session.js';
export { FIELD, KIND, SYSCALLS, VBT_VERSION, fieldsOf, readRecords, type RecordStats, type VbtRecord } from './ebpf/records.js';
