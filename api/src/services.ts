import type { Redis } from 'ioredis';
import type { Logger } from '@vetbox/config';
import type { Ecosystem } from '@vetbox/contracts';
import type { PrismaClient } from '@vetbox/db';
import type { AnalysisQueue, ProgressSubscriber } from '@vetbox/queue';
import type { OutageView } from './outages.js';

/** What an uploaded archive turned out to be, after full validation (see @vetbox/fetch). */
export interface InspectedUpload {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  sha256: string;
  size: number;
  /** Canonical file name for staging. */
  fileName: string;
}

/** Does this exact version exist on its registry? Throws REGISTRY_UNAVAILABLE when it cannot tell. */
export interface RegistryLookup {
  versionExists(ecosystem: Ecosystem, name: string, version: string, signal?: AbortSignal): Promise<boolean>;
  /**
   * The release before `version` on the registry (`previousVersion` in @vetbox/fetch); null for
   * a first release. PACKAGE_NOT_FOUND when `version` is not a release, REGISTRY_UNAVAILABLE when
   * the registry cannot be asked.
   */
  previousVersion(ecosystem: Ecosystem, name: string, version: string, signal?: AbortSignal): Promise<string | null>;
}

/** Everything the /v1 routes need; tests build it with their own queue name and clients. */
export interface ApiServices {
  prisma: PrismaClient;
  /** A normal (non-subscriber) connection: rate limits, publishing. */
  redis: Redis;
  queue: AnalysisQueue;
  progress: ProgressSubscriber;
  logger: Logger;
  /** Which analyzer answers submissions now: deduplication is per analyzer version. */
  analyzerVersion: string;
  registry: RegistryLookup;
  inspectUpload(path: string, originalName?: string): Promise<InspectedUpload>;
  /** Uploads land in DATA_DIR/uploads, validated archives move to DATA_DIR/artifacts. */
  dataDir: string;
  uploadMaxBytes: number;
  /** Per API key; 0 disables rate limiting. */
  rateLimitPerMinute: number;
  /** SSE keep-alive comment interval. */
  sseHeartbeatMs?: number;
  /** What the workers report of Docker and PostgreSQL (waiting analyses, /readyz, /metrics). */
  outages?: OutageView;
  /** Base of links that leave the service (OSV records); default: the request's own origin. */
  publicUrl?: string;
}
