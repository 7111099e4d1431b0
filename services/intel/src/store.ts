import type { Ecosystem, KnownMaliciousRef } from '@vetbox/contracts';
import type { Prisma, PrismaClient } from '@vetbox/db';
import { canonicalPackageName, type Db } from '@vetbox/store';
import { listsVersion } from './match.js';
import type { RecordFile } from './read.js';
import { IntelOsvRecord, listedPackages, type OsvRange } from './record.js';

export interface ImportOptions {
  /** The list's name (default: the directory or zip name). */
  source: string;
  /** The list's date (default: the newest `modified` among its records). */
  date?: Date;
  /** Records written per transaction. */
  batchSize?: number;
}

export interface ImportSummary {
  source: string;
  date: string;
  /** `.json` files read. */
  files: number;
  added: number;
  updated: number;
  /** Already stored with the same `modified` time (a second import of the same list). */
  unchanged: number;
  withdrawn: number;
  /** Files that are not MAL- records for npm or PyPI, with the reason (first 20 kept). */
  skipped: number;
  skippedExamples: Array<{ file: string; reason: string }>;
}

interface Parsed {
  record: IntelOsvRecord;
  json: Prisma.InputJsonValue;
  packages: ReturnType<typeof listedPackages>;
}

/**
 * Loads OSV `MAL-` records into PostgreSQL, idempotently: a record is stored once by its OSV id
 * and replaced only when its `modified` time changes; importing the same list twice adds
 * nothing. Records for other ecosystems, other kinds of advisory (CVE, GHSA) and unreadable
 * files are counted as skipped, never fatal.
 */
export async function importRecords(prisma: PrismaClient, files: AsyncIterable<RecordFile>, options: ImportOptions): Promise<ImportSummary> {
  const summary: ImportSummary = { source: options.source, date: '', files: 0, added: 0, updated: 0, unchanged: 0, withdrawn: 0, skipped: 0, skippedExamples: [] };
  const skip = (file: string, reason: string) => {
    summary.skipped += 1;
    if (summary.skippedExamples.length < 20) summary.skippedExamples.push({ file, reason });
  };
  const source = await prisma.intelSource.upsert({
    where: { name: options.source },
    create: { name: options.source, date: options.date ?? new Date(0) },
    update: {},
  });
  let newest = 0;
  let batch: Parsed[] = [];
  const flush = async () => {
    if (batch.length > 0) await writeBatch(prisma, source.id, batch, summary);
    batch = [];
  };
  for await (const f of files) {
    summary.files += 1;
    if ('error' in f) {
      skip(f.file, f.error);
      continue;
    }
    const parsed = IntelOsvRecord.safeParse(f.json);
    if (!parsed.success) {
      skip(f.file, `not an OSV record (${parsed.error.issues.map((i) => `${i.path.join('.') || 'record'}: ${i.message}`).join('; ')})`);
      continue;
    }
    const record = parsed.data;
    if (!record.id.startsWith('MAL-')) {
      skip(f.file, `${record.id} is not a MAL- record (only known-malicious lists are imported)`);
      continue;
    }
    const packages = listedPackages(record);
    if (packages.length === 0) {
      skip(f.file, `${record.id} lists no npm or PyPI package version`);
      continue;
    }
    newest = Math.max(newest, Date.parse(record.modified));
    batch.push({ record, json: f.json as Prisma.InputJsonValue, packages });
    if (batch.length >= (options.batchSize ?? 500)) await flush();
  }
  await flush();
  const date = options.date ?? (newest > 0 ? new Date(newest) : source.importedAt);
  await prisma.intelSource.update({ where: { id: source.id }, data: { date, importedAt: new Date() } });
  summary.date = date.toISOString();
  return summary;
}

async function writeBatch(prisma: PrismaClient, sourceId: string, batch: Parsed[], summary: ImportSummary): Promise<void> {
  // A list may carry one id twice (a record and its withdrawn copy): the newest wins.
  const byId = new Map<string, Parsed>();
  for (const p of batch) {
    const other = byId.get(p.record.id);
    if (!other || Date.parse(p.record.modified) >= Date.parse(other.record.modified)) byId.set(p.record.id, p);
  }
  const existing = await prisma.intelRecord.findMany({ where: { id: { in: [...byId.keys()] } }, select: { id: true, modified: true } });
  const stored = new Map(existing.map((r) => [r.id, r.modified.getTime()]));
  await prisma.$transaction(
    async (tx) => {
      for (const { record, json, packages } of byId.values()) {
        const modified = new Date(record.modified);
        const before = stored.get(record.id);
        if (before !== undefined && before >= modified.getTime()) {
          summary.unchanged += 1;
          continue;
        }
        const data = {
          sourceId,
          summary: record.summary ?? null,
          aliases: record.aliases ?? [],
          modified,
          withdrawn: record.withdrawn ? new Date(record.withdrawn) : null,
          record: json,
        };
        if (before === undefined) {
          await tx.intelRecord.create({ data: { id: record.id, ...data } });
          summary.added += 1;
        } else {
          await tx.intelPackage.deleteMany({ where: { recordId: record.id } });
          await tx.intelRecord.update({ where: { id: record.id }, data });
          summary.updated += 1;
        }
        if (record.withdrawn) summary.withdrawn += 1;
        await tx.intelPackage.createMany({
          data: packages.map((p) => ({ recordId: record.id, ecosystem: p.ecosystem, name: p.name, versions: p.versions, ranges: p.ranges as unknown as Prisma.InputJsonValue })),
        });
      }
    },
    { timeout: 120_000 },
  );
}

export interface PackageVersion {
  ecosystem: Ecosystem;
  name: string;
  version: string;
}

/**
 * The imported records (not withdrawn) that list this exact version, oldest id first: what the
 * `known-malicious` finding cites.
 */
export async function findKnownMalicious(db: Db, pkg: PackageVersion): Promise<KnownMaliciousRef[]> {
  return (await knownMaliciousMatcher(db, pkg))(pkg.version);
}

/**
 * Every record listing some version of one package, loaded once, as a function of the version:
 * for callers that judge many versions of a package at a time (the vetted registry's decisions).
 */
export async function knownMaliciousMatcher(db: Db, pkg: Pick<PackageVersion, 'ecosystem' | 'name'>): Promise<(version: string) => KnownMaliciousRef[]> {
  const rows = await db.intelPackage.findMany({
    where: { ecosystem: pkg.ecosystem, name: canonicalPackageName(pkg.ecosystem, pkg.name), record: { withdrawn: null } },
    include: { record: { include: { source: true } } },
    orderBy: { recordId: 'asc' },
  });
  return (version) => {
    const refs = new Map<string, KnownMaliciousRef>();
    for (const row of rows) {
      if (!listsVersion({ ecosystem: pkg.ecosystem, versions: row.versions, ranges: row.ranges as unknown as OsvRange[] }, version)) continue;
      const r = row.record;
      refs.set(r.id, {
        id: r.id,
        ...(r.summary ? { summary: r.summary } : {}),
        source: r.source.name,
        sourceDate: r.source.date.toISOString(),
        modified: r.modified.toISOString(),
        ...(r.aliases.length > 0 ? { aliases: r.aliases } : {}),
      });
    }
    return [...refs.values()];
  };
}

/** `ecosystem:name` of every package some record lists: lets a rescore skip the lookup for the rest. */
export async function listedNames(db: Db): Promise<Set<string>> {
  const rows = await db.intelPackage.findMany({ where: { record: { withdrawn: null } }, select: { ecosystem: true, name: true }, distinct: ['ecosystem', 'name'] });
  return new Set(rows.map((r) => `${r.ecosystem}:${r.name}`));
}
