import { readFileSync } from 'node:fs';
import path from 'node:path';
import { IMAGE_DIR } from './image.js';

/**
 * The npm project the analyzed package is installed into: an app with the most depended-upon
 * packages as dependencies (image/project), installed once into the image under APP_PROJECT_DIR.
 * Fetch stages each analysis's project with links to those installed packages (and a lockfile
 * saying so), so a package requiring a popular module it never declared finds it as on a
 * developer's machine, at no per-analysis copy cost.
 */
export const APP_PROJECT_DIR = '/usr/local/lib/node-project';
/**
 * APP_PROJECT_DIR as npm finds it from the project root: every workdir is
 * `/home/<user>/projects/<name>` (identity.ts), four levels below `/`.
 */
export const APP_PROJECT_FROM_WORKDIR = path.posix.relative('/home/user/projects/app', APP_PROJECT_DIR);
/** Where the image's global CLIs live (`npm install -g` with prefix /usr). */
export const GLOBAL_NODE_MODULES = '/usr/lib/node_modules';

export interface NpmProject {
  manifest: { name: string; version: string; private?: boolean; dependencies: Record<string, string> } & Record<string, unknown>;
  /** package-lock.json (lockfileVersion 3) of what the image installed. */
  lock: { packages: Record<string, Record<string, unknown>> } & Record<string, unknown>;
  /** Where the lock's packages are installed: from the project root, and absolute. */
  installed: { fromRoot: string; dir: string };
}

let cached: Omit<NpmProject, 'installed'> | undefined;

/** A fresh copy of the app project's manifest and lockfile (callers add the package to it). */
export function appProject(): NpmProject {
  cached ??= {
    manifest: JSON.parse(readFileSync(path.join(IMAGE_DIR, 'project', 'package.json'), 'utf8')) as NpmProject['manifest'],
    lock: JSON.parse(readFileSync(path.join(IMAGE_DIR, 'project', 'package-lock.json'), 'utf8')) as NpmProject['lock'],
  };
  return { ...structuredClone(cached), installed: { fromRoot: APP_PROJECT_FROM_WORKDIR, dir: APP_PROJECT_DIR } };
}

/** Directories of packages that are not the analyzed one: the app's dependencies and global CLIs. */
export function bystanderDirs(workdir: string, own: string[]): string[] {
  return [APP_PROJECT_DIR, GLOBAL_NODE_MODULES, `${workdir}/node_modules`].filter((d) => !own.includes(d));
}
