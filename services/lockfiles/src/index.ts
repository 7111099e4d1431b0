export { parseLockfile, type ParseOptions } from './parse.js';
export { detectFormat } from './detect.js';
export { normalizePypiName } from './collector.js';
export {
  LOCKFILE_FORMATS,
  SKIP_REASONS,
  type LockfileFormat,
  type LockfileEntry,
  type SkippedEntry,
  type SkipReason,
  type ParsedLockfile,
} from './types.js';
