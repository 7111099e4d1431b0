import fs from 'node:fs';
import path from 'node:path';
import { NPM_NAME_RE, PHASES, PYPI_NAME_RE, VERSION_RE, VetboxError, type Ecosystem, type PhaseName } from '@vetbox/contracts';
import { formatPackage } from '@vetbox/lockfiles';

/** What the user asked to analyze, before anything is fetched or opened. */
export type Target =
  | { kind: 'registry'; ecosystem: Ecosystem; name: string; version: string }
  | { kind: 'archive'; path: string };

const USAGE = 'expected npm:<name>@<version>, pypi:<name>==<version>, or a path to a package archive (.tgz, .tar.gz, .zip, .whl)';

function invalid(message: string): VetboxError {
  return new VetboxError('INVALID_INPUT', `${message}; ${USAGE}`);
}

function checkVersion(version: string, spec: string): void {
  if (!version) throw invalid(`${JSON.stringify(spec)} has no version`);
  if (version.length > 128 || !VERSION_RE.test(version)) throw invalid(`${JSON.stringify(version)} is not a valid version`);
}

function parseNpm(rest: string, spec: string): Target {
  // The scope's own @ is not the version separator: look for @ after the first character.
  const at = rest.indexOf('@', 1);
  if (at < 0) throw invalid(`${JSON.stringify(spec)} has no version`);
  const name = rest.slice(0, at);
  const version = rest.slice(at + 1);
  if (name.length > 214 || !NPM_NAME_RE.test(name)) throw invalid(`${JSON.stringify(name)} is not a valid npm package name`);
  checkVersion(version, spec);
  return { kind: 'registry', ecosystem: 'npm', name, version };
}

function parsePypi(rest: string, spec: string): Target {
  const sep = rest.indexOf('==');
  if (sep < 0) throw invalid(`${JSON.stringify(spec)} has no version (PyPI pins use ==)`);
  const name = rest.slice(0, sep);
  const version = rest.slice(sep + 2);
  if (name.length > 214 || !PYPI_NAME_RE.test(name)) throw invalid(`${JSON.stringify(name)} is not a valid PyPI project name`);
  checkVersion(version, spec);
  return { kind: 'registry', ecosystem: 'pypi', name, version };
}

/**
 * Parses a command-line target. Registry specs are checked for shape only (the registry says
 * whether they exist); a path must name an existing regular file (its content is checked later,
 * by `inspectUpload`).
 */
export function parseTarget(spec: string, cwd = process.cwd()): Target {
  const trimmed = spec.trim();
  if (!trimmed) throw invalid('empty target');
  if (trimmed.startsWith('npm:')) return parseNpm(trimmed.slice(4), trimmed);
  if (trimmed.startsWith('pypi:')) return parsePypi(trimmed.slice(5), trimmed);
  const file = path.resolve(cwd, trimmed);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    // `lodash@4.17.21` or `requests==2.32.3` without a prefix is the likely mistake.
    const hint = /^[@a-z0-9]/i.test(trimmed) && /(@|==)[0-9]/.test(trimmed) ? ' (registry packages need an npm: or pypi: prefix)' : '';
    throw invalid(`${JSON.stringify(spec)} is not a registry spec and no such file exists${hint}`);
  }
  if (!stat.isFile()) throw invalid(`${JSON.stringify(spec)} is not a regular file`);
  return { kind: 'archive', path: file };
}

/** How progress lines name a target (archives by file name: their full path is noise). */
export function describeTarget(target: Target): string {
  if (target.kind === 'archive') return path.basename(target.path);
  return formatPackage(target);
}

/** `--phases install,import` → a de-duplicated list in run order. */
export function parsePhases(value: string): PhaseName[] {
  const asked = value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (asked.length === 0) throw new VetboxError('INVALID_INPUT', `--phases needs at least one of ${PHASES.join(', ')}`);
  for (const p of asked) {
    if (!(PHASES as readonly string[]).includes(p)) throw new VetboxError('INVALID_INPUT', `unknown phase ${JSON.stringify(p)}; phases are ${PHASES.join(', ')}`);
  }
  return PHASES.filter((p) => asked.includes(p));
}
