import { z } from 'zod';
import { ArtifactSource, Ecosystem } from './enums.js';
import { ArchiveQuirk } from './report.js';

/**
 * The hand-off from fetch (host side, never runs package code) to the sandbox.
 * `dir` is a host directory whose whole content is copied into the sandbox's workdir.
 *
 * npm:  dir/package.json and dir/package-lock.json are the app project the package is installed
 *       into (its dependencies plus the package), resolved on the host with
 *       `--package-lock-only`; dir/.npm-cache holds every tarball the lockfile adds (fetched with
 *       `npm cache add`, never unpacked on the host). The sandbox links the app's installed
 *       dependencies into node_modules, moves the cache to ~/.npm, and runs a real `npm install`
 *       (lifecycle scripts run as in a user's install), then `require`/`import` of `importNames`.
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
  /**
   * npm: installing the package runs its code (a preinstall/install/postinstall script in its
   * own package.json, or a binding.gyp npm builds), read from the tarball on the host.
   * Unknown (undefined): treat as true.
   */
  installScript: z.boolean().optional(),
  /** Archive quirks the installer accepts (see PackageRef.archiveQuirks). */
  archiveQuirks: z.array(ArchiveQuirk).optional(),
  /**
   * pypi: the declared dependencies staged in dist/ (resolved and downloaded on the host, never
   * run). `complete`: every applicable requirement is there, so pip may resolve them itself;
   * otherwise pip installs the staged archives as given (--no-deps). `notes` say what is missing.
   */
  dependencies: z.object({ archives: z.array(z.string()), complete: z.boolean(), notes: z.array(z.string()) }).optional(),
});
export type StagedPackage = z.infer<typeof StagedPackage>;
