// Known-malicious lists: OSV MAL- records (e.g. ossf/malicious-packages) imported into
// PostgreSQL and matched against the package versions vetbox judges.
export { listsVersion } from './match.js';
export { readRecordFiles, MAX_RECORD_BYTES, type RecordFile } from './read.js';
export { IntelOsvRecord, listedPackages, type ListedPackage, type OsvRange } from './record.js';
export { findKnownMalicious, importRecords, knownMaliciousMatcher, listedNames, type ImportOptions, type ImportSummary, type PackageVersion } from './store.js';
