import { createReadStream, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import type { StagedPackage } from '@vetbox/contracts';
import { HELPERS, phaseCommand, pythonHarness, pythonStep, runSteps, stepLine } from '../commands.js';
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

const LIFECYCLE = ['preinstall', 'install', 'postinstall'];

/** Whether installing the package runs its code: read on the host from what was staged. */
export async function installRunsPackageCode(staged: StagedPackage): Promise<boolean> {
  if (staged.ecosystem === 'pypi') return !staged.archiveFile.endsWith('.whl');
  const manifest = await npmManifest(staged);
  if (!manifest) return true; // unreadable: install again rather than miss it
  return manifest.gyp || LIFECYCLE.some((k) => typeof manifest.scripts[k] === 'string');
}

/** The package's scripts and whether it has a binding.gyp (npm builds it: node-gyp rebuild). */
async function npmManifest(staged: StagedPackage): Promise<{ scripts: Record<string, unknown>; gyp: boolean } | undefined> {
  const unpacked = path.join(staged.dir, 'node_modules', staged.name);
  if (existsSync(path.join(unpacked, 'package.json'))) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(unpacked, 'package.json'), 'utf8')) as { scripts?: Record<string, unknown> };
      return { scripts: pkg.scripts ?? {}, gyp: existsSync(path.join(unpacked, 'binding.gyp')) };
    } catch {
      return undefined;
    }
  }
  const archive = path.join(staged.dir, staged.archiveFile);
  if (!existsSync(archive)) return undefined;
  let scripts: Record<string, unknown> | undefined;
  let gyp = false;
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      // npm packs everything under one top directory (`package/`, sometimes another name).
      const rel = header.name.replace(/^[^/]+\//, '');
      if (rel === 'binding.gyp') gyp = true;
      if (rel !== 'package.json' || scripts !== undefined) {
        stream.on('end', next).resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        try {
          scripts = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { scripts?: Record<string, unknown> }).scripts ?? {};
        } catch {
          /* unreadable manifest: decided below */
        }
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  try {
    await pipeline(createReadStream(archive), createGunzip(), extract);
    await done;
  } catch {
    return undefined;
  }
  return scripts === undefined ? undefined : { scripts, gyp };
}
