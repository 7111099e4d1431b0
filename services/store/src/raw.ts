import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { SinkholeCapture, type RawEvidence } from '@vetbox/contracts';
import type { Db } from './db.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

const DAY_MS = 24 * 3_600_000;

/** When raw evidence stored now expires; 0 days means it is kept until deleted by hand. */
export function expiryFor(retentionDays: number, now = new Date()): Date | null {
  return retentionDays > 0 ? new Date(now.getTime() + retentionDays * DAY_MS) : null;
}

/** Replaces an analysis's raw evidence (a job run twice stores one set), gzip-compressed. */
export async function saveRawArtifacts(db: Db, analysisId: string, raw: RawEvidence[], retentionDays: number): Promise<void> {
  const expiresAt = expiryFor(retentionDays);
  const rows = await Promise.all(
    raw.map(async (r) => ({
      analysisId,
      kind: r.kind,
      phase: r.phase,
      encoding: 'gzip',
      size: r.data.length,
      data: new Uint8Array(await gzipAsync(r.data, { level: 6 })),
      expiresAt,
    })),
  );
  await db.rawArtifact.deleteMany({ where: { analysisId } });
  if (rows.length > 0) await db.rawArtifact.createMany({ data: rows });
}

export interface RawArtifactMeta {
  id: string;
  kind: string;
  phase: string | null;
  size: number;
  createdAt: Date;
  expiresAt: Date | null;
}

export async function listRawArtifacts(db: Db, analysisId: string): Promise<RawArtifactMeta[]> {
  return db.rawArtifact.findMany({
    where: { analysisId },
    select: { id: true, kind: true, phase: true, size: true, createdAt: true, expiresAt: true },
    orderBy: [{ kind: 'asc' }, { phase: 'asc' }],
  });
}

export interface RawArtifactContent extends RawArtifactMeta {
  /** The stored gzip bytes (serve as is with a .gz name, or gunzip). */
  gzipped: Buffer;
}

export async function getRawArtifact(db: Db, analysisId: string, rawId: string): Promise<RawArtifactContent | null> {
  const row = await db.rawArtifact.findFirst({ where: { id: rawId, analysisId } });
  if (!row) return null;
  const { data, ...meta } = row;
  return { id: meta.id, kind: meta.kind, phase: meta.phase, size: meta.size, createdAt: meta.createdAt, expiresAt: meta.expiresAt, gzipped: Buffer.from(data) };
}

export async function gunzipRaw(content: RawArtifactContent): Promise<Buffer> {
  return gunzipAsync(content.gzipped);
}

/** Deletes expired raw evidence; the reports themselves are kept. Returns how many rows went. */
export async function purgeExpiredRawArtifacts(db: Db, now = new Date()): Promise<number> {
  const { count } = await db.rawArtifact.deleteMany({ where: { expiresAt: { lt: now } } });
  return count;
}

/** The stored sinkhole capture of an analysis (raw evidence `sinkhole-capture`), if kept and valid. */
export async function storedCapture(db: Db, analysisId: string): Promise<SinkholeCapture | undefined> {
  const row = await db.rawArtifact.findFirst({ where: { analysisId, kind: 'sinkhole-capture' }, select: { data: true, encoding: true } });
  if (!row) return undefined;
  try {
    const bytes = row.encoding === 'gzip' ? await gunzipAsync(Buffer.from(row.data)) : Buffer.from(row.data);
    const parsed = SinkholeCapture.safeParse(JSON.parse(bytes.toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    // corrupt: rescore from the report alone
    return undefined;
  }
}
