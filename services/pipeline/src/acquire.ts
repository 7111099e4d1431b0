import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { VetboxError, type AnalysisJob } from '@vetbox/contracts';
import { fetchNpm, fetchPypi, inspectUpload, type FetchedArtifact } from '@vetbox/fetch';

export interface AcquireOptions {
  /** Registry downloads land here (inside the analysis's work directory). */
  downloadDir: string;
  registryUrl?: string;
  pypiUrl?: string;
  signal: AbortSignal;
}

/**
 * The archive an analysis is about, verified and inspected on the host (nothing is unpacked or
 * run): a registry download checked against the registry's digest, or an upload re-inspected
 * from the artifact store, since the file crossed a process (and maybe a machine) boundary.
 */
export async function acquire(job: AnalysisJob, opts: AcquireOptions): Promise<FetchedArtifact> {
  const { artifact } = job;
  const fetched = artifact.source === 'upload' ? await inspectStoredUpload(job) : await download(job, opts);
  if (artifact.sha256 && fetched.sha256 !== artifact.sha256) {
    throw new VetboxError(
      'INTEGRITY_MISMATCH',
      `${artifact.name}@${artifact.version}: archive sha256 ${fetched.sha256} does not match the submitted ${artifact.sha256}`,
    );
  }
  // Registry downloads were resolved by name and version already; an upload names itself.
  if (artifact.source === 'upload' && (fetched.ecosystem !== artifact.ecosystem || fetched.name !== artifact.name || fetched.version !== artifact.version)) {
    throw new VetboxError(
      'BAD_ARCHIVE',
      `the archive is ${fetched.ecosystem}:${fetched.name}@${fetched.version}, not the submitted ${artifact.ecosystem}:${artifact.name}@${artifact.version}`,
    );
  }
  return fetched;
}

async function inspectStoredUpload(job: AnalysisJob): Promise<FetchedArtifact> {
  const stored = job.artifact.storedPath;
  if (!stored) throw new VetboxError('INVALID_INPUT', 'an uploaded artifact needs storedPath (the worker materializes it)');
  return inspectUpload(stored, path.basename(stored));
}

async function download(job: AnalysisJob, opts: AcquireOptions): Promise<FetchedArtifact> {
  const { ecosystem, name, version } = job.artifact;
  await mkdir(opts.downloadDir, { recursive: true });
  const common = { destDir: opts.downloadDir, signal: opts.signal };
  return ecosystem === 'npm'
    ? fetchNpm(name, version, { ...common, registryUrl: opts.registryUrl })
    : fetchPypi(name, version, { ...common, pypiUrl: opts.pypiUrl });
}
