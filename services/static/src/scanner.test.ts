import { describe, expect, it } from 'vitest';
import { MultiScanner, literalPrefixes } from './scanner.js';
import { tokenOffsets } from './windows.js';

const TOKENS = /\beval\b|\bFunction\s*\(|runIn(This|New)?Context|\._compile\b|_0x[0-9a-f]{4}|child_process|\/bot\d|Login Data|key4\.db|\.ssh\b|User Data|(?:Chrome|Chromium|Brave-Browser)[\\/]+(?!\d)/g;

/** Text around every kind of alternative, near misses included (`evaluate`, `Chrome/120`, `_0xZZ`). */
const SAMPLES = [
  `var r = eval(x); evaluate(y); retrieval; eval`,
  `new Function ('return this')(); Function; myFunction(1)`,
  `vm.runInThisContext(s); vm.runInContext(s); vm.runInNewContext; runInXContext`,
  `m._compile(src); m._compiler; x._compile`,
  `var _0x1a2b = 1, _0xZZ = 2, __0xabcd`,
  `require("child_process"); child_proces`,
  `https://api.telegram.org/bot123:abc /bot /botX`,
  `'Google\\\\Chrome\\\\User Data\\\\Default\\\\Login Data' navigator 'Chrome/120.0' 'Chromium//x' Brave-Browser\\\\`,
  `key4.db key4xdb ~/.ssh/id_rsa .sshd`,
  `éèü → eval ← “Function(”`,
  `ev`,
  ``,
];

/** One pattern's offsets through the scanner, at most `cap` + 1 (as tokenOffsets), and whether it matches at all. */
function offsetsOf(scanner: MultiScanner, text: string, cap: number): number[] {
  const out: number[] = [];
  scanner.scan(text, (_, m) => (out.push(m.index) <= cap ? 'more' : 'end'));
  return out;
}
function matches(scanner: MultiScanner, text: string): boolean {
  let found = false;
  scanner.scan(text, () => ((found = true), 'end'));
  return found;
}

describe('MultiScanner, one pattern', () => {
  it('finds exactly the matches the pattern finds run globally', () => {
    const scanner = new MultiScanner([TOKENS]);
    for (const text of [...SAMPLES, SAMPLES.join('\n'), SAMPLES.join('')]) {
      expect(offsetsOf(scanner, text, 1000), text).toEqual(tokenOffsets(text, TOKENS, 1000));
      expect(matches(scanner, text), text).toBe(new RegExp(TOKENS.source).test(text));
    }
  });

  it('finds them at every offset and next to each other: the scan skips ahead, never past a match', () => {
    const scanner = new MultiScanner([TOKENS]);
    // Fillers made of prefix characters (`eva`, `._c`, `Chr`) that shift the scan by less than a window.
    for (const filler of ['x', 'ev', 'eva', '._', 'Chr', 'é', ' \n']) {
      for (let k = 0; k < 9; k++) {
        for (const text of [`${filler.repeat(k)}eval`, `${filler.repeat(k)}evaleval(_0x1a2b)${filler.repeat(k)}`, `${filler.repeat(k)}${SAMPLES.join(filler.repeat(k))}`]) {
          expect(offsetsOf(scanner, text, 1000), text).toEqual(tokenOffsets(text, TOKENS, 1000));
        }
      }
    }
  });

  it('stops one past the cap, as tokenOffsets does', () => {
    const text = 'eval;'.repeat(50);
    expect(offsetsOf(new MultiScanner([TOKENS]), text, 9)).toEqual(tokenOffsets(text, TOKENS, 9));
    expect(offsetsOf(new MultiScanner([TOKENS]), text, 9)).toHaveLength(10);
  });

  it('takes four leading characters from every alternative, groups and small classes expanded', () => {
    const hex = [...'0123456789abcdef'].map((c) => `_0x${c}`);
    expect(literalPrefixes(TOKENS.source)).toEqual(['eval', 'Func', 'runI', '._co', ...hex, 'chil', '/bot', 'Logi', 'key4', '.ssh', 'User', 'Chro', 'Chro', 'Brav']);
    expect(literalPrefixes(/ab\dc|\/\.sh\b|x[a-c]yz|wxyz+/.source)).toEqual([...[...'0123456789'].map((d) => `ab${d}c`), '/.sh', 'xayz', 'xbyz', 'xcyz', 'wxyz']);
  });

  it('refuses a pattern it could not search exactly', () => {
    for (const bad of [/abc|abcd/, /\w+eval/, /ev?al/, /(?:ab)?cdef/, /.eval/, /[^a]bcde/, /abc[a-z]/, /abc{0,2}d/, /ab[a-c]+yz/, /wxy+z/, /[0-9a-f][0-9a-f][0-9a-f][0-9a-f]/]) {
      expect(() => new MultiScanner([bad]), bad.source).toThrow(/literal|too many/);
    }
    expect(() => new MultiScanner([/eval/i])).toThrow(/case-sensitive/);
  });
});

/** The pass's module-specifier pattern, and text that has both kinds of match close together. */
const SPECIFIERS = /\b(?:require|import)\s*\(\s*['"`]([^'"`\n]+)['"`]\s*\)|\b(?:from|import)\s*['"]([^'"\n]+)['"]/g;
const MIXED = [
  `const cp = require('child_process'); import x from "./lib/eval.js"; eval(require ( "./a" ))`,
  `export * from './Function(' ; import('./dyn'); requires('no'); xrequire('no'); import"./bare"`,
  `var a = require(\`./tpl\`) + require('./multi\nline') + _0x1a2b; from'./x'`,
];

function globally(re: RegExp, text: string): Array<[number, string]> {
  return [...text.matchAll(new RegExp(re.source, 'g'))].map((m) => [m.index!, m[0]]);
}

describe('MultiScanner', () => {
  it("finds each pattern's matches exactly as that pattern run globally does, in one pass", () => {
    const scanner = new MultiScanner([TOKENS, SPECIFIERS]);
    for (const text of [...SAMPLES, ...MIXED, [...SAMPLES, ...MIXED].join('\n')]) {
      const found: Array<Array<[number, string]>> = [[], []];
      let last = -1;
      scanner.scan(text, (p, m) => {
        // Reported in text order across both patterns.
        expect(m.index).toBeGreaterThanOrEqual(last);
        last = m.index;
        found[p]!.push([m.index, m[0]]);
        return 'more';
      });
      expect(found[0], text).toEqual(globally(TOKENS, text));
      expect(found[1], text).toEqual(globally(SPECIFIERS, text));
    }
  });

  it("stops one pattern when it is done, and the whole scan when told to end", () => {
    const text = MIXED.join('\n');
    const scanner = new MultiScanner([TOKENS, SPECIFIERS]);
    const seen: number[] = [];
    scanner.scan(text, (p) => (seen.push(p), p === 0 ? 'done' : 'more'));
    expect(seen.filter((p) => p === 0)).toHaveLength(1);
    expect(seen.filter((p) => p === 1)).toHaveLength(globally(SPECIFIERS, text).length);
    const ended: number[] = [];
    scanner.scan(text, (p) => (ended.push(p), p === 0 ? 'end' : 'more'));
    expect(ended.at(-1)).toBe(0);
    expect(ended.length).toBeLessThan(seen.length);
  });
});
