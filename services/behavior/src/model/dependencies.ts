import type { ClassifyContext } from '../classify.js';

/**
 * Which declared dependency's code a package-manager child runs, if not the analyzed package's.
 * Only a process the package manager itself starts is attributed (its descendants inherit it):
 * package code cannot start a process whose parent is pip or npm, so it cannot pass its own
 * behavior off as a dependency's by choosing a directory.
 *
 * - pip builds a named requirement (a dependency; the analyzed archive is given by path and
 *   builds in `pip-req-build-*`) in `<tmp>/pip-install-<random>/<name>[_<hex>]`, running the
 *   build backend or `setup.py` with that directory as its working directory.
 *   Sample argv: `python3 -c "... exec(compile(... '/tmp/pip-install-k2x_p0/beacon-helper_5d0f.../setup.py' ...))" egg_info`.
 * - npm runs each package's lifecycle scripts in its directory:
 *   `sh -c node install.js` in `<workdir>/node_modules/<dependency>`.
 */
export function dependencyOf(cwd: string | null, argv: readonly string[], ctx: ClassifyContext): string | undefined {
  for (const place of [cwd ?? '', ...argv]) {
    const pip = PIP_DEPENDENCY_BUILD.exec(place);
    if (pip) return pip[1];
  }
  if (cwd === null) return undefined;
  const own = ctx.sandbox?.packageDirs ?? [];
  if (own.includes(cwd)) return undefined;
  const npm = NPM_PACKAGE_DIR.exec(cwd);
  return npm && cwd.startsWith(`${ctx.sandbox?.workdir ?? '\0'}/node_modules/`) ? npm[1] : undefined;
}

const PIP_DEPENDENCY_BUILD = /\/pip-install-[^/\s]+\/([a-z0-9][a-z0-9._-]*?)(?:_[0-9a-f]{32})?(?:\/|$|['"\s])/i;
/** The innermost package directory: `.../node_modules/@scope/name` or `.../node_modules/name`. */
const NPM_PACKAGE_DIR = /\/node_modules\/((?:@[^/]+\/)?[^/@][^/]*)$/;
