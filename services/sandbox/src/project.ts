import { readFileSync } from 'node:fs';
import path from 'node:path';
import { IMAGE_DIR } from './image.js';

/**
 * The npm project the analyzed package is installed into: an app with the most depended-upon
 * packages as dependencies (image/project), installed once into the image under APP_PROJECT_DIR.
 * Each sandbox links its project's node_modules entries there (APP_PROJECT_LINKS, symlinks
 * only), so a package requiring a popular module it never declared finds it as on a developer's
 * machine, at no per-analysis copy cost. npm keeps the links: the lockfile lists them.
 */
export const APP_PROJECT_DIR = '/usr/local/lib/node-project';
export const APP_PROJECT_LINKS = `${APP_PROJECT_DIR}/project-links.tar`;
/** Where the image's global CLIs live (`npm install -g` with prefix /usr). */
export const GLOBAL_NODE_MODULES = '/usr/lib/node_modules';

export interface NpmProject {
  manifest: { name: string; version: string; private?: boolean; dependencies: Record<string, string> } & Record<string, unknown>;
  /** package-lock.json (lockfileVersion 3). */
  lock: { packages: Record<string, Record<string, unknown>> } & Record<string, unknown>;
}

let cached: NpmProject | undefined;

/** A fresh copy of the app project's manifest and lockfile (callers add the package to it). */
export function appProject(): NpmProject {
  cached ??= {
    manifest: JSON.parse(readFileSync(path.join(IMAGE_DIR, 'project', 'package.json'), 'utf8')) as NpmProject['manifest'],
    lock: JSON.parse(readFileSync(path.join(IMAGE_DIR, 'project', 'package-lock.json'), 'utf8')) as NpmProject['lock'],
  };
  return structuredClone(cached);
}

/** The project with `name` added as a dependency at `spec` (an exact version or `file:dist/…`). */
export function appProjectWith(name: string, spec: string): NpmProject {
  const project = appProject();
  project.manifest.dependencies[name] = spec;
  const root = project.lock.packages[''] as { dependencies?: Record<string, string> } | undefined;
  if (root) root.dependencies = { ...root.dependencies, [name]: spec };
  return project;
}

/** Directories of packages that are not the analyzed one: the app's dependencies and global CLIs. */
export function bystanderDirs(workdir: string, own: string[]): string[] {
  return [APP_PROJECT_DIR, GLOBAL_NODE_MODULES, `${workdir}/node_modules`].filter((d) => !own.includes(d));
}
