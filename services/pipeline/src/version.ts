import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/**
 * Analyses are deduplicated per analyzer version: bump the package version when the sandbox,
 * tracing or behavior model changes what an analysis records. Rule changes do not need a bump;
 * `vetbox rescore` re-judges stored behavior.
 */
export const ANALYZER_VERSION = `vetbox-pipeline/${pkg.version}`;
