import type { Ecosystem } from '@vetbox/contracts';
import { getJson } from './http.js';
import { packumentUrl, registryBase } from './npm.js';
import { pypiBase } from './pypi.js';
import { DEFAULTS, type FetchOptions } from './types.js';

/** When a package's name first appeared in its registry, and when the analyzed version did. */
export interface PublishHistory {
  /** ISO time of the name's first release. */
  firstPublished?: string;
  /** ISO time the analyzed version was published. */
  versionPublished?: string;
}

export interface HistoryOptions extends FetchOptions {
  registryUrl?: string;
  pypiUrl?: string;
}

/**
 * The registry's publish times for `name` (npm: the full packument's `time`, which the abbreviated
 * one used for downloads leaves out; PyPI: the earliest upload of any release). Metadata only,
 * never package code. Fields the registry does not give are left out.
 */
export async function publishHistory(ecosystem: Ecosystem, name: string, version: string, opts: HistoryOptions = {}): Promise<PublishHistory> {
  const common = { timeoutMs: opts.metadataTimeoutMs ?? DEFAULTS.metadataTimeoutMs, signal: opts.signal, maxBytes: DEFAULTS.maxMetadataBytes };
  if (ecosystem === 'npm') {
    const doc = (await getJson(packumentUrl(registryBase(opts), name), { ...common, what: `npm package ${name}`, accept: 'application/json' })) as { time?: Record<string, unknown> } | null;
    return npmHistory(doc?.time, version);
  }
  const doc = (await getJson(`${pypiBase(opts)}/pypi/${encodeURIComponent(name)}/json`, { ...common, what: `PyPI project ${name}` })) as { releases?: Record<string, unknown> } | null;
  return pypiHistory(doc?.releases, version);
}

export function npmHistory(time: Record<string, unknown> | undefined, version: string): PublishHistory {
  if (!time) return {};
  const releases = Object.entries(time).filter(([k, v]) => k !== 'created' && k !== 'modified' && isTime(v)).map(([, v]) => v as string);
  const created = isTime(time.created) ? time.created : undefined;
  return clean({ firstPublished: earliest([...(created ? [created] : []), ...releases]), versionPublished: isTime(time[version]) ? time[version] : undefined });
}

export function pypiHistory(releases: Record<string, unknown> | undefined, version: string): PublishHistory {
  if (!releases) return {};
  const uploads = (files: unknown): string[] =>
    Array.isArray(files) ? files.map((f) => (f as { upload_time_iso_8601?: unknown })?.upload_time_iso_8601).filter(isTime) : [];
  return clean({ firstPublished: earliest(Object.values(releases).flatMap(uploads)), versionPublished: earliest(uploads(releases[version])) });
}

function isTime(v: unknown): v is string {
  return typeof v === 'string' && !Number.isNaN(Date.parse(v));
}

function earliest(times: string[]): string | undefined {
  return times.length === 0 ? undefined : new Date(Math.min(...times.map((t) => Date.parse(t)))).toISOString();
}

function clean(h: PublishHistory): PublishHistory {
  return Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) as PublishHistory;
}
