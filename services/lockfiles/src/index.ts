export { parseLockfile, decodeLockfile, type ParseOptions } from './parse.js';
export { detectFormat } from './detect.js';
export { normalizePypiName } from './collector.js';
export {
  LOCKFILE_FORMATS,
  formatPackage,
  SKIP_REASONS,
  type LockfileFormat,
  type LockfileEntry,
  type SkippedEntry,
  type SkipReason,
  type ParsedLockfile,
} from './types.js';
export {
  FailOn,
  Policy,
  PolicyException,
  DEFAULT_POLICY,
  ITEM_STATUSES,
  parsePolicy,
  policyFromObject,
  parsePackageTarget,
  evaluatePolicy,
  verdictFromFindings,
  type PolicyInput,
  type PackageTarget,
  type VetItem,
  type VetItemFinding,
  type ItemStatus,
  type ItemEvaluation,
  type EvaluatedItem,
  type ExceptedFinding,
  type AppliedException,
  type ExceptionReport,
  type PolicyEvaluation,
  type EvaluateOptions,
} from './policy.js';
export {
  toJson,
  toCsv,
  toSarif,
  csvField,
  sarifLevel,
  pathToUri,
  CSV_COLUMNS,
  SARIF_SCHEMA_URI,
  VET_REPORT_JSON_FORMAT,
  type VetReport,
  type SarifOptions,
} from './export.js';
export { toVetItem, summaryLine, type AnalysisOutcome } from './items.js';
export { syntheticPackageLock, syntheticRequirements, type SyntheticOptions } from './synthetic.js';
