import type {
  Behavior,
  CanaryReport,
  EvidenceRef,
  PackageRef,
  PhaseName,
  PhaseReport,
  ProcessEntry,
  SandboxInfo,
  Severity,
  StaticAnalysis,
} from '@vetbox/contracts';
import { SCRATCH_AREAS } from './paths.js';

export interface EvaluateInput {
  package: PackageRef;
  behavior: Behavior;
  canaries: CanaryReport[];
  sandbox: SandboxInfo;
  phases: PhaseReport[];
  /** What the static pass read in the package's files (report.static). */
  static?: StaticAnalysis;
  /** Hosts of the package registry (never a finding). Defaults per ecosystem. */
  registryHosts?: string[];
  /**
   * More hosts the package may download release binaries from, besides the ones its own
   * metadata declares (`package.declaredHosts`). Well-known release and toolchain hosts
   * (GitHub releases, nodejs.org) are always known.
   */
  releaseHosts?: string[];
}

/** An evidence reference plus the run-independent text its hash is computed from. */
export interface Evidence extends EvidenceRef {
  key: string;
}

/** What a rule returns; `evaluate` completes it from the catalog and hashes the evidence. */
export interface Draft {
  rule: string;
  severity: Severity;
  phase: PhaseName | null;
  evidence: Evidence[];
  /** Replaces the catalog title when the finding is about one specific thing. */
  title?: string;
  /** Appended to the catalog explanation: what exactly was seen and why this severity. */
  detail?: string;
}

// `//`, `/./`, `/../` or a trailing slash: only then is normalizing needed.
const NEEDS_NORMALIZING = /\/\/|\/\.{1,2}(\/|$)|.\/$/;

const PIP_BUILD_TREE = /^\/tmp\/pip-(req-build|install|wheel|build-env|modern-metadata|metadata|ephem-wheel-cache|unpack)-[^/]+(\/|$)/;

export const DEFAULT_REGISTRY_HOSTS: Record<PackageRef['ecosystem'], string[]> = {
  npm: ['registry.npmjs.org', 'registry.npmjs.com', 'registry.yarnpkg.com'],
  pypi: ['pypi.org', 'files.pythonhosted.org', 'pypi.python.org'],
};

export function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? path : path.slice(i + 1);
}

/** Executable name of a process: `python3.11` for `/usr/bin/python3.11`. */
export function programName(p: ProcessEntry): string {
  return basename(p.argv[0] ?? p.exe ?? '');
}

const TOOLCHAIN = /^(cc|c\+\+|gcc|g\+\+|cpp|clang|clang\+\+|cc1|cc1plus|as|ld|ld\.bfd|ld\.gold|ld\.lld|collect2|lto-wrapper|ar|ranlib|strip|objcopy|rustc|cargo|go|cmake|ninja|make|gmake|(x86_64|aarch64|i686)-[\w-]+-(gcc|g\+\+|ld|as))(-\d+(\.\d+)*)?$/;

/** Compilers and linkers: their outputs are build products, executing them is a build step. */
export function isToolchain(p: ProcessEntry): boolean {
  return TOOLCHAIN.test(programName(p));
}

const PACKAGE_MANAGER = /^(npm|npx|yarn|yarnpkg|pnpm|pnpx|corepack|pip\d*(\.\d+)?)$/;
const PACKAGE_MANAGER_SCRIPT = /(npm-cli|npx-cli|yarn|pnpm)\.c?js$/;

/** npm/yarn/pnpm/pip invoked by an install script (e.g. `npm run build`): reads its own config. */
export function isPackageManager(p: ProcessEntry): boolean {
  const prog = programName(p);
  if (PACKAGE_MANAGER.test(prog)) return true;
  if (/^node(js)?$/.test(prog) && PACKAGE_MANAGER_SCRIPT.test(p.argv[1] ?? '')) return true;
  if (/^python[\d.]*$/.test(prog) && p.argv[1] === '-m' && /^pip\d*$/.test(p.argv[2] ?? '')) return true;
  return false;
}

/**
 * Everything a rule needs to read the behavior: process lookups, package-vs-housekeeping,
 * and path interpretation against this sandbox's (randomized) layout.
 */
export class RuleContext {
  readonly input: EvaluateInput;
  readonly behavior: Behavior;
  readonly sandbox: SandboxInfo;
  readonly registryHosts: readonly string[];
  readonly releaseHosts: readonly string[];
  private readonly byPid = new Map<number, { entry: ProcessEntry; index: number }>();
  private readonly homes: string[];
  private readonly packageAreas: string[];
  // Rules ask about the same paths and processes many times over; behaviors run to 100k records.
  private readonly absolutes = new Map<string, string>();
  private readonly descriptions = new Map<number, string>();

  constructor(input: EvaluateInput) {
    this.input = input;
    this.behavior = input.behavior;
    this.sandbox = input.sandbox;
    this.registryHosts = (input.registryHosts ?? DEFAULT_REGISTRY_HOSTS[input.package.ecosystem]).map((h) => h.toLowerCase());
    this.releaseHosts = [...(input.releaseHosts ?? []), ...(input.package.declaredHosts ?? [])].map((h) => h.toLowerCase());
    // A pid can exec several times; the latest entry describes what it finally ran.
    input.behavior.processes.forEach((entry, index) => this.byPid.set(entry.pid, { entry, index }));
    this.homes = [input.sandbox.home, '/root'].filter((h) => h && h !== '/').map(stripSlash);
    const workdir = stripSlash(input.sandbox.workdir);
    this.packageAreas = [...input.sandbox.packageDirs.map(stripSlash), `${workdir}/node_modules`];
  }

  process(pid: number): ProcessEntry | undefined {
    return this.byPid.get(pid)?.entry;
  }

  processIndex(pid: number): number | undefined {
    return this.byPid.get(pid)?.index;
  }

  /**
   * Package code, as opposed to the package manager's own work. A pid missing from the process
   * list counts as package code: evidence is never dropped for lack of attribution.
   */
  isPackagePid(pid: number | undefined): boolean {
    if (pid === undefined) return true;
    const p = this.process(pid);
    return p ? !p.housekeeping : true;
  }

  /** Processes of the package (not package-manager housekeeping), with their list index. */
  packageProcesses(): Array<{ entry: ProcessEntry; index: number }> {
    return this.behavior.processes.map((entry, index) => ({ entry, index })).filter(({ entry }) => !entry.housekeeping);
  }

  /** Absolute, normalized path; relative ones are resolved against the process's cwd. */
  absolute(path: string, pid?: number): string {
    if (path.startsWith('/') && !NEEDS_NORMALIZING.test(path)) return path;
    const cwd = path.startsWith('/') ? '' : (pid !== undefined ? this.process(pid)?.cwd : undefined) ?? this.sandbox.workdir;
    const key = `${cwd}\u0000${path}`;
    let abs = this.absolutes.get(key);
    if (abs === undefined) {
      abs = normalizePath(cwd ? `${cwd}/${path}` : path);
      this.absolutes.set(key, abs);
    }
    return abs;
  }

  /** `~/...` for anything inside a home directory (this sandbox's, /root, /home/<anyone>). */
  displayPath(path: string, pid?: number): string {
    const abs = this.absolute(path, pid);
    for (const home of this.homes) {
      if (abs === home) return '~';
      if (abs.startsWith(`${home}/`)) return `~${abs.slice(home.length)}`;
    }
    const other = /^\/home\/[^/]+(\/.*)?$/.exec(abs);
    if (other) return `~${other[1] ?? ''}`;
    return abs;
  }

  /**
   * Inside the package's own install directory, the project's node_modules, or (PyPI) the
   * build tree pip unpacked the sdist into (`/tmp/pip-req-build-*`, `/tmp/pip-install-*`, ...).
   */
  inPackageArea(path: string, pid?: number): boolean {
    const abs = this.absolute(path, pid);
    if (this.input.package.ecosystem === 'pypi' && PIP_BUILD_TREE.test(abs)) return true;
    return this.packageAreas.some((dir) => abs === dir || abs.startsWith(`${dir}/`));
  }

  /** Package area, caches, temp or a device: where writing means nothing by itself. */
  inScratchArea(path: string, pid?: number): boolean {
    if (this.inPackageArea(path, pid)) return true;
    const shown = this.displayPath(path, pid);
    return SCRATCH_AREAS.some((re) => re.test(shown));
  }

  /** Run-independent form of a path or argument, for evidence hashes. */
  stable(text: string): string {
    let out = text;
    for (const dir of this.sandbox.packageDirs) out = out.split(stripSlash(dir)).join('<pkg>');
    out = out.split(stripSlash(this.sandbox.workdir)).join('<workdir>');
    for (const home of this.homes) out = out.split(home).join('~');
    return out
      .replace(/\/home\/[^/\s]+/g, '~')
      .replace(/(\/(?:tmp|var\/tmp|dev\/shm)\/)[^/\s]+/g, '$1<tmp>')
      .replace(/\/proc\/\d+\//g, '/proc/<pid>/')
      .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '<id>')
      .replace(/\d{5,}/g, '<n>');
  }

  processEvidence(index: number, summary: string): Evidence {
    const p = this.behavior.processes[index]!;
    return { kind: 'process', index, summary, key: `process:${this.stable(p.argv.join(' '))}` };
  }

  fileEvidence(index: number, summary: string): Evidence {
    const f = this.behavior.files[index]!;
    return { kind: 'file', index, summary, key: `file:${f.op}:${this.stable(this.absolute(f.path, f.pid))}` };
  }

  describeProcess(pid: number): string {
    let text = this.descriptions.get(pid);
    if (text === undefined) {
      const p = this.process(pid);
      text = p ? shortArgv(p.argv) : `pid ${pid}`;
      if (p?.dependency) text = `${text} (dependency ${p.dependency})`;
      this.descriptions.set(pid, text);
    }
    return text;
  }
}

function stripSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/** Collapses `.`/`..`/`//` without touching the file system (paths are from another machine). */
export function normalizePath(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

/** Appends to the list kept under `key` (in place: rules collect thousands of entries). */
export function appendTo<K, V>(map: Map<K, V[]>, key: K, ...values: V[]): void {
  const list = map.get(key);
  if (list) list.push(...values);
  else map.set(key, [...values]);
}

/** A command line cut to a readable length for one-line summaries. */
// The sandbox's import step (`node .../import-npm.cjs <name>`, `python3 .../import-py.py <dist> <modules>`):
// package code that runs inside it is "the import of" the package.
const IMPORT_HARNESS = /\/(?:bin|libexec)\/import-(npm\.cjs|py\.py)$/;

export function shortArgv(argv: readonly string[], max = 120): string {
  if (argv.length >= 3 && IMPORT_HARNESS.test(argv[1] ?? '')) return `import of ${argv.slice(2).join(' ')}`.slice(0, max);
  // pip's generated setup.py wrapper says nothing to a reader: show what it runs instead.
  const shim = argv.findIndex((a) => a.includes('<pip-setuptools-caller>'));
  const shown = shim > 0 && argv[shim - 1] === '-c' ? [...argv.slice(0, shim - 1), 'setup.py (via pip)', ...argv.slice(shim + 1)] : argv;
  // One line: scripts passed with -c/-e often start with a newline.
  const text = shown.join(' ').replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
