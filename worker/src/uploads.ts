import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { VetboxError, type AnalysisJob } from '@vetbox/contracts';
import type { PrismaClient } from '@vetbox/db';
import { readUploadBlob } from '@vetbox/store';

async function fileSha256(file: string): Promise<string | null> {
  try {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } catch {
    return null;
  }
}

/**
 * Uploads are analyzed from a local file. The API host stored one under its DATA_DIR; a worker
 * on another host (or after the file was cleaned up) writes the archive from PostgreSQL into its
 * own DATA_DIR/artifacts/<sha256>/ and hands the pipeline that path. The sha256 is checked
 * either way. Registry jobs pass through unchanged.
 */
export async function materializeUpload(prisma: PrismaClient, job: AnalysisJob, dataDir: string): Promise<AnalysisJob> {
  const a = job.artifact;
  if (a.source !== 'upload') return job;
  if (!a.sha256 || !a.storedPath) throw new VetboxError('INVALID_INPUT', 'upload job without sha256 or stored path');
  if ((await fileSha256(a.storedPath)) === a.sha256) return job;

  const local = path.join(dataDir, 'artifacts', a.sha256, path.basename(a.storedPath));
  if (local !== a.storedPath && (await fileSha256(local)) === a.sha256) return { ...job, artifact: { ...a, storedPath: local } };

  const blob = await readUploadBlob(prisma, { ecosystem: a.ecosystem, name: a.name, version: a.version, sha256: a.sha256 });
  if (!blob) throw new VetboxError('INTERNAL', `the uploaded archive ${a.name}@${a.version} (${a.sha256.slice(0, 12)}) is no longer stored`);
  if (createHash('sha256').update(blob).digest('hex') !== a.sha256) {
    throw new VetboxError('INTEGRITY_MISMATCH', `stored archive of ${a.name}@${a.version} does not match its sha256`);
  }
  await mkdir(path.dirname(local), { recursive: true });
  const temp = `${local}.${process.pid}.part`;
  await writeFile(temp, blob, { mode: 0o600 });
  await rename(temp, local);
  return { ...job, artifact: { ...a, storedPath: local } };
}
