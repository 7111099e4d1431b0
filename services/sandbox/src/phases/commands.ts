import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
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
 * The idle phase's second install and import (the date is then a year ahead), in one traced
 * shell. The install step runs again only where installing runs package code (npm lifecycle
 * scripts or a native build in the staged tree; a PyPI sdist's build): installing a wheel or a
 * script-less npm tree again would run nothing new, at the cost of a whole install. pip would
 * skip a package it already installed: it reinstalls.
 */
export function againCommand(staged: StagedPackage): string[] {
  const steps: string[][] = [];
  if (installRunsPackageCode(staged)) {
    const install = phaseCommand('install', staged);
    if (staged.ecosystem === 'pypi') {
      const at = install.indexOf('install') + 1;
      install.splice(at, 0, '--force-reinstall', '--no-deps');
    }
    steps.push(install);
  }
  steps.push(phaseCommand('import', staged));
  return ['/bin/sh', '-c', steps.map((cmd) => cmd.map(quote).join(' ')).join('; ')];
}

const LIFECYCLE = ['preinstall', 'install', 'postinstall'];

/** Whether the install step runs code of the package (or of what it brings along). */
export function installRunsPackageCode(staged: StagedPackage): boolean {
  if (staged.ecosystem === 'pypi') return !staged.archiveFile.endsWith('.whl');
  const modules = path.join(staged.dir, 'node_modules');
  const dirs: string[] = [];
  for (const name of safeList(modules)) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) for (const sub of safeList(path.join(modules, name))) dirs.push(path.join(modules, name, sub));
    else dirs.push(path.join(modules, name));
  }
  return dirs.some((dir) => {
    if (existsSync(path.join(dir, 'binding.gyp'))) return true;
    try {
      const scripts = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { scripts?: Record<string, unknown> }).scripts ?? {};
      return LIFECYCLE.some((k) => typeof scripts[k] === 'string');
    } catch {
      return false;
    }
  });
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
