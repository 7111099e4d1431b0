import type { ArtifactSource } from '@vetbox/contracts';
import type { InspectedArchive } from './inspect.js';
import type { ArchiveLimits } from './limits.js';

/** A verified, inspected package archive on the host's disk: the input of `stage`. */
export interface FetchedArtifact extends InspectedArchive {
  source: ArtifactSource;
  /** Absolute path of the archive. Owned by the caller (see `dir`). */
  path: string;
  /** Registry downloads: the temporary directory fetch created for the archive (remove it when done), if any. */
  dir?: string;
  /** Registry downloads: where the archive came from. */
  url?: string;
}

export interface FetchOptions {
  /** Directory to download into; default: a fresh temporary directory (returned as `artifact.dir`). */
  destDir?: string;
  /** Per request, body included. Default 30 s for metadata, 120 s for archives. */
  metadataTimeoutMs?: number;
  downloadTimeoutMs?: number;
  /** Default 256 MiB. */
  maxDownloadBytes?: number;
  signal?: AbortSignal;
  /** Caps for the post-download inspection (the archive is hostile input even from a registry). */
  limits?: Partial<ArchiveLimits>;
}

export interface NpmFetchOptions extends FetchOptions {
  /** Default: NPM_REGISTRY_URL. */
  registryUrl?: string;
}

export interface PypiFetchOptions extends FetchOptions {
  /** Default: PYPI_URL (the JSON API lives at {PYPI_URL}/pypi/<name>/<version>/json). */
  pypiUrl?: string;
}

export const DEFAULTS = {
  metadataTimeoutMs: 30_000,
  downloadTimeoutMs: 120_000,
  maxDownloadBytes: 256 * 1024 * 1024,
  /** Full npm packuments of popular packages run to tens of MB. */
  maxMetadataBytes: 256 * 1024 * 1024,
} as const;
