import { compare as pep440Compare, valid as pep440Valid } from '@renovatebot/pep440';
import { VetboxError, type Ecosystem } from '@vetbox/contracts';
import semver from 'semver';
import { checkNpmRequest, getPackument, npmPublishTimes, resolveNpmVersion } from './npm.js';
import { checkPypiRequest, pypiReleaseTimes } from './pypi.js';
import type { NpmFetchOptions, PypiFetchOptions } from './types.js';

export type PreviousVersionOptions = NpmFetchOptions & PypiFetchOptions;

/**
 * The baseline for "what does this version do that the last one did not": among the versions
 * published before `version`, the highest one that is also lower than it. Publish time alone
 * would pick 2.0.0 as the baseline of a 1.2.6 backport; version order alone would pick a
 * version published later. Prereleases count (2.0.0-rc.3 is the natural baseline of 2.0.0).
 * Returns null when there is none (the first release).
 */
export async function previousVersion(
  ecosystem: Ecosystem,
  name: string,
  version: string,
  opts: PreviousVersionOptions = {},
): Promise<string | null> {
  if (ecosystem === 'npm') {
    checkNpmRequest(name, version);
    const packument = await getPackument(name, opts, true);
    const exact = resolveNpmVersion(packument, name, version);
    return pickPrevious(npmPublishTimes(packument), exact, npmCompare, `npm package ${name}`);
  }
  checkPypiRequest(name, version);
  const times = await pypiReleaseTimes(name, opts);
  const exact = [...times.keys()].find((v) => v === version || pep440Compare(v, version) === 0);
  if (!exact) throw new VetboxError('PACKAGE_NOT_FOUND', `PyPI project ${name} has no release ${JSON.stringify(version)}`);
  return pickPrevious(times, exact, pypiCompare, `PyPI project ${name}`);
}

const npmCompare = (a: string, b: string) => semver.compare(a, b, { loose: true });
const pypiCompare = (a: string, b: string) => pep440Compare(a, b);

/** Pure core of previousVersion, over publish times (ms since epoch) by version. */
export function pickPrevious(
  times: ReadonlyMap<string, number>,
  version: string,
  compare: (a: string, b: string) => number,
  what = 'package',
): string | null {
  const at = times.get(version);
  if (at === undefined) throw new VetboxError('PACKAGE_NOT_FOUND', `${what}: no publish time for version ${JSON.stringify(version)}`);
  let best: string | null = null;
  for (const [v, t] of times) {
    if (v === version || t >= at || !isComparable(v)) continue;
    try {
      if (compare(v, version) >= 0) continue;
      if (best === null || compare(v, best) > 0) best = v;
    } catch {
      // A version string the comparator cannot order (ancient malformed releases) is skipped.
    }
  }
  return best;
}

function isComparable(v: string): boolean {
  return semver.valid(v, { loose: true }) !== null || pep440Valid(v) !== null;
}
