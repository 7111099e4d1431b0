import type { SyntaxNode } from '@lezer/common';
import { parser } from '@lezer/python';
import type { StaticTransform } from '@vetbox/contracts';
import { undo } from './decode.js';
import { Lines, snippetOf } from './escape.js';
import { PYTHON_OBFUSCATORS, WINDOWS_ENV, WINDOWS_MODULES, WINDOWS_NAMES } from './patterns.js';
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

/**
 * Python read with @lezer/python, in the worker's own process: a parser, not an interpreter, so
 * hostile source is only ever data. It recovers from syntax errors (Python 2 files, a payload
 * broken on purpose) where `ast.parse` would give up, and needs no Python on the host.
 */

/** Decoders by qualified name → the transform they undo (sample: `base64.b64decode(s)`). */
const DECODERS: Record<string, StaticTransform> = {
  'base64.b64decode': 'base64',
  'base64.decodebytes': 'base64',
  'base64.decodestring': 'base64',
  'base64.standard_b64decode': 'base64',
  'base64.urlsafe_b64decode': 'base64',
  'base64.b32decode': 'base32',
  'base64.b16decode': 'hex',
  'base64.b85decode': 'base85',
  'base64.a85decode': 'base85',
  'binascii.a2b_base64': 'base64',
  'binascii.unhexlify': 'hex',
  'binascii.a2b_hex': 'hex',
  'bytes.fromhex': 'hex',
  'bytearray.fromhex': 'hex',
  'zlib.decompress': 'zlib',
  'gzip.decompress': 'gzip',
  'bz2.decompress': 'bz2',
  'lzma.decompress': 'lzma',
  'marshal.loads': 'marshal',
};

/** `codecs.decode(x, 'rot13')` and Python 2's `x.decode('base64')`. */
const CODEC_NAMES: Record<string, StaticTransform> = {
  rot13: 'rot13',
  rot_13: 'rot13',
  base64: 'base64',
  base_64: 'base64',
  hex: 'hex',
  zlib: 'zlib',
  zip: 'zlib',
  bz2: 'bz2',
};

/** Calls that read from the network (sample: `urllib.request.urlopen(url).read()`). */
const NETWORK = /^(urllib\d?(\.request)?\.(urlopen|urlretrieve|Request)|urlopen|urlretrieve|requests(\.api)?\.(get|post|request|Session)|httpx\.(get|post|request|Client|stream)|http\.client\.(HTTPConnection|HTTPSConnection)|aiohttp\.ClientSession|urllib3\.(PoolManager|request)|socket\.(socket|create_connection)|wget\.download|pycurl\.Curl)$/;

/** Code execution sinks (sample: `exec(compile(src, '<string>', 'exec'))`). */
const SINKS = /^((builtins|__builtins__|__builtin__)\.)?(exec|eval|compile|execfile)$|^types\.FunctionType$/;

/** Launching processes and making files executable (sample: `subprocess.Popen([path])`). */
const LAUNCH = /^(subprocess\.(Popen|call|run|check_call|check_output|getoutput|getstatusoutput)|os\.(system|popen|startfile|exec[lv]p?e?|spawn[lv]p?e?|posix_spawnp?)|Popen|call|run|check_output|system|startfile)$/;
const CHMOD = /^(os\.chmod|os\.fchmod)$/;

const PASSTHROUGH_METHODS = new Set(['decode', 'encode', 'read', 'strip', 'rstrip', 'lstrip', 'text', 'content', 'getvalue', 'readlines', 'json']);

interface Scope {
  aliases: Map<string, string>;
  assigned: Map<string, SyntaxNode>;
  /** Names an augmented assignment changes (`code += chunk`): never constants. */
  mutated: Set<string>;
}

/** What one function (or the module's top level) does: network reads, launches, exec of code of unknown origin. */
interface ScopeFlow {
  network: Val[];
  runs: SyntaxNode[];
  unknownCode: Array<{ call: SyntaxNode; sink: string }>;
}

interface Env {
  /** Lambda parameters bound during evaluation. */
  params: Map<string, Val>;
  depth: number;
}

export function analyzePython(text: string, place: Place, out: SignalCollector, budget: Budget): SourceResult {
  const tree = parser.parse(text);
  const a = new PythonFile(text, place, out, budget);
  a.collect(tree.topNode);
  a.analyze(tree.topNode);
  return { imports: a.imports, launches: a.launches, parsed: true };
}

class PythonFile {
  readonly imports: string[] = [];
  readonly launches: Launch[] = [];
  private readonly lines: Lines;
  private readonly scope: Scope = { aliases: new Map(), assigned: new Map(), mutated: new Set() };
  private readonly names = new Set<string>();
  private platformSeen = false;

  constructor(
    private readonly text: string,
    private readonly place: Place,
    private readonly out: SignalCollector,
    private readonly budget: Budget,
  ) {
    this.lines = new Lines(text);
  }

  private src(n: SyntaxNode): string {
    return this.text.slice(n.from, n.to);
  }

  /** Where a node is, for a signal: computed only when one is raised. */
  private at(n: SyntaxNode): { line: number; snippet: string } {
    return { line: this.line(n), snippet: this.snippet(n) };
  }

  private line(n: SyntaxNode): number {
    return this.lines.at(n.from);
  }

  private snippet(n: SyntaxNode): string {
    return snippetOf(this.text, n.from, n.to);
  }

  /** First pass: imports (aliases and the closure), assignments, identifiers. */
  collect(top: SyntaxNode): void {
    const cursor = top.cursor();
    do {
      const n = cursor.node;
      if (n.name === 'ImportStatement') this.importStatement(n);
      else if (n.name === 'AssignStatement') {
        const target = n.firstChild;
        const value = n.lastChild;
        if (target?.name === 'VariableName' && value && value !== target && target.nextSibling?.name === 'AssignOp') {
          this.scope.assigned.set(this.src(target), value);
        }
      } else if (n.name === 'UpdateStatement' && n.firstChild?.name === 'VariableName') {
        this.scope.mutated.add(this.src(n.firstChild));
      } else if (n.name === 'VariableName' || n.name === 'PropertyName') this.names.add(this.src(n));
    } while (cursor.next());
  }

  private importStatement(n: SyntaxNode): void {
    const parts: Array<{ name: string; text: string }> = [];
    for (let c = n.firstChild; c; c = c.nextSibling) parts.push({ name: c.name, text: this.src(c) });
    const fromIdx = parts.findIndex((p) => p.name === 'from');
    const importIdx = parts.findIndex((p) => p.name === 'import');
    if (fromIdx === 0 && importIdx > 0) {
      const module = parts.slice(1, importIdx).map((p) => p.text).join('');
      this.imports.push(module);
      for (const { name, alias } of this.importedNames(parts.slice(importIdx + 1))) {
        this.scope.aliases.set(alias, module.startsWith('.') ? name : `${module}.${name}`);
        if (module.startsWith('.') || module === '') this.imports.push(`${module}${module.endsWith('.') ? '' : '.'}${name}`);
        this.platformModule(`${module}.${name}`.replace(/^\.+/, ''), n);
      }
      this.platformModule(module, n);
      return;
    }
    for (const { name, alias } of this.importedNames(parts.slice(importIdx + 1))) {
      this.imports.push(name);
      this.scope.aliases.set(alias, alias === name ? name.split('.')[0]! : name);
      this.platformModule(name, n);
    }
  }

  /** `a.b as c, d` → [{a.b, c}, {d, d}]. */
  private importedNames(parts: Array<{ name: string; text: string }>): Array<{ name: string; alias: string }> {
    const out: Array<{ name: string; alias: string }> = [];
    let name = '';
    let alias = '';
    let afterAs = false;
    const flush = () => {
      if (name) out.push({ name, alias: alias || name });
      name = alias = '';
      afterAs = false;
    };
    for (const p of parts) {
      if (p.name === ',') flush();
      else if (p.name === 'as') afterAs = true;
      else if (p.name === 'VariableName' || p.name === '.') {
        if (afterAs) alias = p.text;
        else name += p.text;
      }
    }
    flush();
    return out;
  }

  private platformModule(module: string, n: SyntaxNode): void {
    const first = module.split('.')[0] ?? '';
    if (WINDOWS_MODULES.test(first) || /^ctypes\.(windll|WinDLL|wintypes)/.test(module)) this.platform(n, `imports ${module}`);
  }

  private platform(n: SyntaxNode, what: string): void {
    if (this.platformSeen) return;
    this.platformSeen = true;
    this.out.add(this.place, this.line(n), this.snippet(n), 'platform-gate', `Windows-only: ${what}`);
  }

  /** Second pass: calls, strings, comparisons, obfuscator signatures. */
  analyze(top: SyntaxNode): void {
    this.signatures();
    const scopes = new Map<number, ScopeFlow>();
    const cursor = top.cursor();
    do {
      if (Date.now() > this.budget.deadline) return;
      const n = cursor.node;
      switch (n.name) {
        case 'CallExpression':
          this.call(n, scopes);
          break;
        case 'String':
        case 'ContinuedString':
          if (n.parent?.name !== 'ContinuedString') this.string(n);
          break;
        case 'Comment':
          this.comment(n);
          break;
        case 'BinaryExpression':
          this.binary(n);
          break;
        case 'MemberExpression':
          if (/^(ctypes\.)?(windll|WinDLL|oledll)\b/.test(this.qualify(n) ?? '')) this.platform(n, this.src(n).slice(0, 40));
          if (/^os\.environ\s*\[/.test(this.src(n)) && WINDOWS_ENV.test(this.stringValue(n.lastChild?.prevSibling ?? n) ?? '')) this.platform(n, this.src(n).slice(0, 60));
          break;
      }
    } while (cursor.next());
    for (const [key, { network, runs, unknownCode }] of scopes) {
      // Inside a function that also reads the network, code of unknown origin is what it read
      // (`for chunk in r: code += chunk` then `exec(code)`), as the JavaScript pass judges it.
      // Module level is left out: a setup.py that downloads a file and execs its version file is common.
      if (key !== -1 && network.length > 0) for (const { call, sink } of unknownCode) this.fetchedSink(call, sink, network);
      if (network.length === 0 || runs.length === 0) continue;
      const urls = [...new Set(network.flatMap((v) => v.urls ?? []))];
      const run = runs[0]!;
      this.out.add(this.place, this.line(run), this.snippet(run), 'download-run', `downloads${urls.length ? ` from ${urls.join(', ')}` : ''} and then runs ${this.src(run.firstChild ?? run).slice(0, 40)}`, urls.length ? { urls } : {});
    }
  }

  private signatures(): void {
    for (const sig of PYTHON_OBFUSCATORS) {
      const id = sig.identifiers?.find((i) => this.names.has(i));
      if (id) this.out.add(this.place, 1, '', 'obfuscated', `${sig.name} obfuscator signature (${id})`, { format: sig.name });
    }
  }

  private comment(n: SyntaxNode): void {
    const text = this.src(n);
    for (const sig of PYTHON_OBFUSCATORS) {
      if (sig.text?.test(text)) this.out.add(this.place, this.line(n), this.snippet(n), 'obfuscated', `${sig.name} obfuscator signature`, { format: sig.name });
    }
  }

  private string(n: SyntaxNode): void {
    const value = this.stringValue(n);
    if (value === undefined) return;
    this.out.scanString(this.place, value, () => this.at(n));
    for (const sig of PYTHON_OBFUSCATORS) {
      if (sig.text?.test(value)) this.out.add(this.place, this.line(n), this.snippet(n), 'obfuscated', `${sig.name} obfuscator signature`, { format: sig.name });
    }
    if (/%(APPDATA|LOCALAPPDATA)%/i.test(value)) this.platform(n, value.slice(0, 40));
  }

  /** `os.name == 'nt'`, `sys.platform == 'win32'`, and path pieces joined with `/`. */
  private binary(n: SyntaxNode): void {
    const op = n.getChild('CompareOp');
    if (op && /==|!=|in/.test(this.src(op))) {
      const left = n.firstChild!;
      const right = n.lastChild!;
      const q = this.qualify(left) ?? this.qualify(right) ?? '';
      const lit = this.stringValue(right) ?? this.stringValue(left);
      if (/^(os\.name|sys\.platform|platform\.system\(\))$/.test(q.replace(/\(\)$/, '()')) && lit && WINDOWS_NAMES.test(lit)) this.platform(n, this.src(n));
      return;
    }
    const arith = n.getChild('ArithOp');
    if (arith && this.src(arith) === '/' && n.parent?.name !== 'BinaryExpression') {
      const pieces = this.pathPieces(n);
      if (pieces.length > 1) this.out.scanString(this.place, pieces.join('/'), () => this.at(n));
    }
  }

  private pathPieces(n: SyntaxNode): string[] {
    if (n.name === 'BinaryExpression' && this.src(n.getChild('ArithOp') ?? n) === '/') {
      return [...this.pathPieces(n.firstChild!), ...this.pathPieces(n.lastChild!)];
    }
    const s = this.stringValue(n);
    return s !== undefined ? [s] : [];
  }

  private call(n: SyntaxNode, scopes: Map<number, ScopeFlow>): void {
    const callee = n.firstChild!;
    const q = this.qualify(callee) ?? '';
    const args = this.args(n);
    const scopeKey = enclosingFunction(n)?.from ?? -1;
    const bucket = scopes.get(scopeKey) ?? { network: [], runs: [], unknownCode: [] };
    scopes.set(scopeKey, bucket);
    if (SINKS.test(q) && args.positional[0] && this.sink(n, q, args.positional[0]) === 'unknown') bucket.unknownCode.push({ call: n, sink: q });
    if (/^(os\.(getenv|environ\.get|environ\.__getitem__)|getenv)$/.test(q) && WINDOWS_ENV.test(this.stringValue(args.positional[0]) ?? '')) {
      this.platform(n, this.src(n).slice(0, 60));
    }
    if (/^(sys\.platform\.startswith|platform\.system\(\)\.startswith)$/.test(q) && /^win/i.test(this.stringValue(args.positional[0]) ?? '')) this.platform(n, this.src(n));
    if (/^(os\.path\.join|pathlib\.Path|Path|PurePath|os\.path\.expanduser|os\.path\.expandvars)$/.test(q) && args.positional.length > 0) {
      const pieces = args.positional.map((a) => this.stringValue(a)).filter((s): s is string => s !== undefined);
      if (pieces.length > 0) this.out.scanString(this.place, pieces.join('/'), () => this.at(n));
    }
    if (NETWORK.test(q)) {
      const urls = args.positional.flatMap((a) => urlsIn(this.stringValue(a) ?? ''));
      bucket.network.push({ ...UNKNOWN, network: true, urls });
    }
    const launch = LAUNCH.test(q);
    const chmod = CHMOD.test(q) && /0o?7[57][57]|0o?1?[57][57][57]|S_IX|stat\.S_IEXEC|493|511/.test(this.src(args.positional[1] ?? n));
    if (launch || chmod) {
      bucket.runs.push(n);
      const command = args.positional.map((a) => this.stringsWithin(a)).flat();
      if (launch) {
        this.launches.push({ line: this.line(n), snippet: this.snippet(n), names: command });
        const shell = command.join(' ');
        if (/\b(curl|wget)\b/.test(shell) && /(\|\s*(ba|z)?sh\b|chmod\s+\+?[0-7]*x|&&\s*\.\/)/.test(shell)) {
          const urls = urlsIn(shell);
          this.out.add(this.place, this.line(n), this.snippet(n), 'download-run', `runs a shell command that downloads and executes${urls.length ? ` (${urls.join(', ')})` : ''}`, urls.length ? { urls } : {});
        }
      }
    }
  }

  /** exec/eval/compile over decoded or fetched data. */
  /** Reports exec of decoded or fetched code; says 'unknown' when the code is neither a constant nor traced to either. */
  private sink(n: SyntaxNode, q: string, arg: SyntaxNode): 'unknown' | undefined {
    // exec(compile(x)) reports once, at the inner call.
    if (arg.name === 'CallExpression' && SINKS.test(this.qualify(arg.firstChild!) ?? '')) return undefined;
    const val = this.evaluate(arg, { params: new Map(), depth: 0 });
    // A local file's text (`exec(open('pkg/version.py').read())`) is not of unknown origin.
    if (!val.network && !val.decoder) return val.bytes === undefined && !LOCAL_READ.test(this.src(arg)) ? 'unknown' : undefined;
    if (val.network) {
      this.fetchedSink(n, q, [val]);
      return undefined;
    }
    const sink = sinkName(q);
    const layer = layerOf(val);
    this.out.add(this.place, this.line(n), this.snippet(n), 'exec-decoded', `${sink}() of ${describeTransforms(val)}`, layer ? { decoded: layer } : {});
    if (this.isLambdaDecoder(arg)) {
      this.out.add(this.place, this.line(n), this.snippet(n), 'obfuscated', 'a lambda decoder feeding exec (layered obfuscator)', { format: 'lambda-decoder' });
    }
    const inner = nextLayerText(val);
    if (inner !== undefined && this.place.depth < this.budget.maxDepth) {
      analyzePython(inner, { ...this.place, outerLine: this.place.outerLine ?? this.line(n), depth: this.place.depth + 1 }, this.out, this.budget);
    }
  }

  private fetchedSink(n: SyntaxNode, q: string, from: Val[]): void {
    const urls = [...new Set([...from.flatMap((v) => v.urls ?? []), ...this.fileUrls()])].slice(0, 10);
    this.out.add(this.place, this.line(n), this.snippet(n), 'exec-fetched', `${sinkName(q)}() of data read from the network${urls.length ? ` (${urls.join(', ')})` : ''}`, urls.length ? { urls } : {});
  }

  private fileUrls(): string[] {
    return urlsIn(this.text.slice(0, 1_000_000));
  }

  /** `_ = lambda __: …decompress(…)` called as `exec((_)(b'…'))`. */
  private isLambdaDecoder(arg: SyntaxNode): boolean {
    if (arg.name !== 'CallExpression') return false;
    const name = unparen(arg.firstChild!);
    return name.name === 'VariableName' && this.scope.assigned.get(this.src(name))?.name === 'LambdaExpression';
  }

  /**
   * The static evaluator: string and bytes literals, concatenation, slicing backwards, known
   * decoders, one-expression lambdas and names assigned once. Anything else is unknown, but
   * its inputs' flags (decoder seen, network data) still flow through.
   */
  private evaluate(n: SyntaxNode, env: Env): Val {
    if (env.depth > 24 || Date.now() > this.budget.deadline) return UNKNOWN;
    const next: Env = { ...env, depth: env.depth + 1 };
    switch (n.name) {
      case 'String':
      case 'ContinuedString': {
        const bytes = this.stringBytes(n);
        return bytes ? known(bytes) : UNKNOWN;
      }
      case 'ParenthesizedExpression':
        return n.firstChild?.nextSibling ? this.evaluate(n.firstChild.nextSibling, next) : UNKNOWN;
      case 'VariableName': {
        const name = this.src(n);
        const bound = env.params.get(name);
        if (bound) return bound;
        const value = this.scope.assigned.get(name);
        const val = value && value.from !== n.from ? this.evaluate(value, next) : UNKNOWN;
        // Augmented since (`code += chunk`): what it started as still tells (decoded, fetched), its text no longer does.
        return this.scope.mutated.has(name) ? withoutText(val) : val;
      }
      case 'AwaitExpression':
        return n.lastChild ? this.evaluate(n.lastChild, next) : UNKNOWN;
      case 'BinaryExpression': {
        const left = this.evaluate(n.firstChild!, next);
        const right = this.evaluate(n.lastChild!, next);
        const op = this.src(n.getChild('ArithOp') ?? n);
        if (op === '+' && left.bytes && right.bytes) return { ...merge([left, right]), bytes: Buffer.concat([left.bytes, right.bytes]) };
        return merge([left, right]);
      }
      case 'MemberExpression':
        return this.member(n, next);
      case 'CallExpression':
        return this.callValue(n, next);
      case 'ArrayExpression':
      case 'TupleExpression':
        return merge(this.children(n).map((c) => this.evaluate(c, next)));
      default:
        return UNKNOWN;
    }
  }

  private member(n: SyntaxNode, env: Env): Val {
    const object = n.firstChild!;
    const bracket = object.nextSibling;
    if (bracket?.name === '[') {
      const inner = this.src(n).slice(bracket.from - n.from);
      const base = this.evaluate(object, env);
      if (/^\[\s*:\s*:\s*-\s*1\s*\]$/.test(inner)) return this.apply('reverse', base);
      return merge([base]);
    }
    const prop = n.lastChild && n.lastChild.name === 'PropertyName' ? this.src(n.lastChild) : '';
    if (PASSTHROUGH_METHODS.has(prop)) return this.evaluate(object, env);
    return merge([this.evaluate(object, env)]);
  }

  private callValue(n: SyntaxNode, env: Env): Val {
    const callee = unparen(n.firstChild!);
    const q = this.qualify(callee) ?? '';
    const args = this.args(n);
    const first = args.positional[0];
    if (DECODERS[q] && first) {
      return this.apply(DECODERS[q], this.evaluate(first, env));
    }
    if (/^(codecs\.decode|codecs\.encode)$/.test(q) && first) {
      const codec = (this.stringValue(args.positional[1] ?? args.keyword.get('encoding')) ?? '').toLowerCase();
      const t = CODEC_NAMES[codec];
      return t ? this.apply(t, this.evaluate(first, env)) : this.evaluate(first, env);
    }
    if (NETWORK.test(q)) {
      const urls = args.positional.flatMap((a) => urlsIn(this.stringValue(a) ?? ''));
      return { ...UNKNOWN, network: true, urls };
    }
    if (callee.name === 'MemberExpression') {
      const prop = callee.lastChild?.name === 'PropertyName' ? this.src(callee.lastChild) : '';
      const object = callee.firstChild!;
      if (prop === 'decode' && first) {
        const t = CODEC_NAMES[(this.stringValue(first) ?? '').toLowerCase()];
        if (t) return this.apply(t, this.evaluate(object, env));
      }
      if (PASSTHROUGH_METHODS.has(prop)) return this.evaluate(object, env);
      if (prop === 'join' && first) {
        // ''.join(reversed(x)) and ''.join([...literals])
        const arg = unparen(first);
        if (arg.name === 'CallExpression' && this.qualify(arg.firstChild!) === 'reversed') {
          const inner = this.args(arg).positional[0];
          return inner ? this.apply('reverse', this.evaluate(inner, env)) : UNKNOWN;
        }
        const parts = this.children(arg).map((c) => this.evaluate(c, env));
        if (parts.length > 0 && parts.every((p) => p.bytes)) return { ...merge(parts), bytes: Buffer.concat(parts.map((p) => p.bytes!)) };
        return merge(parts);
      }
    }
    if (/^(bytes|bytearray)$/.test(q) && first) {
      const codes = this.intList(first);
      if (codes) return { ...known(Buffer.from(codes)), transforms: ['charcodes'], decoder: true };
    }
    if (callee.name === 'VariableName') {
      const fn = env.params.has(this.src(callee)) ? undefined : this.scope.assigned.get(this.src(callee));
      if (fn?.name === 'LambdaExpression') return this.applyLambda(fn, args.positional, env);
    }
    if (callee.name === 'LambdaExpression') return this.applyLambda(callee, args.positional, env);
    return merge(args.positional.map((a) => this.evaluate(a, env)));
  }

  private applyLambda(fn: SyntaxNode, argNodes: SyntaxNode[], env: Env): Val {
    const params = fn.getChild('ParamList')?.getChildren('VariableName').map((p) => this.src(p)) ?? [];
    const body = fn.lastChild;
    if (!body) return UNKNOWN;
    const bound = new Map(env.params);
    params.forEach((p, i) => bound.set(p, argNodes[i] ? this.evaluate(argNodes[i]!, env) : UNKNOWN));
    return this.evaluate(body, { params: bound, depth: env.depth + 1 });
  }

  private apply(t: StaticTransform, input: Val): Val {
    const base = { ...input, transforms: [...input.transforms, t], decoder: true };
    if (!input.bytes || input.stopped) return { ...base, bytes: undefined, stopped: input.stopped ?? (input.bytes ? undefined : 'a value not known statically') };
    if (t === 'marshal') return base;
    const out = undo(t, input.bytes);
    return out ? { ...base, bytes: out } : { ...base, stopped: t };
  }

  private intList(n: SyntaxNode): number[] | undefined {
    const items = this.children(unparen(n));
    if (items.length === 0 || items.length > 1_000_000) return undefined;
    const out: number[] = [];
    for (const i of items) {
      if (i.name !== 'Number') return undefined;
      const v = Number(this.src(i));
      if (!Number.isInteger(v) || v < 0 || v > 255) return undefined;
      out.push(v);
    }
    return out;
  }

  /** Expression children of a list, tuple or paren (punctuation dropped). */
  private children(n: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = n.firstChild; c; c = c.nextSibling) if (!/^[[\](),]$/.test(c.name)) out.push(c);
    return out;
  }

  private args(call: SyntaxNode): { positional: SyntaxNode[]; keyword: Map<string, SyntaxNode> } {
    const positional: SyntaxNode[] = [];
    const keyword = new Map<string, SyntaxNode>();
    const list = call.getChild('ArgList');
    if (!list) return { positional, keyword };
    let group: SyntaxNode[] = [];
    const flush = () => {
      if (group.length === 3 && group[0]!.name === 'VariableName' && group[1]!.name === 'AssignOp') keyword.set(this.src(group[0]!), group[2]!);
      else if (group.length === 1) positional.push(group[0]!);
      group = [];
    };
    for (let c = list.firstChild; c; c = c.nextSibling) {
      if (c.name === '(' || c.name === ')') continue;
      if (c.name === ',') flush();
      else group.push(c);
    }
    flush();
    return { positional, keyword };
  }

  /** Dotted name of a callee or value: aliases resolved, `__import__('x')` read as `x`. */
  private qualify(n: SyntaxNode | null | undefined): string | undefined {
    if (!n) return undefined;
    switch (n.name) {
      case 'VariableName': {
        const name = this.src(n);
        return this.scope.aliases.get(name) ?? name;
      }
      case 'ParenthesizedExpression':
        return this.qualify(n.firstChild?.nextSibling);
      case 'MemberExpression': {
        const object = this.qualify(n.firstChild);
        const prop = n.lastChild?.name === 'PropertyName' ? this.src(n.lastChild) : undefined;
        return object && prop ? `${object}.${prop}` : undefined;
      }
      case 'CallExpression': {
        const callee = this.qualify(n.firstChild);
        const args = this.args(n);
        if (callee === '__import__' || callee === 'importlib.import_module') return this.stringValue(args.positional[0]);
        if (callee === 'getattr' && args.positional.length >= 2) {
          const object = this.qualify(args.positional[0]);
          const attr = this.stringValue(args.positional[1]);
          return object && attr ? `${object}.${attr}` : undefined;
        }
        return callee ? `${callee}()` : undefined;
      }
      default:
        return undefined;
    }
  }

  /** The text of a string literal (or a name assigned one); undefined when not a plain literal. */
  private stringValue(n: SyntaxNode | null | undefined): string | undefined {
    if (!n) return undefined;
    if (n.name === 'VariableName') {
      const v = this.scope.mutated.has(this.src(n)) ? undefined : this.scope.assigned.get(this.src(n));
      return v && (v.name === 'String' || v.name === 'ContinuedString') ? this.stringValue(v) : undefined;
    }
    const bytes = this.stringBytes(n);
    return bytes?.toString('utf8');
  }

  private stringBytes(n: SyntaxNode): Buffer | undefined {
    if (n.name === 'ContinuedString') {
      const parts: Buffer[] = [];
      for (let c = n.firstChild; c; c = c.nextSibling) {
        const b = this.stringBytes(c);
        if (!b) return undefined;
        parts.push(b);
      }
      return Buffer.concat(parts);
    }
    if (n.name !== 'String') return undefined;
    return pythonLiteral(this.src(n));
  }

  /** Every string literal inside an expression (a launch's argv pieces). */
  private stringsWithin(n: SyntaxNode): string[] {
    const out: string[] = [];
    const cursor = n.cursor();
    do {
      if (cursor.name === 'String') {
        const s = this.stringValue(cursor.node);
        if (s !== undefined) out.push(s);
      } else if (cursor.name === 'VariableName') {
        const s = this.stringValue(cursor.node);
        if (s !== undefined) out.push(s);
      }
    } while (cursor.next() && cursor.from < n.to);
    return out.slice(0, 50);
  }
}

function unparen(n: SyntaxNode): SyntaxNode {
  let cur = n;
  while (cur.name === 'ParenthesizedExpression' && cur.firstChild?.nextSibling && cur.firstChild.nextSibling.name !== ')') cur = cur.firstChild.nextSibling;
  return cur;
}

const LOCAL_READ = /\b(open|read_text|read_bytes)\s*\(/;
const sinkName = (q: string): string => q.replace(/^(builtins|__builtins__|__builtin__)\./, '');

function enclosingFunction(n: SyntaxNode): SyntaxNode | undefined {
  for (let p = n.parent; p; p = p.parent) if (p.name === 'FunctionDefinition') return p;
  return undefined;
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0', '\\': '\\', "'": "'", '"': '"', '\n': '' };

/**
 * A Python string or bytes literal's value (sample: `b'\x41' 'b'`, `r'\d'`, `'''…'''`).
 * f-strings have no static value.
 */
export function pythonLiteral(source: string): Buffer | undefined {
  const m = /^([rRbBuUfF]{0,2})('''|"""|'|")/.exec(source);
  if (!m) return undefined;
  const prefix = m[1]!.toLowerCase();
  if (prefix.includes('f')) return undefined;
  const quote = m[2]!;
  if (!source.endsWith(quote) || source.length < m[0].length + quote.length) return undefined;
  const body = source.slice(m[0].length, source.length - quote.length);
  const bytes = prefix.includes('b');
  if (prefix.includes('r')) return Buffer.from(body, bytes ? 'latin1' : 'utf8');
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\' || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const e = body[++i]!;
    if (e in SIMPLE_ESCAPES && !(e === '0' && /[0-7]/.test(body[i + 1] ?? ''))) out += SIMPLE_ESCAPES[e];
    else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(body.slice(i + 1, i + 3))) {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (/[0-7]/.test(e)) {
      const oct = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out += String.fromCharCode(parseInt(oct, 8) & 0xff);
      i += oct.length - 1;
    } else if (!bytes && e === 'u' && /^[0-9a-fA-F]{4}$/.test(body.slice(i + 1, i + 5))) {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 5), 16));
      i += 4;
    } else if (!bytes && e === 'U' && /^[0-9a-fA-F]{8}$/.test(body.slice(i + 1, i + 9))) {
      out += String.fromCodePoint(Math.min(parseInt(body.slice(i + 1, i + 9), 16), 0x10ffff));
      i += 8;
    } else out += `\\${e}`;
  }
  return Buffer.from(out, bytes ? 'latin1' : 'utf8');
}
