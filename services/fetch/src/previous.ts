import { compare as pep440Compare, explain as pep440Explain, valid as pep440Valid } from '@renovatebot/pep440';
import { VetboxError, type Ecosystem } from '@vetbox/contracts';
import semver from 'semver';
import { checkNpmRequest, getPackument, resolveNpmVersion } from './npm.js';
import { checkPypiRequest, pypiReleases } from './pypi.js';
import type { NpmFetchOptions, PypiFetchOptions } from './types.js';

export type PreviousVersionOptions = NpmFetchOptions & PypiFetchOptions;

/** An exact release version (semver for npm, PEP 440 for PyPI): not a dist-tag such as `latest`, not a range. */
export function isExactVersion(ecosystem: Ecosystem, version: string): boolean {
  return ecosystem === 'npm' ? semver.valid(version) !== null : pep440Valid(version) !== null;
}

/**
 * The baseline for "what does this version do that the last one did not": the highest
 * release lower than `version` — a stable one when `version` is stable (what users upgraded
 * from), any when it is a prerelease or no stable one exists. Null for the first release.
 *
 * Why version order and not publish time: a 1.2.6 backport published after 2.0.0 should be
 * compared with 1.2.5, not 2.0.0; and publish times are not reliable everywhere (the npm
 * mirror this project is tested against lists is-number 7.0.0 as published before 0.1.1).
 * Releases are still only those the registry lists (npm: published, PyPI: not fully yanked).
 */
export async function previousVersion(
  ecosystem: Ecosystem,
  name: string,
  version: string,
  opts: PreviousVersionOptions = {},
): Promise<string | null> {
  if (ecosystem === 'npm') {
    checkNpmRequest(name, version);
    const packument = await getPackument(name, opts);
    const exact = resolveNpmVersion(packument, name, version);
    const versions = Object.keys(packument.versions ?? {}).filter((v) => semver.valid(v, { loose: true }));
    return pickPrevious(versions, exact, npmOrder);
  }
  checkPypiRequest(name, version);
  const releases = await pypiReleases(name, opts);
  const versions = releases.filter((v) => pep440Valid(v));
  const exact = versions.find((v) => v === version) ?? versions.find((v) => pep440Compare(v, version) === 0);
  if (!exact) throw new VetboxError('PACKAGE_NOT_FOUND', `PyPI project ${name} has no release ${JSON.stringify(version)}`);
  return pickPrevious(versions, exact, pypiOrder);
}

export interface VersionOrder {
  compare(a: string, b: string): number;
  isPrerelease(v: string): boolean;
}

const npmOrder: VersionOrder = {
  compare: (a, b) => semver.compare(a, b, { loose: true }),
  isPrerelease: (v) => semver.prerelease(v, { loose: true }) !== null,
};

const pypiOrder: VersionOrder = {
  compare: (a, b) => pep440Compare(a, b),
  // PEP 440 pre- and dev-releases (post-releases are final releases).
  isPrerelease: (v) => {
    const p = pep440Explain(v);
    return !!p && (p.is_prerelease || p.is_devrelease);
  },
};

/** Pure core of previousVersion over a list of valid versions. */
export function pickPrevious(versions: readonly string[], version: string, order: VersionOrder): string | null {
  const lower = versions.filter((v) => order.compare(v, version) < 0);
  const stable = order.isPrerelease(version) ? lower : lower.filter((v) => !order.isPrerelease(v));
  const pool = stable.length > 0 ? stable : lower;
  let best: string | null = null;
  for (const v of pool) if (best === null || order.compare(v, best) > 0) best = v;
  return best;
}

export const versionOrders = { npm: npmOrder, pypi: pypiOrder } as const;
