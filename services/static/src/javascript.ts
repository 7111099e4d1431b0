import { Parser, type Node as AcornNode, type Options } from 'acorn';
import { LooseParser } from 'acorn-loose';
import type { StaticTransform } from '@vetbox/contracts';
import { undo } from './decode.js';
import { Lines, snippetOf } from './escape.js';
import { JS_OBFUSCATOR_IDENTIFIER, JS_OBFUSCATOR_MIN_IDENTIFIERS, WINDOWS_ENV, WINDOWS_NAMES } from './patterns.js';
import {
  UNKNOWN,
  describeTransforms,
  known,
  layerOf,
  merge,
  nextLayerText,
  urlsIn,
  withoutText,
  type Budget,
  type Launch,
  type Place,
  type SignalCollector,
  type SourceResult,
  type Val,
} from './source.js';
import { MultiScanner } from './scanner.js';
import { callSites, declarationOf, windowsAround, type Range, type WindowShape } from './windows.js';

/** ESTree as acorn produces it, read generically (the walker visits every child node). */
type N = AcornNode & Record<string, any>;

const BASE_OPTIONS: Options = {
  ecmaVersion: 'latest',
  allowHashBang: true,
  allowReturnOutsideFunction: true,
  allowImportExportEverywhere: true,
  allowAwaitOutsideFunction: true,
  allowReserved: true,
};

/**
 * acorn's parser, raising syntax errors without their line and column: acorn finds those by
 * scanning the input from its start, so each failed parse deep in a large bundle (a declaration
 * lookup that is not an expression, a lenient window's broken token) scanned everything before
 * it. Nothing here reads them: a failed parse is only a failed parse (the lenient parser reads
 * the message, the position and where the error was raised, all kept).
 */
export class QuietParser extends Parser {}
function raiseQuietly(this: { pos: number }, pos: number, message: string): never {
  throw Object.assign(new SyntaxError(message), { pos, raisedAt: this.pos });
}
Object.assign(QuietParser.prototype, { raise: raiseQuietly, raiseRecoverable: raiseQuietly });
/** The lenient parser over the quiet one (it tokenizes with its `BaseParser`). */
export class QuietLooseParser extends LooseParser {}
(QuietLooseParser as unknown as { BaseParser: typeof Parser }).BaseParser = QuietParser;
const parse = (input: string, options: Options): AcornNode => QuietParser.parse(input, options);
const parseExpressionAt = (input: string, pos: number, options: Options): AcornNode => QuietParser.parseExpressionAt(input, pos, options);
const parseLoose = (input: string, options: Options): AcornNode => QuietLooseParser.parse(input, options);

/** Calls that read from the network (sample: `https.get(url, (res) => …)`). */
const NETWORK = /^(fetch|http\.(get|request)|https\.(get|request)|http2\.connect|axios(\.(get|post|request))?|got(\.(get|post|stream))?|needle(\.get)?|request(\.get)?|node-fetch|undici\.(fetch|request)|net\.(connect|createConnection)|tls\.connect|XMLHttpRequest)$/;

/** Code execution sinks (sample: `eval(Buffer.from(s, 'base64').toString())`). */
const SINKS = /^(eval|Function|vm\.(runInThisContext|runInNewContext|runInContext|compileFunction|Script)|setTimeout|setInterval|[\w.]*\._compile)$/;

/** Process launches and chmod (sample: `child_process.spawn(path.join(__dirname, 'bin', 'x.exe'))`). */
const LAUNCH = /^(child_process\.(spawn|spawnSync|exec|execSync|execFile|execFileSync|fork)|spawn|spawnSync|exec|execSync|execFile|execFileSync|execa(\.sync|\.command)?|shelljs\.exec|cross-spawn)$/;
const CHMOD = /^(fs\.(chmod|chmodSync)|fs\.promises\.chmod|chmod|chmodSync)$/;

const DECODING_METHODS: Record<string, StaticTransform> = {
  'zlib.inflateSync': 'zlib',
  'zlib.unzipSync': 'zlib',
  'zlib.gunzipSync': 'gzip',
  'zlib.inflateRawSync': 'zlib',
  'zlib.brotliDecompressSync': 'zlib',
  atob: 'base64',
  decodeURIComponent: 'uri',
  decodeURI: 'uri',
  unescape: 'uri',
};

interface Env {
  params: Map<string, Val>;
  depth: number;
}

/**
 * Tokens without which a file can hold no signal: a sink, a launch, a credential or endpoint
 * name, generated identifiers. Most of a large tree has none of them, and is only scanned for
 * the modules it loads (sample: `module.exports = require('./lib/core')`).
 */
const NEEDS_PARSE = /\beval\b|\bFunction\s*\(|runIn(This|New)?Context|compileFunction|\bScript\s*\(|\._compile\b|_0x[0-9a-f]{4}|child_process|\bspawn|\bexecFile|\bexecSync|\bchmod|webhooks|\/bot\d|Login Data|Web Data|Local State|Local Storage|Firefox|logins\.json|key4\.db|cookies\.sqlite|tdata|Steam|loginusers|wallet|Exodus|Electrum|keystore|Coinomi|Armory|jaxx|nkbihfbeogaeaoehlefnkodbefgpgknn|\.ssh\b|\.aws\b|\.azure|gcloud|\.kube/;
/**
 * A sparsely read file's strings are scanned only inside windows: the browser-profile names the
 * credential patterns know that no token above marks get windows too (sample:
 * `'Google\\Chrome\\User Data\\Default\\Cookies'`; `Chrome/` before a digit is a user agent).
 */
const SPARSE_TOKENS = new RegExp(`${NEEDS_PARSE.source}|User Data|(?:Chrome|Chromium|BraveSoftware|Brave-Browser|Opera Software|Vivaldi|Yandex)[\\\\/]+(?!\\d)`, 'g');
const IMPORT_SPECIFIER = /\b(?:require|import)\s*\(\s*['"`]([^'"`\n]+)['"`]\s*\)|\b(?:from|import)\s*['"]([^'"\n]+)['"]/g;
/** The token patterns and the module specifiers found in one pass over a file (see scanner.ts): the same matches as the regexes. */
const WHOLE_SCAN = new MultiScanner([NEEDS_PARSE, IMPORT_SPECIFIER]);
const SPARSE_SCAN = new MultiScanner([SPARSE_TOKENS, IMPORT_SPECIFIER]);
const TOKEN = 0;

/** `tokensSeen`: the caller already found a token in this file (tokenFreeImports said so): it is not scanned again. */
export function analyzeJavaScript(text: string, place: Place, out: SignalCollector, budget: Budget, tokensSeen = false): SourceResult {
  if (place.depth === 0 && text.length > SPARSE_ABOVE) return analyzeSparse(text, place, out, budget);
  if (place.depth === 0 && !tokensSeen) {
    const imports = tokenFreeImports(text);
    if (imports) return { imports, launches: [], parsed: true };
  }
  return analyzeWhole(text, place, out, budget);
}

/** A file's imports when it is read whole and holds no token a signal needs (it can raise none); else undefined. */
export function tokenFreeImports(text: string): string[] | undefined {
  if (text.length > SPARSE_ABOVE) return undefined;
  const imports: string[] = [];
  let token = false;
  WHOLE_SCAN.scan(text, (pattern, m) => {
    if (pattern === TOKEN) return (token = true), 'end';
    imports.push(m[1] ?? m[2]!);
    return 'more';
  });
  return token ? undefined : imports;
}

/** The whole file parsed and walked: every construct seen. */
function analyzeWhole(text: string, place: Place, out: SignalCollector, budget: Budget): SourceResult {
  const ast = parseJs(text);
  if (!ast) return { imports: [], launches: [], parsed: false };
  const a = new JsFile(text, place, out, budget);
  a.collect(ast);
  a.flagObfuscator();
  a.analyze(ast);
  return { imports: a.imports, launches: a.launches, parsed: true };
}

/**
 * Files larger than this are read sparsely: only windows around their sink tokens are parsed.
 * Below it a file is parsed whole, so its recall is exactly the full walker's.
 */
export const SPARSE_ABOVE = 64 * 1024;

/** Windows around sink tokens: enough context for the enclosing function's network call and the binding. */
export const SPARSE_WINDOWS: WindowShape = { before: 3072, after: 1024, max: 200, maxLength: 32 * 1024 };
/** Token sites looked at per file, call sites per alias, declarations looked up per file. */
const MAX_TOKEN_SITES = 20_000;
const MAX_ALIAS_CALL_SITES = 40;
const MAX_LOOKUPS = 40;

/** Module members whose calls through an alias need a window of their own (no sink token names them). */
const ALIAS_METHODS: Record<string, readonly string[]> = {
  child_process: ['exec', 'execSync', 'execFile', 'execFileSync', 'spawn', 'spawnSync', 'fork'],
  vm: ['runInThisContext', 'runInNewContext', 'runInContext', 'compileFunction', 'Script'],
};

/**
 * A large file (a bundle) read sparsely: one scan for sink tokens, then the windows around them
 * parsed leniently, and the calls through names bound to a sink (`const x = eval`, `const cp =
 * require('child_process')`) given windows of their own. Values a sink uses are looked up at their
 * declaration. Every cap hit is returned in `limits`: what was not read is said, never dropped.
 */
function analyzeSparse(text: string, place: Place, out: SignalCollector, budget: Budget): SourceResult {
  // Every specifier, and the token sites up to one past the cap.
  const imports: string[] = [];
  const sites: number[] = [];
  SPARSE_SCAN.scan(text, (pattern, m) => {
    if (pattern === TOKEN) return sites.push(m.index) <= MAX_TOKEN_SITES ? 'more' : 'done';
    imports.push(m[1] ?? m[2]!);
    return 'more';
  });
  if (sites.length === 0) return { imports, launches: [], parsed: true };
  const limits: string[] = [];
  if (sites.length > MAX_TOKEN_SITES) limits.push(`read sparsely: only the first ${MAX_TOKEN_SITES} sink-token sites were looked at`);
  const first = windowsAround(text, sites.slice(0, MAX_TOKEN_SITES), SPARSE_WINDOWS);
  // Sink tokens everywhere (a file of many small modules that all use them): read it whole.
  if (covered(first.windows) > text.length / 2) return analyzeWhole(text, place, out, budget);
  const a = new JsFile(text, place, out, budget, declarationLookup(text, limits));
  const asts = parseWindows(text, first.windows, a);
  const aliased = a.aliasCallSites(limits).filter((at) => !first.windows.some((w) => at >= w.start && at < w.end));
  const second = windowsAround(text, aliased, { ...SPARSE_WINDOWS, max: Math.max(0, SPARSE_WINDOWS.max - first.windows.length) });
  asts.push(...parseWindows(text, second.windows, a));
  const dropped = first.dropped + second.dropped;
  if (dropped > 0) limits.push(`read sparsely: ${dropped} sink sites beyond the ${SPARSE_WINDOWS.max}-window cap were not analyzed`);
  a.countObfuscatorIds(text);
  a.flagObfuscator();
  for (const ast of asts) a.analyze(ast);
  return { imports: [...new Set([...imports, ...a.imports])], launches: a.launches, parsed: true, ...(limits.length > 0 ? { limits } : {}) };
}

function covered(windows: readonly Range[]): number {
  return windows.reduce((sum, w) => sum + w.end - w.start, 0);
}

/** Each window parsed leniently (it may start or end mid-construct), positions made file-relative, bindings collected. */
function parseWindows(text: string, windows: readonly Range[], into: JsFile): N[] {
  const asts: N[] = [];
  for (const w of windows) {
    let ast: N;
    try {
      ast = parseLoose(text.slice(w.start, w.end), { ...BASE_OPTIONS, sourceType: 'module' }) as N;
    } catch {
      continue;
    }
    into.collect(ast, w.start);
    asts.push(ast);
  }
  return asts;
}

/** Built-ins a lookup would only find shadowed by some unrelated local. */
const GLOBALS = /^(JSON|Object|Array|String|Number|Boolean|Math|Date|RegExp|Buffer|Promise|Symbol|Error|TypeError|Map|Set|process|require|module|exports|console|undefined|window|document|globalThis|global|self|arguments|this)$/;

/** The value given to a name at its declaration nearest before a use, parsed on its own (`x = <expr>`). */
function declarationLookup(text: string, limits: string[]): (name: string, at: number) => N | undefined {
  const found = new Map<string, N | null>();
  return (name, at) => {
    if (found.has(name)) return found.get(name) ?? undefined;
    if (GLOBALS.test(name)) return undefined;
    if (found.size >= MAX_LOOKUPS) {
      if (found.size === MAX_LOOKUPS) limits.push(`read sparsely: declarations beyond ${MAX_LOOKUPS} lookups were not resolved`);
      found.set(name, null);
      return undefined;
    }
    const pos = declarationOf(text, name, at);
    let value: N | null = null;
    if (pos !== undefined) {
      try {
        // A start location given: acorn otherwise looks back for the line start, through the whole of a minified one-line bundle per lookup.
        const e = parseExpressionAt(text, pos, { ...BASE_OPTIONS, sourceType: 'script', startLocation: { line: 1, column: 0 } }) as N;
        const assignment = e.type === 'SequenceExpression' ? e.expressions[0] : e;
        if (assignment.type === 'AssignmentExpression' && assignment.left.type === 'Identifier' && assignment.left.name === name) value = assignment.right;
      } catch {
        // not an expression there (a regex or string that looked like one): unresolved
      }
    }
    found.set(name, value);
    return value ?? undefined;
  };
}

/** `import`/`export` statements: a module. Tried first only then, since a failed parse costs up to a whole parse. */
const ESM_SYNTAX = /(?:^|[;\n}])\s*(?:import(?:\s+[\w{*'"]|\s*[{*'"])|export(?:\s+[\w{*]|\s*[{*]))/;

function parseJs(text: string): N | undefined {
  const order = ESM_SYNTAX.test(text) ? (['module', 'script'] as const) : (['script', 'module'] as const);
  for (const sourceType of order) {
    try {
      return parse(text, { ...BASE_OPTIONS, sourceType }) as N;
    } catch {
      // module syntax failed (e.g. `with`, octal literals in sloppy code): try as a script
    }
  }
  return undefined;
}

/** Fields that never hold a node: skipped without reading them. */
const NOT_CHILDREN = new Set(['type', 'start', 'end', 'loc', 'range', 'raw', 'name', 'operator', 'prefix', 'computed', 'optional', 'kind', 'sourceType', 'generator', 'async', 'method', 'shorthand', 'static', 'delegate', 'tail']);

/**
 * Every child node appended to `out`, in source order (for-in reads the shape's cached keys): the
 * walkers push onto one stack or list instead of allocating a list per node.
 */
function pushChildren(n: N, out: N[]): N[] {
  for (const key in n) {
    if (NOT_CHILDREN.has(key)) continue;
    const v = n[key];
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c.type === 'string') out.push(c);
    } else if (typeof v.type === 'string') out.push(v);
  }
  return out;
}

/** A stack's entries from `from` on, reversed in place (children pushed in source order are then popped in it). */
function reverseFrom(stack: N[], from: number): void {
  for (let i = from, j = stack.length - 1; i < j; i++, j--) {
    const t = stack[i]!;
    stack[i] = stack[j]!;
    stack[j] = t;
  }
}

/** The property name a member expression ends in (`x.APPDATA`, `x['APPDATA']`), as `qualify` would read it. */
function propertyName(n: N): string | undefined {
  if (!n.computed) return n.property.name;
  return n.property.type === 'Literal' ? String(n.property.value) : undefined;
}

const EQUALITY = new Set(['==', '===', '!=', '!==']);

/** The innermost function among the ancestors (the scope a call runs in). */
function innermostFunction(ancestors: N[]): N | undefined {
  for (let i = ancestors.length - 1; i >= 0; i--) if (FUNCTION.test(ancestors[i]!.type)) return ancestors[i];
  return undefined;
}

const FUNCTION = /^(FunctionDeclaration|FunctionExpression|ArrowFunctionExpression)$/;

class JsFile {
  readonly imports: string[] = [];
  readonly launches: Launch[] = [];
  private readonly lines: Lines;
  private readonly aliases = new Map<string, string>();
  private readonly assigned = new Map<string, N>();
  /** Names changed by a compound assignment (`b += c`): never a constant, whatever they were declared as. */
  private readonly mutated = new Set<string>();
  private readonly obfuscatorIds = new Set<string>();
  private platformSeen = false;

  constructor(
    private readonly text: string,
    private readonly place: Place,
    private readonly out: SignalCollector,
    private readonly budget: Budget,
    /** Sparse reading: where a name not bound in the parsed windows gets its value. */
    private readonly lookup?: (name: string, at: number) => N | undefined,
  ) {
    this.lines = new Lines(text);
  }

  /** The expression last bound to a name: from the parsed code, else looked up at its declaration. */
  private valueOf(name: string, at: number): N | undefined {
    return this.assigned.get(name) ?? this.lookup?.(name, at);
  }

  /** A whole-file count of generated identifiers, for a file only parsed in windows. */
  countObfuscatorIds(text: string): void {
    for (const m of text.matchAll(/(?<![\w$])_0x[0-9a-f]{4,6}(?![\w$])/g)) {
      this.obfuscatorIds.add(m[0]);
      if (this.obfuscatorIds.size >= JS_OBFUSCATOR_MIN_IDENTIFIERS * 4) return;
    }
  }

  flagObfuscator(): void {
    if (this.obfuscatorIds.size >= JS_OBFUSCATOR_MIN_IDENTIFIERS) {
      this.out.add(this.place, 1, '', 'obfuscated', `javascript-obfuscator output (${this.obfuscatorIds.size} generated _0x identifiers)`, { format: 'javascript-obfuscator' });
    }
  }

  /**
   * Offsets of calls made through names bound to a sink or a launcher (`x(…)` after `const x =
   * eval`, `cp.exec(…)` after `cp = require('child_process')`): no sink token marks them.
   */
  aliasCallSites(limits: string[]): number[] {
    const out: number[] = [];
    for (const [name, target] of this.aliases) {
      const methods = ALIAS_METHODS[target];
      const direct = !methods && (SINKS.test(target) || LAUNCH.test(target)) && !/^set(Timeout|Interval)$/.test(target);
      if (!methods && !direct) continue;
      const sites = callSites(this.text, name, methods, MAX_ALIAS_CALL_SITES);
      if (sites.length > MAX_ALIAS_CALL_SITES) limits.push(`read sparsely: only ${MAX_ALIAS_CALL_SITES} calls through ${name} (${target}) were looked at`);
      out.push(...sites.slice(0, MAX_ALIAS_CALL_SITES));
    }
    return out;
  }

  /** Where a node is, for a signal: computed only when one is raised. */
  private at(n: N): { line: number; snippet: string } {
    return { line: this.line(n), snippet: this.snippet(n) };
  }

  private line(n: N): number {
    return this.lines.at(n.start);
  }

  private snippet(n: N): string {
    return snippetOf(this.text, n.start, n.end);
  }

  /**
   * First pass: requires/imports (aliases and the closure), declarations, generated identifiers.
   * `shift`: a window's offset in the file, added to every node's position on the way (one walk
   * instead of two; nothing here reads a position). A node the loose parser shares between two
   * parents (a shorthand property's key and value) is shifted once per parent, as a separate
   * walk did.
   */
  collect(root: N, shift = 0): void {
    const stack: N[] = [root];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (shift !== 0) {
        n.start += shift;
        n.end += shift;
      }
      switch (n.type) {
        case 'ImportDeclaration':
          this.importDeclaration(n);
          break;
        case 'ImportExpression':
        case 'ExportAllDeclaration':
        case 'ExportNamedDeclaration':
          if (n.source?.type === 'Literal' && typeof n.source.value === 'string') this.imports.push(n.source.value);
          break;
        case 'VariableDeclarator':
          if (n.init) this.bind(n.id, n.init);
          break;
        case 'AssignmentExpression':
          if (n.operator === '=' && n.left.type === 'Identifier') {
            const sink = this.sinkAlias(n.right);
            if (sink) this.aliases.set(n.left.name, sink);
            else this.assigned.set(n.left.name, n.right);
          } else if (n.left.type === 'Identifier') {
            // `b += chunk`: whatever `b` started as, it is no longer a constant.
            this.mutated.add(n.left.name);
          }
          break;
        case 'FunctionDeclaration':
          if (n.id) this.assigned.set(n.id.name, n);
          break;
        case 'CallExpression': {
          const spec = this.requireOf(n);
          if (spec !== undefined) this.imports.push(spec);
          break;
        }
        case 'Identifier':
          // `_0x…` only: most identifiers are rejected on their first character without the regex.
          if (n.name.charCodeAt(0) === 95 && JS_OBFUSCATOR_IDENTIFIER.test(n.name)) this.obfuscatorIds.add(n.name);
          break;
      }
      const from = stack.length;
      reverseFrom(pushChildren(n, stack), from);
    }
  }

  private importDeclaration(n: N): void {
    const module = String(n.source.value).replace(/^node:/, '');
    this.imports.push(String(n.source.value));
    for (const s of n.specifiers as N[]) {
      if (s.type === 'ImportSpecifier') this.aliases.set(s.local.name, `${module}.${s.imported.name ?? s.imported.value}`);
      else this.aliases.set(s.local.name, module);
    }
  }

  private bind(id: N, init: N): void {
    const module = this.requireOf(init) ?? (init.type === 'MemberExpression' ? this.qualify(init) : this.sinkAlias(init));
    if (id.type === 'Identifier') {
      if (module !== undefined) this.aliases.set(id.name, module.replace(/^node:/, ''));
      else this.assigned.set(id.name, init);
    } else if (id.type === 'ObjectPattern' && module !== undefined) {
      for (const p of id.properties as N[]) {
        if (p.type === 'Property' && p.value.type === 'Identifier') {
          const key = p.key.type === 'Identifier' ? p.key.name : String(p.key.value);
          this.aliases.set(p.value.name, `${module.replace(/^node:/, '')}.${key}`);
        }
      }
    }
  }

  /** `eval`, `Function`, `spawn` (as resolved) when a bare name for one is bound to another name: `const x = eval`. */
  private sinkAlias(n: N): string | undefined {
    if (n.type !== 'Identifier') return undefined;
    const q = this.qualify(n) ?? '';
    return SINKS.test(q) || LAUNCH.test(q) ? q : undefined;
  }

  /** `require('x')` → 'x'. */
  private requireOf(n: N): string | undefined {
    if (n.type !== 'CallExpression' || n.callee.type !== 'Identifier' || n.callee.name !== 'require') return undefined;
    const a = n.arguments[0];
    return a?.type === 'Literal' && typeof a.value === 'string' ? a.value : undefined;
  }

  private platform(n: N, what: string): void {
    if (this.platformSeen) return;
    this.platformSeen = true;
    this.out.add(this.place, this.line(n), this.snippet(n), 'platform-gate', `Windows-only: ${what}`);
  }

  analyze(root: N): void {
    const scopes = new Map<N, { network: Val[]; runs: N[] }>();
    let visited = 0;
    let pastDeadline = false;
    const pending: N[] = [];
    const visit = (n: N, ancestors: N[]): void => {
      // The clock is read every 1024 nodes: reading it at each one costs more than the walk.
      if (pastDeadline || ((++visited & 1023) === 0 && (pastDeadline = Date.now() > this.budget.deadline))) return;
      switch (n.type) {
        case 'CallExpression':
        case 'NewExpression':
          this.call(n, ancestors, scopes);
          break;
        case 'Literal':
          if (typeof n.value === 'string') this.out.scanString(this.place, n.value, () => this.at(n));
          break;
        case 'TemplateElement':
          if (typeof n.value?.cooked === 'string') this.out.scanString(this.place, n.value.cooked, () => this.at(n));
          break;
        case 'BinaryExpression':
          if (EQUALITY.has(n.operator) && [n.left, n.right].some((s: N) => this.qualify(s) === 'process.platform') && [n.left, n.right].some((s: N) => s.type === 'Literal' && WINDOWS_NAMES.test(String(s.value)))) {
            this.platform(n, this.snippet(n));
          }
          break;
        case 'MemberExpression':
          // The last name is checked first: qualifying every member chain costs more than the rest of the walk.
          if (WINDOWS_ENV.test(propertyName(n) ?? '') && /^process\.env\.(\w+)$/.test(this.qualify(n) ?? '') && WINDOWS_ENV.test(this.qualify(n)!.slice(12))) this.platform(n, this.snippet(n));
          break;
      }
      ancestors.push(n);
      // The children of each node on one shared list, visited in source order (no list per node).
      const from = pending.length;
      pushChildren(n, pending);
      const to = pending.length;
      for (let i = from; i < to; i++) visit(pending[i]!, ancestors);
      pending.length = from;
      ancestors.pop();
    };
    visit(root, []);
    for (const { network, runs } of scopes.values()) {
      if (network.length === 0 || runs.length === 0) continue;
      const urls = [...new Set(network.flatMap((v) => v.urls ?? []))];
      const run = runs[0]!;
      this.out.add(this.place, this.line(run), this.snippet(run), 'download-run', `downloads${urls.length ? ` from ${urls.join(', ')}` : ''} and then runs ${this.qualify(run.callee) ?? 'a process'}`, urls.length ? { urls } : {});
    }
  }

  private call(n: N, ancestors: N[], scopes: Map<N, { network: Val[]; runs: N[] }>): void {
    const q = this.qualify(n.callee) ?? '';
    const args = n.arguments as N[];
    if (SINKS.test(q) && args.length > 0) this.sink(n, q, ancestors);
    // The scope is looked up only for the calls that record into it (network reads, launches, chmod).
    let bucket: { network: Val[]; runs: N[] } | undefined;
    const scopeOf = (): { network: Val[]; runs: N[] } => {
      const scope = innermostFunction(ancestors) ?? ancestors[0] ?? n;
      bucket ??= scopes.get(scope) ?? { network: [], runs: [] };
      scopes.set(scope, bucket);
      return bucket;
    };
    if (NETWORK.test(q)) {
      scopeOf().network.push({ ...UNKNOWN, network: true, urls: args.flatMap((a) => urlsIn(this.urlText(a))) });
    }
    if (/^(path\.(join|resolve)|os\.homedir)$/.test(q) && args.length > 1) {
      const pieces = args.map((a) => this.stringValue(a)).filter((s): s is string => s !== undefined);
      if (pieces.length > 1) this.out.scanString(this.place, pieces.join('/'), () => this.at(n));
    }
    const launch = LAUNCH.test(q);
    const chmod = CHMOD.test(q) && args[1] && /^(0o?)?7[57][57]$|^(493|511)$/.test(String(args[1].raw ?? args[1].value ?? ''));
    if (launch || chmod) {
      scopeOf().runs.push(n);
      if (launch) {
        const names = args.flatMap((a) => this.stringsWithin(a));
        this.launches.push({ line: this.line(n), snippet: this.snippet(n), names });
        const shell = names.join(' ');
        if (/\b(curl|wget)\b/.test(shell) && /(\|\s*(ba|z)?sh\b|chmod\s+\+?[0-7]*x|&&\s*\.\/)/.test(shell)) {
          const urls = urlsIn(shell);
          this.out.add(this.place, this.line(n), this.snippet(n), 'download-run', `runs a shell command that downloads and executes${urls.length ? ` (${urls.join(', ')})` : ''}`, urls.length ? { urls } : {});
        }
      }
    }
  }

  private sink(n: N, q: string, ancestors: N[]): void {
    const args = n.arguments as N[];
    // Function(a, b, body): the body is last; setTimeout(code, ms): the code is first.
    const code = q === 'Function' ? args.at(-1)! : args[0]!;
    if ((q === 'setTimeout' || q === 'setInterval') && FUNCTION.test(code.type)) return;
    const val = this.evaluate(code, { params: new Map(), depth: 0 });
    const constant = val.bytes !== undefined && !val.decoder;
    const fetched = val.network || (!constant && !val.decoder && this.insideNetworkFlow(n, ancestors));
    if (fetched) {
      const urls = [...new Set([...(val.urls ?? []), ...this.scopeUrls(ancestors)])].slice(0, 10);
      this.out.add(this.place, this.line(n), this.snippet(n), 'exec-fetched', `${q}() of data read from the network${urls.length ? ` (${urls.join(', ')})` : ''}`, urls.length ? { urls } : {});
      return;
    }
    if (!val.decoder) return;
    const layer = layerOf(val);
    this.out.add(this.place, this.line(n), this.snippet(n), 'exec-decoded', `${q}() of ${describeTransforms(val)}`, layer ? { decoded: layer } : {});
    const inner = nextLayerText(val);
    if (inner !== undefined && this.place.depth < this.budget.maxDepth) {
      analyzeJavaScript(inner, { ...this.place, outerLine: this.place.outerLine ?? this.line(n), depth: this.place.depth + 1 }, this.out, this.budget);
    }
  }

  /**
   * A sink whose code is not a constant, inside a network call's callback or in a function that
   * also makes a network request: `https.get(u, r => r.on('end', () => eval(body)))`.
   */
  private insideNetworkFlow(n: N, ancestors: N[]): boolean {
    for (const a of ancestors) {
      if ((a.type === 'CallExpression' || a.type === 'NewExpression') && a !== n && NETWORK.test(this.qualify(a.callee) ?? '')) return true;
    }
    const fn = innermostFunction(ancestors);
    return fn ? this.containsNetworkCall(fn) : false;
  }

  private containsNetworkCall(root: N): boolean {
    const stack: N[] = [root];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if ((n.type === 'CallExpression' || n.type === 'NewExpression') && NETWORK.test(this.qualify(n.callee) ?? '')) return true;
      pushChildren(n, stack);
    }
    return false;
  }

  private scopeUrls(ancestors: N[]): string[] {
    const scope = ancestors.find((a) => a.type === 'Program') ?? ancestors[0];
    return scope ? urlsIn(this.text.slice(scope.start, Math.min(scope.end, scope.start + 1_000_000))) : [];
  }

  /** The static evaluator for JavaScript: literals, `+`, templates, Buffer/atob/zlib decoders, reversal, char codes. */
  private evaluate(n: N, env: Env): Val {
    if (env.depth > 24 || Date.now() > this.budget.deadline) return UNKNOWN;
    const next: Env = { ...env, depth: env.depth + 1 };
    switch (n.type) {
      case 'Literal':
        return typeof n.value === 'string' ? known(Buffer.from(n.value, 'utf8')) : UNKNOWN;
      case 'TemplateLiteral':
        if (n.expressions.length === 0) return known(Buffer.from(n.quasis.map((q: N) => q.value.cooked ?? '').join(''), 'utf8'));
        return merge((n.expressions as N[]).map((e) => this.evaluate(e, next)));
      case 'Identifier': {
        const bound = env.params.get(n.name);
        if (bound) return bound;
        const value = this.valueOf(n.name, n.start);
        const val = value && value.start !== n.start && !FUNCTION.test(value.type) ? this.evaluate(value, next) : UNKNOWN;
        // Appended to since (`b += chunk`): what it started as still tells (decoded, fetched), its text no longer does.
        return this.mutated.has(n.name) ? withoutText(val) : val;
      }
      case 'AwaitExpression':
      case 'ParenthesizedExpression':
        return this.evaluate(n.argument ?? n.expression, next);
      case 'SequenceExpression':
        return this.evaluate(n.expressions.at(-1), next);
      case 'BinaryExpression': {
        const left = this.evaluate(n.left, next);
        const right = this.evaluate(n.right, next);
        if (n.operator === '+' && left.bytes && right.bytes) return { ...merge([left, right]), bytes: Buffer.concat([left.bytes, right.bytes]) };
        return merge([left, right]);
      }
      case 'ArrayExpression':
        return merge((n.elements as Array<N | null>).filter((e): e is N => e !== null).map((e) => this.evaluate(e, next)));
      case 'MemberExpression':
        return merge([this.evaluate(n.object, next)]);
      case 'CallExpression':
      case 'NewExpression':
        return this.callValue(n, next);
      default:
        return UNKNOWN;
    }
  }

  private callValue(n: N, env: Env): Val {
    const q = this.qualify(n.callee) ?? '';
    const args = n.arguments as N[];
    const first = args[0];
    if (NETWORK.test(q)) return { ...UNKNOWN, network: true, urls: args.flatMap((a) => urlsIn(this.urlText(a))) };
    if ((q === 'Buffer.from' || q === 'Buffer') && first) {
      const encoding = this.stringValue(args[1]) ?? '';
      const input = this.evaluate(first, env);
      if (/^base64(url)?$/i.test(encoding)) return this.apply('base64', input, encoding === 'base64url' ? 'url' : undefined);
      if (/^hex$/i.test(encoding)) return this.apply('hex', input);
      return input;
    }
    if (DECODING_METHODS[q] && first) return this.apply(DECODING_METHODS[q], this.evaluate(first, env), q.includes('Raw') ? 'raw' : q.includes('brotli') ? 'brotli' : undefined);
    if (q === 'String.fromCharCode' || q === 'String.fromCodePoint') {
      const codes = args.map((a) => (a.type === 'Literal' && typeof a.value === 'number' ? a.value : NaN));
      if (codes.length > 0 && codes.every((c) => Number.isInteger(c) && c >= 0 && c <= 0x10ffff)) {
        return { ...known(Buffer.from(String.fromCodePoint(...codes.slice(0, 100_000)), 'utf8')), transforms: ['charcodes'], decoder: true };
      }
      return { ...merge(args.map((a) => this.evaluate(a, env))), transforms: ['charcodes'], decoder: true };
    }
    if (n.callee.type === 'MemberExpression' && !n.callee.computed) {
      const method = n.callee.property.name as string;
      const object = n.callee.object as N;
      // s.split('').reverse().join('')
      if (method === 'join' && object.type === 'CallExpression' && object.callee.type === 'MemberExpression' && object.callee.property.name === 'reverse') {
        const split = object.callee.object as N;
        if (split.type === 'CallExpression' && split.callee.type === 'MemberExpression' && split.callee.property.name === 'split') {
          return this.apply('reverse', this.evaluate(split.callee.object, env));
        }
      }
      if (method === 'join' && object.type === 'ArrayExpression') {
        const parts = (object.elements as Array<N | null>).map((e) => (e ? this.evaluate(e, env) : UNKNOWN));
        const sep = this.stringValue(first) ?? (first ? undefined : ',');
        if (sep !== undefined && parts.length > 0 && parts.every((p) => p.bytes)) return { ...merge(parts), bytes: Buffer.from(parts.map((p) => p.bytes!.toString('utf8')).join(sep), 'utf8') };
        return merge(parts);
      }
      if (/^(toString|text|json|trim|concat|arrayBuffer|buffer|body)$/.test(method)) return this.evaluate(object, env);
    }
    // A one-expression arrow or function bound to a name: evaluate its body with the arguments.
    const fn = n.callee.type === 'Identifier' && !env.params.has(n.callee.name) ? this.valueOf(n.callee.name, n.start) : FUNCTION.test(n.callee.type) ? n.callee : undefined;
    if (fn && FUNCTION.test(fn.type)) {
      const body: N | undefined = fn.body.type === 'BlockStatement' ? (fn.body.body as N[]).find((s) => s.type === 'ReturnStatement')?.argument : fn.body;
      if (body) {
        const params = new Map(env.params);
        (fn.params as N[]).forEach((p, i) => p.type === 'Identifier' && params.set(p.name, args[i] ? this.evaluate(args[i]!, env) : UNKNOWN));
        return this.evaluate(body, { params, depth: env.depth + 1 });
      }
    }
    return merge([...args.map((a) => this.evaluate(a, env)), ...(n.callee.type === 'MemberExpression' ? [this.evaluate(n.callee.object, env)] : [])]);
  }

  private apply(t: StaticTransform, input: Val, variant?: string): Val {
    const base = { ...input, transforms: [...input.transforms, t], decoder: true };
    if (!input.bytes || input.stopped) return { ...base, bytes: undefined, stopped: input.stopped ?? (input.bytes ? undefined : 'a value not known statically') };
    const out = undo(t, input.bytes, variant);
    return out ? { ...base, bytes: out } : { ...base, stopped: t };
  }

  /** Dotted name: aliases resolved, `require('zlib').inflateSync` read as `zlib.inflateSync`, globals dropped. */
  private qualify(n: N | undefined): string | undefined {
    if (!n) return undefined;
    switch (n.type) {
      case 'Identifier':
        return this.aliases.get(n.name) ?? n.name;
      case 'MemberExpression': {
        const object = n.object.type === 'Identifier' && /^(global|globalThis|window|self)$/.test(n.object.name) ? '' : this.qualify(n.object);
        const prop = n.computed ? (n.property.type === 'Literal' ? String(n.property.value) : undefined) : n.property.name;
        if (object === undefined || prop === undefined) return undefined;
        return object === '' ? prop : `${object}.${prop}`;
      }
      case 'CallExpression':
        return this.requireOf(n)?.replace(/^node:/, '');
      case 'SequenceExpression':
        return this.qualify(n.expressions.at(-1));
      case 'ParenthesizedExpression':
        return this.qualify(n.expression);
      default:
        return undefined;
    }
  }

  private stringValue(n: N | undefined): string | undefined {
    if (!n) return undefined;
    if (n.type === 'Literal' && typeof n.value === 'string') return n.value;
    if (n.type === 'TemplateLiteral' && n.expressions.length === 0) return n.quasis.map((q: N) => q.value.cooked ?? '').join('');
    if (n.type === 'Identifier') {
      const v = this.mutated.has(n.name) ? undefined : this.valueOf(n.name, n.start);
      return v && v.type !== 'Identifier' && v.start !== n.start ? this.stringValue(v) : undefined;
    }
    return undefined;
  }

  /** The constant text of a URL argument: template parts included (`https://registry.npmjs.org/${pkg}`). */
  private urlText(n: N | undefined, depth = 0): string {
    if (!n || depth > 4) return '';
    if (n.type === 'TemplateLiteral') return n.quasis.map((q: N) => q.value.cooked ?? '').join('');
    if (n.type === 'BinaryExpression' && n.operator === '+') return this.urlText(n.left, depth + 1) + this.urlText(n.right, depth + 1);
    if (n.type === 'Identifier') {
      const v = this.valueOf(n.name, n.start);
      return v ? this.urlText(v, depth + 1) : '';
    }
    return this.stringValue(n) ?? '';
  }

  private stringsWithin(root: N): string[] {
    const out: string[] = [];
    const stack: N[] = [root];
    while (stack.length > 0 && out.length < 50) {
      const n = stack.pop()!;
      const s = n.type === 'Identifier' ? this.stringValue(n) : n.type === 'Literal' && typeof n.value === 'string' ? n.value : n.type === 'TemplateElement' ? n.value.cooked : undefined;
      if (s) out.push(s);
      pushChildren(n, stack);
    }
    return out;
  }
}
