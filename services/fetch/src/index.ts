// Host side of the pipeline: fetch → inspect → stage. Package code never runs here.
export { fetchNpm, expectedDigest, packumentUrl } from './npm.js';
export { fetchPypi, choosePypiFile, isPureWheel, isSandboxCompatibleWheel, type PypiFile } from './pypi.js';
export { inspectUpload, inspectArchive, type InspectedArchive, type ArchiveKind, type InspectOptions } from './inspect.js';
export { stage, npmInstallArgs, STAGED_NPM_CACHE, type StageOptions, type NpmProjectFiles } from './stage.js';
export { linkInstalledProject, tarballSpecs, type Lockfile, type LockEntry, type LinkedProject, type InstalledProject } from './npm-project.js';
export { versionExists } from './lookup.js';
export { isExactVersion, previousVersion, pickPrevious, versionOrders, type PreviousVersionOptions, type VersionOrder } from './previous.js';
export { defaultArchiveLimits, type ArchiveLimits } from './limits.js';
export { checkZipEntry, iterateZip, openEntryStream, openZip, scanArchive, type ArchiveFormat, type ArchiveScan, type CapturePredicate, type ScanOptions } from './scan.js';
export { publishHistory, npmHistory, pypiHistory, type PublishHistory, type HistoryOptions } from './history.js';
export type { FetchedArtifact, FetchOptions, NpmFetchOptions, PypiFetchOptions } from './types.js';
