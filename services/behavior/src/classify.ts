import { STEPS_RUNNER, type FileOp, type SandboxInfo } from '@vetbox/contracts';
import { basename, isUnder } from './paths.js';

/**
 * Noise control. The report lists what the package did; what the package manager and the
 * language runtimes do on their own is folded into per-category counts (nothing vanishes: the
 * summaries keep a count and examples, and syscallCounts keep every call).
 *
 * Two questions decide it:
 * 1. Who: a package-manager process (npm/npx/pnpm/yarn, node running npm-cli.js, pip) is
 *    housekeeping whatever it touches, except the exec that turns one of its forks into a
 *    lifecycle script (`sh -c <script>`), which belongs to the package from then on.
 *    So `~/.npmrc` read by npm is housekeeping, but read by a script's child it is evidence.
 * 2. What: a few paths every process touches just by starting (shared libraries, locale,
 *    /dev/null, /proc/self, the runtime's own files, the resolver's config) are housekeeping
 *    when only read or probed, whoever does it. Writes and execs there stay evidence.
 */

/**
 * Programs a package manager runs for itself (pip's `platform` module calls `uname`): when the
 * parent is a package manager, these children stay housekeeping.
 */
export function isPackageManagerHelper(argv: readonly string[]): boolean {
  return argv.length > 0 && /^(uname|lsb_release)$/.test(basename(argv[0]));
}

/** Default test for package-manager processes, from the argv after execve. */
export function isPackageManagerArgv(argv: readonly string[]): boolean {
  if (argv.length === 0) return false;
  const prog = basename(argv[0]);
  if (/^(npm|npx|pnpm|pnpx|yarn|yarnpkg|corepack|pip|pip3(\.\d+)?)$/.test(prog)) return true;
  const script = argv[1] ?? '';
  if (/^node(js)?(\d+)?$/.test(prog)) {
    // `node /usr/lib/node_modules/npm/bin/npm-cli.js ...`, `node /usr/bin/npm ...` (env shebang).
    // Not node-gyp from npm's own node_modules: that builds the package's code.
    return /(^|\/)(npm|npx)(-cli\.js)?$|\/node_modules\/(pnpm|yarn|corepack)\/(bin|dist)\/[^/]+$|\/bin\/(pnpm|yarn|corepack)(\.c?js)?$/.test(script);
  }
  if (/^python(\d(\.\d+)?)?$/.test(prog)) {
    const m = argv.indexOf('-m');
    if (m > 0 && /^pip\d*$/.test(argv[m + 1] ?? '')) return true;
    return /(^|\/)pip\d*(\.\d+)?$/.test(script);
  }
  return false;
}

/**
 * The harness's steps runner (services/sandbox commands.ts `runSteps`): a real bash that runs a
 * phase's steps as the user's shell would, the idle window's second install and import and the
 * PyPI harnesses: `/bin/bash -c '<STEPS_RUNNER>' bash '<script>'`, which then executes itself
 * again as a plain `bash` reading the script (processes.ts keeps the first argv). Reports made
 * before it ran `node /usr/local/libexec/steps.cjs <steps>`, and before that one shell:
 * `/bin/sh -c "'npm' 'rebuild' …; 'node' '/usr/local/libexec/import-npm.cjs' …"`. Only a phase's
 * root process can be it: package code cannot start a phase, so a look-alike it runs stays evidence.
 */
const OLD_STEPS_RUNNER = '/usr/local/libexec/steps.cjs';
const HARNESS_SHELL_SCRIPT = /^(?:(?:'npm' 'rebuild'|'python3' '-m' 'pip' 'install')(?: '[^']*')*; )?'(?:node|python3)' '\/usr\/local\/libexec\/import-(?:npm\.cjs|py\.py)'(?: '[^']*')*$/;
export function isHarnessShell(argv: readonly string[]): boolean {
  if (argv.length === 5 && /^(\/usr)?\/bin\/bash$/.test(argv[0]!) && argv[1] === '-c' && argv[2] === STEPS_RUNNER) return true;
  if (argv.length >= 3 && /^(\/usr\/bin\/)?node$/.test(argv[0]!) && argv[1] === OLD_STEPS_RUNNER) return true;
  return argv.length === 3 && argv[0] === '/bin/sh' && argv[1] === '-c' && HARNESS_SHELL_SCRIPT.test(argv[2]!);
}

/**
 * The steps of the runner's script that run a harness (commands.ts `pythonStep`, `nodeStep`): the
 * harness file each reads and its argv (JSON), for python3 and node. The first is how Python steps
 * looked before the harness ran in a namespace of its own (reports made before then).
 */
const HARNESS_STEPS: Array<{ program: RegExp; step: RegExp; file: number; args: number; argv0: boolean }> = [
  { program: /^(\/usr\/bin\/)?python3$/, step: /^(?:exec )?python3 <<< 'import os, sys; sys\.argv\[:\] = (\[[^\n]*?\]); [^\n]*\n'"\$\(< '([^']+)'\)"$/m, file: 2, args: 1, argv0: true },
  { program: /^(\/usr\/bin\/)?python3$/, step: /^(?:exec )?python3 <<< 'exec\(compile\(open\("([^"]+)"\)\.read\(\), "<stdin>", "exec"\), \{[^\n]*?"argv": (\[[^\n]*?\])\}\)'$/m, file: 1, args: 2, argv0: true },
  { program: /^(\/usr\/bin\/)?node$/, step: /^(?:exec )?node <<< '\(function \(argv\) \{'"\$\(< '([^']+)'\)"'\n\}\)\((\[[^\n]*?\])\);'$/m, file: 1, args: 2, argv0: false },
];

/**
 * What a harness step of the steps runner runs: a plain `python3` or `node` that reads the harness
 * from stdin, so the trace shows argv `python3` / `node`; the report names the script and its
 * arguments as if run from a file.
 */
export function harnessStepArgv(runner: readonly string[], argv: string[]): string[] {
  const steps = HARNESS_STEPS.filter((s) => argv.length === 1 && s.program.test(argv[0]!));
  if (steps.length === 0 || !isHarnessShell(runner)) return argv;
  if (runner[2] === STEPS_RUNNER) {
    for (const s of steps) {
      const m = s.step.exec(runner[4]!);
      if (!m) continue;
      try {
        const args = JSON.parse(m[s.args]!) as string[];
        return [argv[0]!, m[s.file]!, ...(s.argv0 ? args.slice(1) : args)];
      } catch {
        return argv;
      }
    }
    return argv;
  }
  if (!/python3$/.test(argv[0]!)) return argv;
  const at = runner.indexOf('--python');
  if (at < 0) return argv;
  const end = runner.indexOf(';', at);
  return [argv[0]!, ...runner.slice(at + 1, end < 0 ? undefined : end)];
}

/** The runner executing itself again as plain `bash` (STEPS_RUNNER): still the runner. */
export const isRunnerReexec = (runner: readonly string[], argv: readonly string[]): boolean => runner[2] === STEPS_RUNNER && argv.length === 1 && argv[0] === 'bash';

const DEVICE_PATHS = new Set(['/dev/null', '/dev/zero', '/dev/urandom', '/dev/random', '/dev/tty', '/dev/full', '/dev/stdin', '/dev/stdout', '/dev/stderr']);
const RESOLVER_FILES = new Set(['/etc/resolv.conf', '/etc/hosts', '/etc/nsswitch.conf', '/etc/host.conf', '/etc/gai.conf', '/etc/netsvc.conf', '/etc/svc.conf']);
const LOCALE_PREFIXES = ['/usr/lib/locale', '/usr/share/locale', '/usr/lib/x86_64-linux-gnu/gconv', '/usr/lib/aarch64-linux-gnu/gconv', '/usr/share/zoneinfo', '/usr/share/i18n'];
const LOCALE_FILES = new Set(['/etc/localtime', '/etc/locale.alias', '/etc/timezone']);
const LIB_DIRS = ['/lib', '/lib64', '/usr/lib', '/usr/lib64', '/usr/local/lib', '/lib32', '/usr/lib32'];
const NODE_RUNTIME = ['/usr/lib/node_modules/npm', '/usr/local/lib/node_modules/npm', '/usr/lib/node_modules/corepack', '/usr/local/lib/node_modules/corepack', '/usr/share/nodejs', '/usr/lib/nodejs', '/usr/include/node', '/usr/share/node_modules'];
// /usr/local/share/ca-certificates holds the sandbox's interception CA, which Node reads at start
// (NODE_EXTRA_CA_CERTS): every node process touches it, like the system store.
const TRUST_STORE = ['/etc/ssl', '/usr/lib/ssl', '/usr/share/ca-certificates', '/usr/local/share/ca-certificates', '/etc/ca-certificates', '/etc/pki'];
const SELF_PROC = /^\/proc\/(self|thread-self)(\/|$)/;
const OWN_PROC = /^\/proc\/(\d+)(\/|$)/;
const RUNTIME_SYS = /^\/sys\/(fs\/cgroup|devices\/system\/(cpu|node))(\/|$)|^\/proc\/(meminfo|stat|cpuinfo|filesystems|sys\/vm\/overcommit_memory|sys\/kernel\/(osrelease|random\/boot_id))$/;
const PYTHON_STDLIB = /^\/usr(\/local)?\/lib\/python3(\.\d+)?\/(?!site-packages\/|dist-packages\/)|^\/usr\/lib\/python3\/dist-packages\/|^\/usr(\/local)?\/lib\/python3\.\d+$|^\/usr(\/local)?\/lib\/python3\d+\.zip$/;
const SHARED_LIB = /\.so(\.[\d.]+)?$/;
// CPython's startup probes beside its executable (getpath): venv marker, ._pth, build dir, landmarks.
const PYTHON_STARTUP = /(\/pyvenv\.cfg|\/python3(\.\d+)?\._pth|\/pybuilddir\.txt|\/Modules\/Setup(\.local)?|\/lib\/python3\d*\.zip|\/lib\/python3\.\d+\/(os\.pyc?|lib-dynload))$|^\/usr(\/local)?\/lib$/;
/** vetbox's own import/run helpers inside the sandbox image. */
// The image's import helpers (and, in reports made before they moved, /opt/vetbox).
const VETBOX_HARNESS = ['/opt/vetbox', ...['import-npm.cjs', 'import-py.py', 'execute-npm.cjs', 'execute-py.py', 'next-login.cjs', 'steps.cjs'].map((f) => `/usr/local/libexec/${f}`)];
/** pip's scratch directories: the unpacked sdist it builds, egg-info, wheel cache, build env. */
const PIP_BUILD_DIR = /^\/tmp\/pip-(req-build|install|wheel|pip-egg-info|build-env|ephem-wheel-cache|build-tracker|unpack|target|modern-metadata)-[^/]+(\/|$)/;
/** Directories every runtime stats while setting up its search paths. */
const SYSTEM_DIRS = new Set(['/usr', '/usr/bin', '/usr/sbin', '/usr/local', '/usr/local/bin', '/usr/lib', '/usr/local/lib', '/usr/lib/python3', '/usr/share', '/bin', '/sbin', '/lib', '/lib64', '/opt', '/tmp', '/home', '/etc']);
const BIN_DIR = /^(\/usr(\/local)?)?\/s?bin\/[^/]+$|\/(bin|sbin|shims)\/[^/]+$/;

export interface ClassifyContext {
  sandbox?: SandboxInfo;
  /** npm cache/config directories of the sandbox user (`~/.npm`, `~/.cache/pip`, ...). */
  homeCaches: string[];
  /** Ancestor directories of the workdir, package dirs and home (`/`, `/tmp`, ...). */
  ancestors: Set<string>;
}

export function classifyContext(sandbox: SandboxInfo | undefined): ClassifyContext {
  const home = sandbox?.home;
  const homeCaches = home ? [`${home}/.npm`, `${home}/.cache/pip`, `${home}/.cache/node-gyp`, `${home}/.node-gyp`, `${home}/.cache/yarn`] : [];
  const ancestors = new Set<string>(['/']);
  for (const dir of [sandbox?.workdir, sandbox?.home, ...(sandbox?.packageDirs ?? [])]) {
    if (dir === undefined) continue;
    for (let d = dir; d.length > 1; d = d.slice(0, Math.max(1, d.lastIndexOf('/')))) ancestors.add(d);
  }
  return { sandbox, homeCaches, ancestors };
}

/**
 * Housekeeping category of a file access, or null when it is evidence. `pm` says the process
 * is a package manager; `pid` lets `/proc/<own pid>/...` count as self-inspection.
 */
export function classifyFile(ctx: ClassifyContext, pm: boolean, pid: number, path: string, op: FileOp, result: string): string | null {
  if (op === 'exec') {
    // PATH search: `execve("/usr/local/bin/sh", ...) = -1 ENOENT` before the one that works.
    if (result === 'ENOENT') return 'exec-path-search';
    // The package manager re-executing itself (`npm` → `node /usr/bin/npm`): not the package.
    return pm ? 'package-manager' : null;
  }
  if (path.startsWith('/dev/') && (DEVICE_PATHS.has(path) || path.startsWith('/dev/pts/') || path.startsWith('/dev/fd/'))) return 'devices';
  if (pm) return packageManagerCategory(ctx, path);
  if (op !== 'read' && op !== 'stat') return null;
  if (path === '/etc/ld.so.cache' || path === '/etc/ld.so.preload') return 'shared-libraries';
  if (SHARED_LIB.test(path) && LIB_DIRS.some((d) => isUnder(path, d))) return 'shared-libraries';
  if (LOCALE_FILES.has(path) || LOCALE_PREFIXES.some((d) => isUnder(path, d))) return 'locale';
  if (SELF_PROC.test(path) || RUNTIME_SYS.test(path)) return 'runtime-introspection';
  const own = OWN_PROC.exec(path);
  if (own !== null && Number(own[1]) === pid) return 'runtime-introspection';
  if (RESOLVER_FILES.has(path)) return 'resolver-config';
  if (NODE_RUNTIME.some((d) => isUnder(path, d)) || path === '/usr/bin/node' || path === '/usr/local/bin/node') return 'node-runtime';
  if (PYTHON_STDLIB.test(path) || PYTHON_STARTUP.test(path)) return 'python-stdlib';
  if (TRUST_STORE.some((d) => isUnder(path, d))) return 'tls-trust-store';
  if (VETBOX_HARNESS.some((d) => isUnder(path, d))) return 'vetbox-harness';
  if (PIP_BUILD_DIR.test(path)) return 'pip-build-dir';
  // Node reads the package.json of every directory it resolves from (module type, exports):
  // the project's own manifest and those of the directories above it say nothing about the package.
  if (op === 'read' && basename(path) === 'package.json' && ctx.ancestors.has(path.slice(0, -'/package.json'.length))) return 'module-resolution';
  if (op === 'stat') {
    if (SYSTEM_DIRS.has(path)) return 'module-resolution';
    // A shell's PATH walk (`stat("/usr/local/bin/curl")` before the exec that counts).
    if (BIN_DIR.test(path)) return 'exec-path-search';
    // Runtimes lstat every ancestor of a script (realpath); the directories we run in are known.
    if (ctx.ancestors.has(path)) return 'module-resolution';
  }
  const dirs = ctx.sandbox?.packageDirs ?? [];
  if (dirs.some((d) => isUnder(path, d))) return 'package-own-files';
  // The project's other dependencies and the global CLIs: loading them is not the package's doing
  // (writing into them is, and stays evidence).
  if ((ctx.sandbox?.bystanderDirs ?? []).some((d) => isUnder(path, d))) return 'other-packages';
  // Module resolution probes: node walks node_modules, python walks sys.path.
  if (op === 'stat' && (path.includes('/node_modules/') || path.endsWith('/node_modules'))) return 'module-resolution';
  if (op === 'stat' && /\/(site|dist)-packages(\/|$)/.test(path)) return 'module-resolution';
  return null;
}

function packageManagerCategory(ctx: ClassifyContext, path: string): string {
  if (ctx.homeCaches.some((d) => isUnder(path, d))) return 'package-manager-cache';
  const b = basename(path);
  if (b === '.npmrc' || b === 'npmrc' || b === '.yarnrc' || b === '.yarnrc.yml' || b === 'pip.conf' || b === '.pypirc') {
    return 'package-manager-config';
  }
  return 'package-manager';
}
