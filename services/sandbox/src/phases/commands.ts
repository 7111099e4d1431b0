import type { StagedPackage } from '@vetbox/contracts';
import { nodeHarness, phaseCommand, pythonHarness, pythonStep, runSteps, stepLine } from '../commands.js';
import type { LaterPhaseSettings } from './settings.js';

/** The execute phase: image/bin/execute-npm.cjs or execute-py.py over the package's modules. */
export function executeCommand(staged: StagedPackage, settings: LaterPhaseSettings): string[] {
  const boxes = [String(settings.callMs), String(settings.executeMs)];
  if (staged.ecosystem === 'npm') {
    const names = staged.importNames.length > 0 ? staged.importNames : [staged.name];
    return nodeHarness('execute-npm.cjs', ...boxes, ...names);
  }
  return pythonHarness('execute-py.py', ...boxes, staged.name, ...staged.importNames);
}

/** The next-login phase: image/bin/next-login.cjs over what was planted (`specPath`: Sandbox.handToUser). */
export function nextLoginCommand(specPath: string, settings: LaterPhaseSettings): string[] {
  return nodeHarness('next-login.cjs', String(settings.callMs), String(settings.executeMs), specPath);
}

/**
 * The idle phase's second install and import (the date is then a year ahead), run one after the
 * other by the steps runner (`runSteps`: a real bash, as the user's shell runs them). The install
 * step runs again only where installing runs package code (`reinstall`: installRunsPackageCode):
 * installing a wheel or a script-less npm package again would run nothing new, at the cost of a
 * whole install. It is exactly the install phase's command, so the package's scripts see the same
 * argv, npm_* environment and directory (npm_command=install, not the `rebuild` a harness would
 * run; `pip install`, not `--force-reinstall`): the harness first takes the package out
 * (`reinstallRemoves`: its node_modules entry; pypiMetadataEntries: its installed metadata, which
 * is what pip checks), untraced, so the installer installs it again.
 */
export function againCommand(staged: StagedPackage, reinstall: boolean): string[] {
  const steps: string[] = [];
  if (reinstall) steps.push(stepLine(phaseCommand('install', staged)));
  steps.push(staged.ecosystem === 'npm' ? stepLine(phaseCommand('import', staged)) : pythonStep('import-py.py', [staged.name, ...staged.importNames]));
  return runSteps(steps);
}

/** What the harness removes (as root, untraced) before the idle phase installs an npm package again. */
export function reinstallRemoves(staged: StagedPackage, workdir: string): string[] {
  return staged.ecosystem === 'npm' ? [`${workdir}/node_modules/${staged.name}`] : [];
}

/**
 * The installed metadata of a PyPI distribution among the entries of the user's site-packages:
 * `<name>-<version>.dist-info` (a wheel pip built) or `<name>-<version>[-py3.x].egg-info` (a
 * legacy `setup.py install`), the name escaped (`-` as `_`, any case). Without it pip finds the
 * distribution not installed and installs it again, running its build as at install.
 */
export function pypiMetadataEntries(name: string, entries: string[]): string[] {
  const canonical = (n: string) => n.toLowerCase().replace(/[-_.]+/g, '-');
  return entries.filter((e) => /\.(dist|egg)-info$/.test(e) && e.includes('-') && canonical(e.slice(0, e.indexOf('-'))) === canonical(name));
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
