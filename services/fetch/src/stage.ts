import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StagedPackage, VetboxError, type ArchiveQuirk, type ErrorCode } from '@vetbox/contracts';
import { registryBase } from './npm.js';
import { linkInstalledProject, tarballSpecs, type InstalledProject, type Lockfile } from './npm-project.js';
import { stagePypiDependencies } from './pypi-deps.js';
import type { FetchedArtifact } from './types.js';

export interface StageOptions {
  /** Registry npm installs dependencies from. Default: NPM_REGISTRY_URL. */
  registryUrl?: string;
  /** Wall-clock limit of the host-side `npm install`. Default 10 min. */
  installTimeoutMs?: number;
  signal?: AbortSignal;
  /** npm executable (default `npm` on PATH). */
  npmBin?: string;
  /** PyPI index of dependencies (JSON API). Default: PYPI_URL. */
  pypiUrl?: string;
  /** npm: the project the package is installed into (the sandbox's app project). */
  npmProject?: NpmProjectFiles;
}

/**
 * The npm project the package is installed into (the sandbox's app project: its manifest and
 * lockfile). Default: an empty project.
 */
export interface NpmProjectFiles {
  manifest: { dependencies?: Record<string, string> } & Record<string, unknown>;
  lock?: Lockfile;
  /**
   * Where `lock`'s packages are already installed in the sandbox. The staged project then links
   * them (see linkInstalledProject) instead of installing them.
   */
  installed?: InstalledProject;
}

/** Where the staged npm cache goes (`npm --cache`); the sandbox moves it to the user's ~/.npm. */
export const STAGED_NPM_CACHE = '.npm-cache';

const EMPTY_PROJECT: NpmProjectFiles = { manifest: { name: 'app', version: '1.0.0', private: true, dependencies: {} } };

/**
 * Lays an artifact out the way the sandbox expects (see StagedPackage in @vetbox/contracts)
 * in a new directory under `workRoot`. Package code never runs here: npm only resolves the
 * lockfile and fills a cache (scripts disabled, nothing unpacked), pip is not run at all. The directory is removed if staging fails;
 * on success the caller owns it.
 */
export async function stage(artifact: FetchedArtifact, workRoot: string, opts: StageOptions = {}): Promise<StagedPackage> {
  await mkdir(workRoot, { recursive: true });
  const dir = await mkdtemp(path.join(workRoot, 'stage-'));
  try {
    const archiveFile = path.posix.join('dist', artifact.fileName);
    await mkdir(path.join(dir, 'dist'));
    await copyFile(artifact.path, path.join(dir, archiveFile));
    const quirks = [...(artifact.quirks ?? [])];
    if (artifact.ecosystem === 'npm') quirks.push(...(await stageNpm(artifact, dir, archiveFile, opts)));
    // pypi: the archive in dist/, and beside it the declared dependencies pip will need.
    const dependencies = artifact.ecosystem === 'pypi' ? await stagePypiDependencies(artifact, dir, { pypiUrl: opts.pypiUrl, signal: opts.signal }) : undefined;
    return StagedPackage.parse({
      ecosystem: artifact.ecosystem,
      name: artifact.name,
      version: artifact.version,
      source: artifact.source,
      sha256: artifact.sha256,
      size: artifact.size,
      dir,
      archiveFile,
      importNames: artifact.importNames,
      entryPoints: artifact.entryPoints,
      declaredHosts: artifact.declaredHosts,
      ...(artifact.ecosystem === 'npm' ? { installScript: artifact.installScript ?? true } : {}),
      archiveQuirks: quirks,
      dependencies,
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * npm: the project's package.json gains the package, `npm install --package-lock-only` on the host
 * resolves where it and its dependencies go among the project's own (no tarball is unpacked, no
 * script can run), and the tarballs the new lockfile entries need are put in a staged npm cache.
 * The sandbox then runs a real, offline `npm install` from that lockfile and cache.
 */
async function stageNpm(artifact: FetchedArtifact, dir: string, archiveFile: string, opts: StageOptions): Promise<ArchiveQuirk[]> {
  // Registry packages resolve through the registry like a real install (npm checks integrity
  // again); uploads install from the verified tarball itself.
  const spec = artifact.source === 'registry' ? artifact.version : `file:${archiveFile}`;
  const project = structuredClone(opts.npmProject ?? EMPTY_PROJECT);
  project.manifest.dependencies = { ...project.manifest.dependencies, [artifact.name]: spec };
  await writeFile(path.join(dir, 'package.json'), `${JSON.stringify(project.manifest, null, 2)}\n`);
  if (project.lock) await writeFile(path.join(dir, 'package-lock.json'), `${JSON.stringify(project.lock, null, 2)}\n`);
  const cache = ['--cache', path.join(dir, STAGED_NPM_CACHE)];
  // Registry URLs stay in the lockfile: with them (and the integrity) the sandbox's npm takes
  // each tarball from the cache without asking the registry for the package's metadata.
  const lockOnly = [...npmInstallArgs(registryBase(opts)), '--package-lock-only', '--omit-lockfile-registry-resolved=false', ...cache];
  try {
    await runNpm(dir, opts, lockOnly);
  } catch (err) {
    // Conflicting peer dependencies: install the way npm 6 did rather than give up.
    if (!(err instanceof VetboxError) || err.details?.npmCode !== 'ERESOLVE') throw err;
    await runNpm(dir, opts, [...lockOnly, '--legacy-peer-deps']);
  }
  const lock = JSON.parse(await readFile(path.join(dir, 'package-lock.json'), 'utf8')) as Lockfile;
  checkLocked(lock, artifact);
  const hidden = markInstallScript(lock, artifact);
  if (hidden) await writeFile(path.join(dir, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  let install = Object.keys(lock.packages ?? {}).filter((k) => k !== '');
  if (project.lock && project.installed) {
    const linked = linkInstalledProject(lock, project.lock, project.installed);
    await writeFile(path.join(dir, 'package-lock.json'), `${JSON.stringify(linked.lock, null, 2)}\n`);
    for (const [link, target] of Object.entries({ ...linked.links, ...linked.bins })) {
      await mkdir(path.dirname(path.join(dir, link)), { recursive: true });
      await symlink(target, path.join(dir, link));
    }
    install = linked.installKeys;
  }
  const specs = tarballSpecs(lock.packages ?? {}, install);
  // `npm cache add` fetches and verifies tarballs into the cache; it never unpacks or runs them.
  for (let i = 0; i < specs.length; i += 50) {
    await runNpm(dir, opts, ['cache', 'add', ...specs.slice(i, i + 50), `--registry=${registryBase(opts)}`, '--loglevel=error', ...cache]);
  }
  // npm's debug logs name host paths: the sandbox must not see where it was staged.
  await rm(path.join(dir, STAGED_NPM_CACHE, '_logs'), { recursive: true, force: true });
  await rm(path.join(dir, STAGED_NPM_CACHE, '_update-notifier-last-checked'), { force: true });
  return [...(hidden ? hiddenInstallScripts(artifact) : []), ...hiddenDependencies(lock, artifact)];
}

/**
 * npm runs a locked package's install scripts only when its lockfile entry says
 * `hasInstallScript`, which `--package-lock-only` copies from the registry's metadata. That
 * metadata is whatever the publisher sent (npm's "manifest confusion": the registry never checks
 * it against the tarball), so a package can hide its postinstall from npm while yarn and pnpm,
 * which read the tarball's package.json, run it. The analyzed package's install code runs as its
 * own tarball declares it. True when the entry was changed.
 */
function markInstallScript(lock: Lockfile, artifact: FetchedArtifact): boolean {
  const entry = lock.packages?.[`node_modules/${artifact.name}`];
  if (!artifact.installScript || entry === undefined || entry.hasInstallScript) return false;
  entry.hasInstallScript = true;
  return true;
}

/**
 * The registry said the package runs nothing at install, its tarball says otherwise: named when
 * the tarball declares lifecycle scripts (a lone binding.gyp's build is npm's doing, not a hook
 * the publisher wrote and then left out of the metadata).
 */
function hiddenInstallScripts(artifact: FetchedArtifact): ArchiveQuirk[] {
  const hooks = Object.entries(artifact.installHooks ?? {});
  if (hooks.length === 0) return [];
  const scripts = hooks.map(([k, cmd]) => `${k}: ${JSON.stringify(cmd.length > 200 ? `${cmd.slice(0, 200)}...` : cmd)}`).join(', ');
  return [
    {
      kind: 'manifest-confusion',
      path: 'package.json#scripts',
      detail: `the registry's metadata for ${artifact.name}@${artifact.version} declares no install script, so npm would skip them; the tarball's package.json runs ${scripts} (yarn and pnpm, which read the tarball, run them; analyzed as run)`,
    },
  ];
}

/**
 * Dependencies npm installs (the lockfile copies them from the registry's metadata) that the
 * tarball's package.json, what a reviewer reads, does not name: the other half of manifest
 * confusion. Names only (and optional ones with the rest): a publish rewrites version ranges
 * (`workspace:*`), never which packages. Uploads resolve from the tarball itself: nothing to compare.
 */
function hiddenDependencies(lock: Lockfile, artifact: FetchedArtifact): ArchiveQuirk[] {
  const entry = lock.packages?.[`node_modules/${artifact.name}`];
  if (artifact.source !== 'registry' || entry === undefined || artifact.dependencyNames === undefined) return [];
  const declared = new Set(artifact.dependencyNames);
  const hidden = Object.keys({ ...entry.dependencies, ...entry.optionalDependencies }).filter((n) => !declared.has(n)).sort();
  if (hidden.length === 0) return [];
  const listed = `${hidden.slice(0, 10).join(', ')}${hidden.length > 10 ? `, and ${hidden.length - 10} more` : ''}`;
  return [
    {
      kind: 'manifest-confusion',
      path: 'package.json#dependencies',
      detail: `the registry's metadata for ${artifact.name}@${artifact.version} lists dependencies its tarball's package.json does not: ${listed} (npm installs them; whoever reads the package does not see them)`,
    },
  ];
}

/** What the host runs, and why each flag is there. */
export function npmInstallArgs(registry: string): string[] {
  return [
    'install',
    '--ignore-scripts', // no lifecycle script of any package runs on the host
    // Dependencies from anywhere but the registry: git ones run `prepare` while packing, URL
    // ones make the host contact a host the package chose (telling it it is being analyzed),
    // directory/file ones could pull host files into the tree copied into the sandbox.
    // Only the staged project's own file: dependency (an upload) is allowed.
    '--allow-git=none',
    '--allow-remote=none',
    '--allow-directory=none',
    '--allow-file=root',
    '--no-audit',
    '--no-fund',
    '--no-update-notifier',
    '--omit=dev',
    `--registry=${registry}`,
    '--loglevel=error',
  ];
}

/** The parent's npm_* variables (set by `npm run`/`npx`) could re-enable scripts or change the registry. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || k === 'NODE_OPTIONS' || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return env;
}

async function runNpm(dir: string, opts: StageOptions, args: string[]): Promise<void> {
  const timeoutMs = opts.installTimeoutMs ?? 10 * 60_000;
  const child = spawn(opts.npmBin ?? 'npm', args, {
    cwd: dir,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: a timeout kills npm and everything it started
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-16_384);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let stopped: 'timeout' | 'cancelled' | undefined;
  const kill = (why: 'timeout' | 'cancelled') => {
    stopped ??= why;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => kill('timeout'), timeoutMs);
  const onAbort = () => kill('cancelled');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    if (stopped === 'cancelled') throw new VetboxError('CANCELLED', 'npm install on the host was cancelled');
    if (stopped === 'timeout') throw new VetboxError('REGISTRY_UNAVAILABLE', `npm install on the host timed out after ${timeoutMs} ms`);
    if (code !== 0) throw npmInstallError(output, code);
  } catch (err) {
    if (err instanceof VetboxError) throw err;
    throw new VetboxError('INTERNAL', `could not run npm: ${(err as Error).message}`, { cause: err });
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** `npm error code E404` and friends → our codes; the tail of npm's output goes in the message. */
export function npmInstallError(output: string, exitCode: number | null): VetboxError {
  const npmCode = /npm (?:error|ERR!) code (\S+)/.exec(output)?.[1] ?? '';
  let code: ErrorCode = 'INTERNAL';
  if (/^(E404|ETARGET|ENOVERSIONS|E410)$/.test(npmCode)) code = 'PACKAGE_NOT_FOUND';
  else if (npmCode === 'EINTEGRITY') code = 'INTEGRITY_MISMATCH';
  else if (/^(E5\d\d|E429|E408|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|EPIPE|ENETUNREACH|ERR_SOCKET_TIMEOUT)$/.test(npmCode)) {
    code = 'REGISTRY_UNAVAILABLE';
  } else if (/^(EALLOW\w*|EUNSUPPORTEDPROTOCOL|EBADPLATFORM|ENOTSUP|ERESOLVE|EINVALIDTAGNAME|EINVALIDPACKAGENAME)$/.test(npmCode)) {
    code = 'INVALID_INPUT'; // the package's dependency tree is one we refuse or npm cannot resolve
  }
  const tail = output.trim().split('\n').slice(-12).join('\n');
  return new VetboxError(code, `npm install on the host failed (exit ${exitCode}${npmCode ? `, ${npmCode}` : ''}):\n${tail}`, {
    details: { npmCode, exitCode },
  });
}

function checkLocked(lock: Lockfile, artifact: FetchedArtifact): void {
  const entry = lock.packages?.[`node_modules/${artifact.name}`];
  if (!entry) throw new VetboxError('INTERNAL', `npm resolved the project but ${artifact.name} is not in its lockfile`);
  if (entry.version !== artifact.version) {
    throw new VetboxError('INTERNAL', `npm locked ${artifact.name}@${String(entry.version)}, expected ${artifact.version}`);
  }
}
