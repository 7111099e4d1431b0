import type { Ecosystem } from '@vetbox/contracts';

/** Every input format `parseLockfile` recognises. */
export const LOCKFILE_FORMATS = [
  'package-lock',
  'npm-shrinkwrap',
  'yarn-classic',
  'yarn-berry',
  'pnpm',
  'requirements',
  'poetry',
  'uv',
  'pipfile',
  'allowlist',
] as const;
export type LockfileFormat = (typeof LOCKFILE_FORMATS)[number];

/** One package version to analyse, located in the input for SARIF. */
export interface LockfileEntry {
  ecosystem: Ecosystem;
  /** npm: as published (scoped names keep their scope); PyPI: PEP 503-normalized. */
  name: string;
  version: string;
  /** 1-based line in the input where this package's entry starts. */
  line: number;
}

/**
 * Why an entry was not turned into an analysis. Stable codes; `message` says it for people.
 * - not-pinned: no exact version (`>=`, `*`, no version at all)
 * - git / url / file / link / workspace / patch: not a registry artifact
 * - include / editable: requirements.txt `-r`/`-c` and `-e` lines
 * - bundled: ships inside its parent's tarball, which is analysed with it
 * - invalid-name / invalid-version / malformed: could not be read as a package
 * - unsupported: a protocol or source kind we do not analyse
 */
export const SKIP_REASONS = [
  'not-pinned',
  'git',
  'url',
  'file',
  'link',
  'workspace',
  'patch',
  'include',
  'editable',
  'bundled',
  'invalid-name',
  'invalid-version',
  'malformed',
  'unsupported',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** An input entry listed with the reason it is not analysed (never silently dropped). */
export interface SkippedEntry {
  /** The entry as written (a key, a line, or `name@spec`), capped in length. */
  raw: string;
  /** The package name, when one could be read. */
  name?: string;
  /** 1-based line where the entry starts. */
  line: number;
  reason: SkipReason;
  /** A sentence for people: what is wrong and, where useful, what to do. */
  message: string;
}

export interface ParsedLockfile {
  format: LockfileFormat;
  /** The format's own version marker when it has one (`3` for package-lock v3, `9.0` for pnpm 9). */
  formatVersion?: string;
  /** Distinct ecosystem/name/version entries, in input order (first occurrence kept). */
  entries: LockfileEntry[];
  skipped: SkippedEntry[];
}

/** The one spelling of a package version used in allowlists, policies and messages: `npm:a@1.0.0`, `pypi:a==1.0`. */
export function formatPackage(target: { ecosystem: Ecosystem; name: string; version: string }): string {
  return target.ecosystem === 'npm' ? `npm:${target.name}@${target.version}` : `pypi:${target.name}==${target.version}`;
}
