import type { ArtifactSource, Ecosystem } from '@vetbox/contracts';
import type { Artifact, Package } from '@vetbox/db';
import type { Db } from './db.js';

export interface ArtifactInput {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  source: ArtifactSource;
  /** Known up front for uploads; registry releases learn it at fetch time. */
  sha256?: string;
  size?: number;
  storedPath?: string;
}

/**
 * The one spelling a package is stored under: PyPI names compare case-insensitively with runs of
 * `-`, `_`, `.` equal (PEP 503), so `Django`, `django` and `DJANGO` are one package. npm names are
 * already canonical (lowercase is enforced).
 */
export function canonicalPackageName(ecosystem: Ecosystem, name: string): string {
  return ecosystem === 'pypi' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name;
}

export async function upsertPackage(db: Db, ecosystem: Ecosystem, rawName: string): Promise<Package> {
  const name = canonicalPackageName(ecosystem, rawName);
  return db.package.upsert({
    where: { ecosystem_name: { ecosystem, name } },
    create: { ecosystem, name },
    update: {},
  });
}

/**
 * The artifact row an analysis points at. Registry releases are identified by name and version
 * (the registry pins the bytes); uploads by their sha256 too, since anyone can upload anything
 * under any name. Callers serialize on `dedupKey` so two submissions cannot create twins.
 */
export async function findOrCreateArtifact(db: Db, input: ArtifactInput): Promise<Artifact & { package: Package }> {
  const pkg = await upsertPackage(db, input.ecosystem, input.name);
  const existing = await db.artifact.findFirst({
    where: {
      packageId: pkg.id,
      version: input.version,
      source: input.source,
      ...(input.source === 'upload' ? { sha256: input.sha256 ?? null } : {}),
    },
    orderBy: { createdAt: 'asc' },
    include: { package: true },
  });
  if (existing) {
    // A re-upload of identical bytes may carry a fresh stored copy; keep one that exists.
    if (input.storedPath && existing.storedPath !== input.storedPath) {
      return db.artifact.update({ where: { id: existing.id }, data: { storedPath: input.storedPath }, include: { package: true } });
    }
    return existing;
  }
  return db.artifact.create({
    data: {
      packageId: pkg.id,
      version: input.version,
      source: input.source,
      sha256: input.sha256 ?? null,
      size: input.size ?? null,
      storedPath: input.storedPath ?? null,
    },
    include: { package: true },
  });
}

/** One string per artifact identity, used for the advisory lock around dedup. */
export function dedupKey(input: ArtifactInput): string {
  const parts = [input.ecosystem, canonicalPackageName(input.ecosystem, input.name), input.version, input.source];
  if (input.source === 'upload') parts.push(input.sha256 ?? '');
  return JSON.stringify(parts);
}

/** Stores an upload's bytes once (identical bytes are the same artifact). */
export async function saveArtifactBlob(db: Db, artifactId: string, data: Buffer): Promise<void> {
  const existing = await db.artifactBlob.findUnique({ where: { artifactId }, select: { artifactId: true } });
  if (existing) return;
  await db.artifactBlob.create({ data: { artifactId, data: new Uint8Array(data), size: data.length } });
}

/** The stored bytes of an uploaded artifact, found by its identity; null when none is stored. */
export async function readUploadBlob(
  db: Db,
  key: { ecosystem: Ecosystem; name: string; version: string; sha256: string },
): Promise<Buffer | null> {
  const row = await db.artifactBlob.findFirst({
    where: {
      artifact: { source: 'upload', version: key.version, sha256: key.sha256, package: { ecosystem: key.ecosystem, name: canonicalPackageName(key.ecosystem, key.name) } },
    },
    select: { data: true },
  });
  return row ? Buffer.from(row.data) : null;
}
