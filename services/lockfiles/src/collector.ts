import semver from 'semver';
import { NPM_NAME_RE, PYPI_NAME_RE, VERSION_RE, type Ecosystem } from '@vetbox/contracts';
import type { LockfileEntry, SkippedEntry, SkipReason } from './types.js';

const RAW_CAP = 300;

/** PEP 503 normalization: lowercase, runs of `-`, `_`, `.` become one `-`. */
export function normalizePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

export function isValidNpmName(name: string): boolean {
  return name.length <= 214 && NPM_NAME_RE.test(name);
}

export function isValidPypiName(name: string): boolean {
  return name.length <= 214 && PYPI_NAME_RE.test(name);
}

export function isValidVersion(ecosystem: Ecosystem, version: string): boolean {
  if (version.length > 128 || !VERSION_RE.test(version)) return false;
  return ecosystem === 'npm' ? semver.valid(version) !== null : true;
}

/**
 * Gathers entries and skips for one parse: validates names and versions, normalizes PyPI
 * names and keeps the first of identical ecosystem/name/version entries.
 */
export class EntryCollector {
  readonly entries: LockfileEntry[] = [];
  readonly skipped: SkippedEntry[] = [];
  private readonly seen = new Set<string>();

  add(ecosystem: Ecosystem, rawName: string, version: string, line: number, raw?: string): void {
    const validName = ecosystem === 'npm' ? isValidNpmName(rawName) : isValidPypiName(rawName);
    if (!validName) {
      this.skip(raw ?? `${rawName}@${version}`, line, 'invalid-name', `"${rawName}" is not a valid ${ecosystem} package name`, rawName);
      return;
    }
    const name = ecosystem === 'pypi' ? normalizePypiName(rawName) : rawName;
    if (!isValidVersion(ecosystem, version)) {
      const what = ecosystem === 'npm' ? 'semver version' : 'version';
      this.skip(raw ?? `${rawName}@${version}`, line, 'invalid-version', `"${version}" is not a valid ${what}`, name);
      return;
    }
    const key = `${ecosystem}\u0000${name}\u0000${version}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.entries.push({ ecosystem, name, version, line });
  }

  skip(raw: string, line: number, reason: SkipReason, message: string, name?: string): void {
    const capped = raw.length > RAW_CAP ? `${raw.slice(0, RAW_CAP)}…` : raw;
    this.skipped.push(name === undefined ? { raw: capped, line, reason, message } : { raw: capped, name, line, reason, message });
  }
}
