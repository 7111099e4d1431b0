import type { StagedPackage } from '@vetbox/contracts';
import { HELPERS, phaseCommand } from '../commands.js';
import type { LaterPhaseSettings } from './settings.js';

/** The execute phase: image/bin/execute-npm.cjs or execute-py.py over the package's modules. */
export function executeCommand(staged: StagedPackage, settings: LaterPhaseSettings): string[] {
  const boxes = [String(settings.callMs), String(settings.executeMs)];
  if (staged.ecosystem === 'npm') {
    const names = staged.importNames.length > 0 ? staged.importNames : [staged.name];
    return ['node', `${HELPERS}/execute-npm.cjs`, ...boxes, ...names];
  }
  return ['python3', `${HELPERS}/execute-py.py`, ...boxes, staged.name, ...staged.importNames];
}

/** The next-login phase: image/bin/next-login.cjs over what was planted (`specPath`: Sandbox.handToUser). */
export function nextLoginCommand(specPath: string, settings: LaterPhaseSettings): string[] {
  return ['node', `${HELPERS}/next-login.cjs`, String(settings.callMs), String(settings.executeMs), specPath];
}

const quote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;

/**
 * The idle phase's second install and import (the date is then a year ahead): the same
 * commands, in one traced shell. pip would skip a package it already installed: it reinstalls.
 */
export function againCommand(staged: StagedPackage): string[] {
  const install = phaseCommand('install', staged);
  if (staged.ecosystem === 'pypi') {
    const at = install.indexOf('install') + 1;
    install.splice(at, 0, '--force-reinstall', '--no-deps');
  }
  const script = [install, phaseCommand('import', staged)].map((cmd) => cmd.map(quote).join(' ')).join('; ');
  return ['/bin/sh', '-c', script];
}
