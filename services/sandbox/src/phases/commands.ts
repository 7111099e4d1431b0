import type { StagedPackage } from '@vetbox/contracts';
import { HELPERS, phaseCommand, pythonHarness } from '../commands.js';
import type { LaterPhaseSettings } from './settings.js';

/** The execute phase: image/bin/execute-npm.cjs or execute-py.py over the package's modules. */
export function executeCommand(staged: StagedPackage, settings: LaterPhaseSettings): string[] {
  const boxes = [String(settings.callMs), String(settings.executeMs)];
  if (staged.ecosystem === 'npm') {
    const names = staged.importNames.length > 0 ? staged.importNames : [staged.name];
    return ['node', `${HELPERS}/execute-npm.cjs`, ...boxes, ...names];
  }
  return pythonHarness('execute-py.py', ...boxes, staged.name, ...staged.importNames);
}

/** The next-login phase: image/bin/next-login.cjs over what was planted (`specPath`: Sandbox.handToUser). */
export function nextLoginCommand(specPath: string, settings: LaterPhaseSettings): string[] {
  return ['node', `${HELPERS}/next-login.cjs`, String(settings.callMs), String(settings.executeMs), specPath];
}

/**
 * The idle phase's second install and import (the date is then a year ahead), run one after the
 * other by image/bin/steps.cjs, which looks like the user's shell in ps. The install step runs
 * again only where installing runs package code (`reinstall`: installRunsPackageCode): installing
 * a wheel or a script-less npm package again would run nothing new, at the cost of a whole
 * install. npm: the same `npm install` as the install phase, so the package's scripts see the
 * same argv, npm_* environment and directory (npm_command=install, not the `rebuild` a harness
 * would run); the harness first takes the package out of node_modules, untraced
 * (`reinstallRemoves`), so npm installs it again. pip would skip it: it reinstalls.
 */
export function againCommand(staged: StagedPackage, reinstall: boolean): string[] {
  const steps: string[][] = [];
  if (reinstall) {
    const install = phaseCommand('install', staged);
    if (staged.ecosystem === 'pypi') install.splice(install.indexOf('install') + 1, 0, '--force-reinstall', '--no-deps');
    steps.push(install);
  }
  const load = phaseCommand('import', staged);
  steps.push(load[1] === STEPS ? load.slice(2) : load); // a Python harness: already a step
  return ['node', STEPS, ...steps.flatMap((cmd, i) => (i === 0 ? cmd : [';', ...cmd]))];
}

const STEPS = `${HELPERS}/steps.cjs`;

/** What the harness removes (as root, untraced) before the idle phase installs an npm package again. */
export function reinstallRemoves(staged: StagedPackage, workdir: string): string[] {
  return staged.ecosystem === 'npm' ? [`${workdir}/node_modules/${staged.name}`] : [];
}

/**
 * Whether installing the package runs its code: an sdist builds (runs setup.py), a wheel does
 * not; npm as fetch read the tarball (`installScript`), unknown counted as yes (install again
 * rather than miss it).
 */
export function installRunsPackageCode(staged: StagedPackage): boolean {
  if (staged.ecosystem === 'pypi') return !staged.archiveFile.endsWith('.whl');
  return staged.installScript ?? true;
}
