import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Ecosystem, FileAccess, StaticAnalysis, StaticReach } from '@vetbox/contracts';
import { isVetboxError } from '@vetbox/contracts';
import { packageRoot, readDirectory, readPackage, type PackageFiles, type ReadLimits } from './archive.js';
import { snippetOf } from './escape.js';
import { POOL_WITHOUT_DECODING, RecordingCollector, analyzeFile, decodeSource, tokenFreeFile } from './file-analysis.js';
import { executableOf } from './magic.js';
import { localSpecifier, npmEntries, resolveModule, shellWords } from './npm.js';
import { absoluteModule, pypiEntries, resolvePython } from './pypi.js';
import { sharedFilePool, type FileOutcome, type FilePool } from './pool.js';
import { SignalCollector, urlsIn, type Budget, type Launch, type Place } from './source.js';

export interface StaticLimits extends ReadLimits {
  /** Files parsed as code, closure and opened files together. */
  maxFiles: number;
  /** Wall-clock bound of the whole pass. */
  timeoutMs: number;
  /** Decoded layers followed inside one construct. */
  maxDepth: number;
  maxSignals: number;
}

export const DEFAULT_STATIC_LIMITS: StaticLimits = {
  maxSourceBytes: 96 * 1024 * 1024,
  maxFileBytes: 8 * 1024 * 1024,
  maxFiles: 3000,
  timeoutMs: 30_000,
  maxDepth: 6,
  maxSignals: 400,
};

export interface StaticPassInput {
  ecosystem: Ecosystem;
  name: string;
  /** The package's own archive (tarball, sdist or wheel) on the host. */
  archivePath?: string;
  /** npm: the package as staged on the host (`<stagedDir>/node_modules/<name>`), read instead of the archive. */
  packageDir?: string;
  /** npm: the staged project on the host (its node_modules are what the sandbox ran). */
  stagedDir?: string;
  /** File accesses of the traced phases, and where the sandbox put the project. */
  opened?: { files: readonly FileAccess[]; workdir: string; home: string };
  limits?: Partial<StaticLimits>;
  /** Analyze the closure on the process's pool threads (default), or all in the caller's thread. */
  threads?: boolean;
}

interface Task {
  /** Package-relative path, or `node_modules/<dep>/…` for an opened dependency file. */
  file: string;
  reach: Set<StaticReach>;
  text?: string;
}

/**
 * The static pass: reads the files that run at install, import or start-up (and every code file
 * the traced phases opened) on the host, without running anything, and records located signals.
 * Package trouble (a broken archive, unparsable code) is data in the result; it never throws.
 */
export async function staticPass(input: StaticPassInput): Promise<StaticAnalysis> {
  const started = Date.now();
  const limits = { ...DEFAULT_STATIC_LIMITS, ...input.limits };
  const budget: Budget = { deadline: started + limits.timeoutMs, maxDepth: limits.maxDepth, maxSignals: limits.maxSignals, maxPerFileKind: 5 };
  if (!input.packageDir && !input.archivePath) throw new TypeError('the static pass needs the package archive or its unpacked directory');
  let pkg: PackageFiles;
  try {
    // A pool thread reads the heads of an unpacked directory while this thread parses its closure.
    const pool = input.threads === false ? undefined : sharedFilePool();
    if (input.packageDir) pkg = await readDirectory(input.packageDir, limits, pool && ((dir, files) => pool.readHeads(dir, files)));
    else pkg = await readPackage(input.archivePath!, limits);
  } catch (err) {
    return unreadable(err, started);
  }
  return new Pass(input, pkg, limits, budget, started).run();
}

function unreadable(err: unknown, started: number): StaticAnalysis {
  const reason = isVetboxError(err) ? err.message : String((err as Error)?.message ?? err);
  return { filesAnalyzed: 0, bytesAnalyzed: 0, filesInPackage: 0, entryPoints: [], signals: [], error: `the archive could not be read: ${reason}`, durationMs: Date.now() - started };
}

class Pass {
  private readonly root: string;
  /** Package-relative paths of every file. */
  private readonly files: string[];
  private readonly fileSet: Set<string>;
  private readonly out: SignalCollector;
  private readonly tasks = new Map<string, Task>();
  private readonly queue: string[] = [];
  private readonly launches: Array<{ file: string; reach: StaticReach[]; launch: Launch }> = [];
  private readonly unparsed: string[] = [];
  private readonly limitNotes: string[];
  private entryPoints: string[] = [];
  private overflowed = false;
  private analyzed = 0;
  private bytes = 0;

  constructor(
    private readonly input: StaticPassInput,
    private readonly pkg: PackageFiles,
    private readonly limits: StaticLimits,
    private readonly budget: Budget,
    private readonly started: number,
  ) {
    this.root = packageRoot(pkg.files, input.ecosystem);
    this.files = pkg.files.filter((f) => f.startsWith(this.root)).map((f) => f.slice(this.root.length));
    this.fileSet = new Set(this.files);
    this.out = new SignalCollector(budget);
    this.limitNotes = [];
  }

  /** An archive's captured text (PyPI entry discovery reads setup.cfg and the like synchronously). */
  private text(file: string): string | undefined {
    return this.pkg.sources.get(this.root + file)?.toString('utf8');
  }

  /**
   * A file's bytes, from the archive or read from the unpacked directory on demand. A directory's
   * are a view into its reader's buffer, good until the next read: decode or copy them at once.
   */
  private readBytes(file: string): Buffer | undefined {
    return this.pkg.sources.get(this.root + file) ?? this.pkg.readSource?.(this.root + file);
  }

  private readText(file: string): string | undefined {
    const bytes = this.readBytes(file);
    return bytes && decodeSource(bytes);
  }

  private readonly has = (file: string): boolean => this.fileSet.has(file);

  async run(): Promise<StaticAnalysis> {
    if (this.input.ecosystem === 'npm') await this.npmEntries();
    else for (const e of pypiEntries(this.files, (f) => this.text(f))) this.enqueue(e.file, e.reach);
    this.entryPoints = [...this.tasks.keys()].slice(0, 100);
    await this.openedFiles();
    await this.drain();
    this.limitNotes.unshift(...this.pkg.skipped.slice(0, 20));
    try {
      await this.pkg.headsReady?.();
    } catch (err) {
      // A file gone between listing and reading its head: as when the heads were read first.
      return unreadable(err, this.started);
    }
    this.executables();
    if (this.out.truncated) this.limitNotes.push(`signal cap (${this.limits.maxSignals}) reached`);
    if (Date.now() > this.budget.deadline) this.limitNotes.push(`time bound (${this.limits.timeoutMs} ms) reached`);
    return {
      filesAnalyzed: this.analyzed,
      bytesAnalyzed: this.bytes,
      filesInPackage: this.files.length,
      entryPoints: this.entryPoints,
      // A Windows check alone is everywhere (path handling); it matters only beside a payload.
      signals: this.out.signals.filter((sig) => sig.kind !== 'platform-gate' || this.out.signals.some((o) => o.file === sig.file && o.kind !== 'platform-gate')),
      ...(this.unparsed.length > 0 ? { unparsed: this.unparsed.slice(0, 50) } : {}),
      ...(this.limitNotes.length > 0 ? { limits: this.limitNotes } : {}),
      durationMs: Date.now() - this.started,
    };
  }

  private enqueue(file: string, reach: StaticReach, text?: string): void {
    const task = this.tasks.get(file);
    if (task) {
      task.reach.add(reach);
      return;
    }
    if (this.tasks.size >= this.limits.maxFiles) {
      if (!this.overflowed) this.limitNotes.push(`file bound (${this.limits.maxFiles}) reached: later files of the closure were not read`);
      this.overflowed = true;
      return;
    }
    this.tasks.set(file, { file, reach: new Set([reach]), text });
    this.queue.push(file);
  }

  private async npmEntries(): Promise<void> {
    const manifest = this.readText('package.json');
    let pkg: Record<string, unknown> = {};
    try {
      pkg = manifest ? (JSON.parse(manifest) as Record<string, unknown>) : {};
    } catch {
      this.unparsed.push('package.json');
    }
    const entries = npmEntries(pkg, this.has);
    for (const s of entries.scripts) this.script(s.name, s.command);
    for (const e of entries.files) this.enqueue(e.file, e.reach);
  }

  /** A lifecycle command: inline `node -e` code, downloads piped to a shell, bundled executables it names. */
  private script(name: string, command: string): void {
    const file = `package.json#scripts.${name}`;
    const place: Place = { file: 'package.json', reach: ['install'], depth: 0 };
    const snippet = snippetOf(command, 0, command.length);
    this.out.scanString(place, command, () => ({ line: 1, snippet }));
    const inline = /\bnode\s+(?:-e|--eval|-p|--print)\s+(?:"((?:[^"\\]|\\.)*)"|'([^']*)')/.exec(command);
    if (inline) this.enqueue(file, 'install', (inline[1] ?? inline[2] ?? '').replace(/\\(.)/g, '$1'));
    const pyInline = /\bpython3?\s+-c\s+(?:"((?:[^"\\]|\\.)*)"|'([^']*)')/.exec(command);
    if (pyInline) this.enqueue(`${file}.py`, 'install', (pyInline[1] ?? pyInline[2] ?? '').replace(/\\(.)/g, '$1'));
    if (/\b(curl|wget)\b/.test(command) && /(\|\s*(ba|z)?sh\b|chmod\s+\+?[0-7]*x|&&\s*\.\/)/.test(command)) {
      const urls = urlsIn(command);
      this.out.add(place, 1, snippet, 'download-run', `the ${name} script downloads and executes${urls.length ? ` (${urls.join(', ')})` : ''}`, urls.length ? { urls } : {});
    }
    this.launches.push({ file: 'package.json', reach: ['install'], launch: { line: 1, snippet, names: shellWords(command) } });
  }

  /** Code files the traced phases read or executed: the package's own, and (npm) its dependencies'. */
  private async openedFiles(): Promise<void> {
    const opened = this.input.opened;
    if (!opened) return;
    const seen = new Set<string>();
    for (const f of opened.files) {
      if (f.result !== 'ok' || (f.op !== 'read' && f.op !== 'exec') || !/\.(js|cjs|mjs|py|pth|sh)$/.test(f.path)) continue;
      if (seen.has(f.path) || seen.size >= 2000) continue;
      seen.add(f.path);
      const own = this.ownFile(f.path, opened);
      if (own) {
        this.enqueue(own, 'opened');
        continue;
      }
      const dep = this.input.ecosystem === 'npm' && this.input.stagedDir ? this.dependencyFile(f.path, opened.workdir) : undefined;
      if (dep && !this.tasks.has(dep.rel)) {
        const text = await readBounded(dep.host, this.limits.maxFileBytes);
        if (text !== undefined) this.enqueue(dep.rel, 'opened', text);
      }
    }
  }

  /** A sandbox path back to a file of the package itself, if it is one. */
  private ownFile(p: string, opened: NonNullable<StaticPassInput['opened']>): string | undefined {
    if (this.input.ecosystem === 'npm') {
      const prefix = `${opened.workdir}/node_modules/${this.input.name}/`;
      const rel = p.startsWith(prefix) ? p.slice(prefix.length) : undefined;
      return rel && this.has(rel) ? rel : undefined;
    }
    // pip builds an sdist in /tmp/pip-*-build-*/ and installs modules into the user site.
    const m = /^\/tmp\/pip-[\w-]+?-[\w]+\/(.+)$/.exec(p) ?? /\/site-packages\/(.+)$/.exec(p);
    if (!m) return undefined;
    const rel = m[1]!;
    for (const candidate of [rel, `src/${rel}`, `lib/${rel}`]) if (this.has(candidate)) return candidate;
    return undefined;
  }

  private dependencyFile(p: string, workdir: string): { rel: string; host: string } | undefined {
    const prefix = `${workdir}/node_modules/`;
    if (!p.startsWith(prefix)) return undefined;
    const rel = path.posix.normalize(p.slice(workdir.length + 1));
    if (rel.startsWith('..') || rel.startsWith(`node_modules/${this.input.name}/`)) return undefined;
    return { rel, host: path.join(this.input.stagedDir!, ...rel.split('/')) };
  }

  /**
   * The closure, file by file in queue order. With a pool, the next files of the queue are read
   * (in order, so the source budget is spent as in one thread) and analyzed on the pool's threads
   * ahead; results are taken in queue order, so the closure, the signals and every cap come out
   * exactly as if each file were analyzed here in turn.
   */
  private async drain(): Promise<void> {
    const pool = this.input.threads === false ? undefined : sharedFilePool();
    const ahead = new Map<string, Promise<FileOutcome | undefined>>();
    const lookahead = pool ? pool.size * 4 + 2 : 1;
    while (this.queue.length > 0) {
      if (Date.now() > this.budget.deadline) return;
      for (let i = 0; i < this.queue.length && ahead.size < lookahead; i++) {
        const f = this.queue[i]!;
        if (ahead.has(f)) continue;
        const started = this.analyzeTask(f, pool);
        // Awaited in its turn; a file read ahead and never reached (time bound) must not fail unobserved.
        started.catch(() => undefined);
        ahead.set(f, started);
      }
      const file = this.queue.shift()!;
      const outcome = await ahead.get(file)!;
      ahead.delete(file);
      if (outcome) this.record(file, outcome);
    }
  }

  /** One file read and analyzed, on a pool thread when there is one (the file's own thread if it fails). */
  private async analyzeTask(file: string, pool: FilePool | undefined): Promise<FileOutcome | undefined> {
    const task = this.tasks.get(file)!;
    const read = task.text === undefined ? this.readBytes(file) : undefined;
    if (task.text === undefined && !read) return undefined;
    // Large files go to the pool undecoded, in a copy of their own (moved to the thread); a small
    // one is decoded here, and settled here when it holds no token. Both before any await: the
    // bytes read are only good until the next read.
    const large = pool && read && read.byteLength > POOL_WITHOUT_DECODING;
    const bytes = large ? new Uint8Array(read) : undefined;
    const text = large ? undefined : (task.text ?? decodeSource(read!));
    const quick = text === undefined ? undefined : tokenFreeFile(file, text);
    if (quick) return { ...quick, calls: [] };
    // The pool takes a file only when one of its threads is free: otherwise this thread analyzes it, never waiting idle.
    // Its answers arrive as events: this thread, busy with files read ahead, lets them in first.
    if (pool && pool.idleThreads() === 0) await new Promise((resolve) => setImmediate(resolve));
    if (pool && !pool.broken && pool.idleThreads() > 0) {
      const transfer = bytes?.buffer as ArrayBuffer | undefined;
      try {
        return await pool.analyze(text !== undefined ? { file, text, budget: this.budget } : { file, bytes, budget: this.budget }, transfer);
      } catch {
        // The pool broke (a thread failed): this file is analyzed here, later passes run without it.
        if (transfer && bytes!.byteLength === 0) return this.analyzeMoved(file);
      }
    }
    const out = new RecordingCollector(this.budget);
    // A text decoded here was already found to hold tokens (tokenFreeFile above).
    const analysis = text !== undefined ? analyzeFile(file, text, out, this.budget, true) : analyzeFile(file, decodeSource(bytes!), out, this.budget);
    return { ...analysis, calls: out.calls };
  }

  /**
   * A file whose bytes (a copy) went to a thread that then failed: analyzed here from the
   * archive's bytes, which the pass still holds, or read again from the directory.
   */
  private analyzeMoved(file: string): FileOutcome | undefined {
    let bytes = this.pkg.sources.get(this.root + file);
    try {
      bytes ??= readFileSync(path.join(this.input.packageDir!, this.root + file));
    } catch {
      return undefined;
    }
    const out = new RecordingCollector(this.budget);
    return { ...analyzeFile(file, decodeSource(bytes), out, this.budget), calls: out.calls };
  }

  /** A file's results recorded in queue order: signals labelled with the reach the file has now. */
  private record(file: string, outcome: FileOutcome): void {
    const task = this.tasks.get(file)!;
    const reach = [...task.reach];
    const { python, result } = outcome;
    this.analyzed += 1;
    this.bytes += outcome.bytes;
    for (const [place, ...rest] of outcome.calls) this.out.add({ ...place, reach }, ...rest);
    if (!result.parsed) this.unparsed.push(file);
    for (const note of result.limits ?? []) this.limitNotes.push(`${file}: ${note}`);
    for (const launch of result.launches) this.launches.push({ file, reach, launch });
    for (const spec of result.imports) this.follow(file, spec, python, reach);
  }

  /** Files a file loads inherit its reach: the closure of what install and import run. */
  private follow(from: string, spec: string, python: boolean, reach: StaticReach[]): void {
    // A dependency's own imports are read only if a phase opened them too.
    if (from.startsWith('node_modules/')) return;
    const dir = from.includes('/') ? from.slice(0, from.lastIndexOf('/')) : '';
    let target: string | undefined;
    if (python) {
      const module = absoluteModule(from, spec);
      target = module ? resolvePython(this.fileSet, module) : undefined;
    } else {
      const local = localSpecifier(spec, this.input.name);
      target = local ? resolveModule(this.has, local.startsWith('./') && !spec.startsWith('.') ? '' : dir, local) : undefined;
    }
    if (target) for (const r of reach) this.enqueue(target, r === 'opened' ? 'opened' : r);
  }

  /** ELF, PE and Mach-O files by magic bytes; install/import code that launches one. */
  private executables(): void {
    const programs = new Map<string, string>();
    for (const file of this.files) {
      const head = this.pkg.heads.get(this.root + file);
      const exe = head ? executableOf(file, head) : undefined;
      if (!exe || exe.library) continue;
      programs.set(file, exe.format);
      this.out.add({ file, reach: ['package'], depth: 0 }, 1, '', 'bundled-executable', `a ${exe.format.toUpperCase()} executable is bundled`, { format: exe.format });
    }
    if (programs.size === 0) return;
    for (const { file, reach, launch } of this.launches) {
      if (!reach.some((r) => r === 'install' || r === 'import' || r === 'opened')) continue;
      const hit = [...programs.keys()].find((p) => launch.names.some((n) => n.length > 0 && (n.replace(/^\.\//, '') === p || path.posix.basename(n) === path.posix.basename(p))));
      if (hit) {
        this.out.add({ file, reach, depth: 0 }, launch.line, launch.snippet, 'launches-bundled-executable', `launches the bundled ${programs.get(hit)!.toUpperCase()} executable ${hit}`, { format: programs.get(hit)! });
      }
    }
  }
}

async function readBounded(file: string, maxBytes: number): Promise<string | undefined> {
  try {
    const s = await stat(file);
    if (!s.isFile() || s.size > maxBytes) return undefined;
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}
