import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { STEPS_RUNNER, type PhaseName, type StagedPackage } from '@vetbox/contracts';

/**
 * Where the image keeps the helpers the sandbox user runs (the import steps, see image/bin): a
 * system directory, nothing named after the sandbox. The root-only ones (the phase driver, the
 * snapshot) are in ROOT_HELPERS, inside root's home, which the user cannot list.
 */
export const HELPERS = '/usr/local/libexec';
export const ROOT_HELPERS = '/root/.local/lib';

/**
 * The command each phase runs as the sandbox user, in the workdir (staged.dir's copy).
 * npm install: `npm install` in the app project, as a developer runs it: the lockfile names the
 * package and its dependencies, the user's npm cache holds their tarballs (staged on the host with
 * scripts disabled), and npm extracts them and runs their lifecycle scripts (npm_command=install).
 * pypi install: pip from the staged dist/ only, with the dependencies fetch staged there.
 */
export function phaseCommand(phase: PhaseName, staged: StagedPackage): string[] {
  const importNames = staged.importNames.length > 0 ? staged.importNames : [staged.name];
  if (staged.ecosystem === 'npm') return phase === 'install' ? ['npm', 'install'] : ['node', '-e', npmImportCode(importNames)];
  if (phase === 'install') {
    const deps = staged.dependencies ?? legacyDependencies(staged);
    // Every dependency staged: pip resolves them from dist/ (or keeps what the system has).
    // Some missing: pip installs exactly the staged archives, without resolving (--no-deps).
    const resolve = deps.complete && deps.archives.length > 0;
    return [
      'python3', '-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--no-index',
      '--find-links', 'dist', '--no-build-isolation', ...(resolve ? [] : ['--no-deps']),
      '--user', '--break-system-packages', staged.archiveFile, ...(resolve ? [] : deps.archives),
    ];
  }
  // Module names may be unknown before install: the helper then reads the installed metadata.
  return pythonHarness('import-py.py', staged.name, ...staged.importNames);
}

/**
 * The npm import as a developer tries a package at the prompt: `node -e "import('pkg')"`, the
 * whole of what ps, argv and a stack show (`[eval]`), with the terminal on stdin, stdout and
 * stderr. import() loads CommonJS and ES modules alike; a package whose exports offer only a
 * `require` condition is then required, as the developer would retry. A failure is printed as
 * node prints an unhandled rejection (exit status 1); success prints nothing. Several names load
 * one after the other.
 */
export function npmImportCode(names: string[]): string {
  return names
    .map((n) => {
      const name = JSON.stringify(n).replace(/^"|"$/g, "'");
      return `import(${name}).catch((e) => e.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' ? require(${name}) : Promise.reject(e))`;
    })
    .reduce((chain, next) => `${chain}.then(() => ${next})`);
}

/**
 * The steps runner: a real bash runs a phase's steps one after another in the foreground, as the
 * user's shell runs a line typed at its prompt. Started as `bash -c RUNNER bash <script>`, it
 * hands the terminal on (fd 3) and executes itself again as a plain `bash` reading the script from
 * a here-string, so what ps, /proc/<pid>/exe, cmdline and task show of it is bash's own: argv
 * `bash`, one thread, no script or harness path. The script is one group, which bash reads whole
 * before it runs any of it: its first command gives the terminal back to stdin (the steps and
 * their children get it, and nothing of the script is left to read), its last one exits with the
 * last step's status. Only the trace sees the first argv:
 * the behavior model knows it as ours (services/behavior classify.ts `isHarnessShell`).
 */

/** The command that runs `steps` (lines of bash: `stepLine`, `pythonStep`) with the steps runner. */
export function runSteps(steps: string[]): string[] {
  return ['/bin/bash', '-c', STEPS_RUNNER, 'bash', ['{ exec 0<&3 3<&-', ...steps, 'exit', '}'].join('\n')];
}

/** A command as one line of the runner's script: its words, each quoted for bash. */
export const stepLine = (argv: string[]): string => argv.map(shellQuote).join(' ');

/**
 * A Python harness (image/bin) as a step: a plain `python3` whose program, read from stdin, runs
 * the harness file in a namespace of its own with `argv` (['', <args>...]), so the package sees no
 * harness path in ps or sys.argv, and no harness name in `__main__` (its globals are those of
 * `python3 -c`, and the harness imports the package from there: image/bin/import-py.py).
 */
export function pythonStep(script: string, args: string[]): string {
  const program = `exec(compile(open("${HELPERS}/${script}").read(), "<stdin>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__, "argv": ${JSON.stringify(['', ...args])}})`;
  return `python3 <<< ${shellQuote(program)}`;
}

/**
 * A node harness (image/bin) as a step: a plain `node` reading from stdin the harness file as the
 * body of a function called with `argv` (its arguments), so ps shows `node` with node's own argv,
 * there is no main module and no harness path, a stack names `[stdin]`, and the harness's names stay
 * out of the global scope the package shares. bash hands a here-string under 64 KiB over as a pipe,
 * which node drains (a larger one would be a deleted file the package could read through
 * /proc/<pid>/fd/0): keep the harnesses below that.
 */
export function nodeStep(script: string, args: string[]): string {
  return `node <<< '(function (argv) {'"$(< ${shellQuote(`${HELPERS}/${script}`)})"${shellQuote(`\n})(${JSON.stringify(args)});`)}`;
}

/** A node harness run alone by the steps runner (the npm execute and next-login phases), which becomes it. */
export function nodeHarness(script: string, ...args: string[]): string[] {
  return runSteps([`exec ${nodeStep(script, args)}`]);
}

/**
 * A Python harness run alone by the steps runner (the PyPI import and execute phases), which
 * becomes it (`exec`): above the package ps shows `python3` started by the user's `-bash`, as
 * `python3 -c "import pkg"` typed at the prompt would.
 */
export function pythonHarness(script: string, ...args: string[]): string[] {
  return runSteps([`exec ${pythonStep(script, args)}`]);
}

const shellQuote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

/** Staged before `dependencies` existed: any other archive in dist/ was a dependency pip may resolve. */
function legacyDependencies(staged: StagedPackage): NonNullable<StagedPackage['dependencies']> {
  const dist = path.join(staged.dir, 'dist');
  const archives = existsSync(dist) ? readdirSync(dist).filter((f) => /\.(tar\.gz|zip|whl|tgz|tar\.bz2)$/.test(f) && `dist/${f}` !== staged.archiveFile) : [];
  return { archives: archives.map((f) => `dist/${f}`), complete: true, notes: [] };
}

/** Python's user site (pip --user) for the image's Python 3.11. */
export const pythonUserSite = (home: string): string => `${home}/.local/lib/python3.11/site-packages`;

/** Directories that belong to the package itself, so a report can tell its own files from others'. */
export function packageDirs(staged: StagedPackage, home: string, workdir: string): string[] {
  if (staged.ecosystem === 'npm') return [`${workdir}/node_modules/${staged.name}`];
  const site = pythonUserSite(home);
  return staged.importNames.length > 0 ? staged.importNames.map((m) => `${site}/${m}`) : [site];
}
