import { loadEnv } from '@vetbox/config';
import { VetboxError } from '@vetbox/contracts';

/** Caps applied while reading an archive; every one is checked while streaming, before the next byte. */
export interface ArchiveLimits {
  /** Size of the archive file itself. */
  maxCompressedBytes: number;
  /** Bytes produced by decompression (tar headers included) or declared+read in a zip. */
  maxUnpackedBytes: number;
  /** Entries of any kind (files, directories). */
  maxEntries: number;
  /** Highest unpacked/compressed ratio tolerated once `ratioFloorBytes` have been unpacked. */
  maxRatio: number;
  /** Small archives of text legitimately compress well; the ratio is only judged beyond this. */
  ratioFloorBytes: number;
  /** Metadata files (package.json, PKG-INFO, RECORD...) are held in memory: cap their total. */
  maxMetadataBytes: number;
}

export function defaultArchiveLimits(overrides: Partial<ArchiveLimits> = {}): ArchiveLimits {
  const env = loadEnv();
  return {
    maxCompressedBytes: env.UPLOAD_MAX_BYTES,
    maxUnpackedBytes: env.ARCHIVE_MAX_UNPACKED_BYTES,
    maxEntries: 50_000,
    maxRatio: 200,
    ratioFloorBytes: 16 * 1024 * 1024,
    maxMetadataBytes: 32 * 1024 * 1024,
    ...overrides,
  };
}

export function badArchive(reason: string, details?: Record<string, unknown>): VetboxError {
  return new VetboxError('BAD_ARCHIVE', `bad archive: ${reason}`, { details });
}

export function tooLarge(reason: string, details?: Record<string, unknown>): VetboxError {
  return new VetboxError('ARCHIVE_TOO_LARGE', `archive too large: ${reason}`, { details });
}

const MiB = 1024 * 1024;
export function formatBytes(n: number): string {
  return n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : `${n} bytes`;
}

/**
 * Tracks what has been unpacked so far and throws as soon as a cap is crossed.
 * One instance per archive scan, shared by the tar and zip readers.
 */
export class UnpackBudget {
  entries = 0;
  unpackedBytes = 0;
  compressedBytes = 0;
  metadataBytes = 0;
  constructor(readonly limits: ArchiveLimits) {}

  addEntry(): void {
    this.entries += 1;
    if (this.entries > this.limits.maxEntries) {
      throw tooLarge(`more than ${this.limits.maxEntries} entries`, { maxEntries: this.limits.maxEntries });
    }
  }

  addCompressed(n: number): void {
    this.compressedBytes += n;
    if (this.compressedBytes > this.limits.maxCompressedBytes) {
      throw tooLarge(`archive exceeds ${formatBytes(this.limits.maxCompressedBytes)}`);
    }
  }

  addUnpacked(n: number): void {
    this.unpackedBytes += n;
    if (this.unpackedBytes > this.limits.maxUnpackedBytes) {
      throw tooLarge(`unpacked content exceeds ${formatBytes(this.limits.maxUnpackedBytes)}`, {
        maxUnpackedBytes: this.limits.maxUnpackedBytes,
      });
    }
    this.checkRatio();
  }

  addMetadata(n: number): void {
    this.metadataBytes += n;
    if (this.metadataBytes > this.limits.maxMetadataBytes) {
      throw badArchive(`metadata files exceed ${formatBytes(this.limits.maxMetadataBytes)}`);
    }
  }

  /** Decompression-bomb check: judged on what was actually produced from what was actually read. */
  checkRatio(): void {
    if (this.unpackedBytes < this.limits.ratioFloorBytes) return;
    const ratio = this.unpackedBytes / Math.max(1, this.compressedBytes);
    if (ratio > this.limits.maxRatio) {
      throw tooLarge(
        `decompression ratio over ${this.limits.maxRatio}:1 after ${formatBytes(this.unpackedBytes)} (decompression bomb)`,
        { ratio: Math.round(ratio), maxRatio: this.limits.maxRatio },
      );
    }
  }
}
