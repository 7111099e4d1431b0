import { z } from 'zod';
import { ArtifactSource, Ecosystem } from './enums.js';

/**
 * The hand-off from fetch (host side, never runs package code) to the sandbox.
 * `dir` is a host directory whose whole content is copied into the sandbox's workdir.
 *
 * npm:  dir/package.json is a throwaway project depending on the package, and
 *       dir/node_modules holds the package and its dependencies installed on the host with
 *       `--ignore-scripts`; the sandbox runs `npm rebuild --foreground-scripts` to run every
 *       lifecycle script, and `require`/`import` of `importNames` for the import phase.
 * pypi: dir/dist/<archiveFile> is the sdist or wheel (plus any dependency archives in dist/);
 *       the sandbox runs pip offline (`--no-index --find-links dist --no-build-isolation`).
 */
export const StagedPackage = z.object({
  ecosystem: Ecosystem,
  name: z.string(),
  version: z.string(),
  source: ArtifactSource,
  sha256: z.string(),
  size: z.number().int().nonnegative(),
  dir: z.string(),
  /** pypi: path of the package archive relative to dir (e.g. dist/foo-1.0.tar.gz). npm: the tarball. */
  archiveFile: z.string(),
  /** What the import phase loads: npm package name, or top-level Python modules (may be empty: resolved in the sandbox after install). */
  importNames: z.array(z.string()),
  /** npm: entry points declared by package.json (main / exports), informative. */
  entryPoints: z.array(z.string()).default([]),
  /** Hosts the package's own metadata names as its home (repository, homepage, binary host). */
  declaredHosts: z.array(z.string()).default([]),
});
export type StagedPackage = z.infer<typeof StagedPackage>;
