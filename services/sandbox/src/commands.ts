import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { PhaseName, StagedPackage } from '@vetbox/contracts';

/**
 * Where the image keeps the helpers the sandbox user runs (the import steps, see image/bin): a
 * system directory, nothing named after the sandbox. The root-only ones (the phase driver, the
 * snapshot) are in ROOT_HELPERS, inside root's home, which the user cannot list.
 */
export const HELPERS = '/usr/local/libexec';
export const ROOT_HELPERS = '/root/.local/lib';

/**
 * The command each phase runs as the sandbox user, in the workdir (staged.dir's copy).
 * npm install: `npm install` in the app project, as a developer runs it: the lockfile names the
 * package and its dependencies, the user's npm cache holds their tarballs (staged on the host with
 * scripts disabled), and npm extracts them and runs their lifecycle scripts (npm_command=install).
 * pypi install: pip from the staged dist/ only, with the dependencies fetch staged there.
 */
export function phaseCommand(phase: PhaseName, staged: StagedPackage): string[] {
  const importNames = staged.importNames.length > 0 ? staged.importNames : [staged.name];
  if (staged.ecosystem === 'npm') {
    return phase === 'install'
      ? ['npm', 'install']
      : ['node', `${HELPERS}/import-npm.cjs`, ...importNames];
  }
  if (phase === 'install') {
    const deps = staged.dependencies ?? legacyDependencies(staged);
    // Every dependency staged: pip resolves them from dist/ (or keeps what the system has).
    // Some missing: pip installs exactly the staged archives, without resolving (--no-deps).
    const resolve = deps.complete && deps.archives.length > 0;
    return [
      'python3', '-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--no-index',
      '--find-links', 'dist', '--no-build-isolation', ...(resolve ? [] : ['--no-deps']),
      '--user', '--break-system-packages', staged.archiveFile, ...(resolve ? [] : deps.archives),
    ];
  }
  // Module names may be unknown before install: the helper then reads the installed metadata.
  return pythonHarness('import-py.py', staged.name, ...staged.importNames);
}

/**
 * A Python harness (image/bin), run as a plain `python3` reading it from stdin by the steps
 * runner (image/bin/steps.cjs --python), so the package sees no harness path in ps, sys.argv or
 * __main__.
 */
export function pythonHarness(script: string, ...args: string[]): string[] {
  return ['node', `${HELPERS}/steps.cjs`, '--python', `${HELPERS}/${script}`, ...args];
}

/** Staged before `dependencies` existed: any other archive in dist/ was a dependency pip may resolve. */
function legacyDependencies(staged: StagedPackage): NonNullable<StagedPackage['dependencies']> {
  const dist = path.join(staged.dir, 'dist');
  const archives = existsSync(dist) ? readdirSync(dist).filter((f) => /\.(tar\.gz|zip|whl|tgz|tar\.bz2)$/.test(f) && `dist/${f}` !== staged.archiveFile) : [];
  return { archives: archives.map((f) => `dist/${f}`), complete: true, notes: [] };
}

/** Python's user site (pip --user) for the image's Python 3.11. */
export const pythonUserSite = (home: string): string => `${home}/.local/lib/python3.11/site-packages`;

/** Directories that belong to the package itself, so a report can tell its own files from others'. */
export function packageDirs(staged: StagedPackage, home: string, workdir: string): string[] {
  if (staged.ecosystem === 'npm') return [`${workdir}/node_modules/${staged.name}`];
  const site = pythonUserSite(home);
  return staged.importNames.length > 0 ? staged.importNames.map((m) => `${site}/${m}`) : [site];
}
