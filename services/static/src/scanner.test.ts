import { describe, expect, it } from 'vitest';
import { TokenScanner, literalPrefixes } from './scanner.js';
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

describe('TokenScanner', () => {
  it('finds exactly the matches the pattern finds run globally', () => {
    const scanner = new TokenScanner(TOKENS);
    for (const text of [...SAMPLES, SAMPLES.join('\n'), SAMPLES.join('')]) {
      expect(scanner.offsets(text, 1000), text).toEqual(tokenOffsets(text, TOKENS, 1000));
      expect(scanner.test(text), text).toBe(new RegExp(TOKENS.source).test(text));
    }
  });

  it('stops one past the cap, as tokenOffsets does', () => {
    const text = 'eval;'.repeat(50);
    expect(new TokenScanner(TOKENS).offsets(text, 9)).toEqual(tokenOffsets(text, TOKENS, 9));
    expect(new TokenScanner(TOKENS).offsets(text, 9)).toHaveLength(10);
  });

  it('takes three literal leading characters from every alternative, groups expanded', () => {
    expect(literalPrefixes(TOKENS.source)).toEqual(['eva', 'Fun', 'run', '._c', '_0x', 'chi', '/bo', 'Log', 'key', '.ss', 'Use', 'Chr', 'Chr', 'Bra']);
  });

  it('refuses a pattern it could not search exactly', () => {
    for (const bad of [/ab|abc/, /\w+eval/, /ev?al/, /(?:ab)?cde/, /.eval/, /[ab]cd/]) expect(() => new TokenScanner(bad), bad.source).toThrow(/literal/);
    expect(() => new TokenScanner(/eval/i)).toThrow(/case-sensitive/);
  });
});
