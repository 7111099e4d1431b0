import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { generateCanaries } from './generate.js';
import { awsAccessKeyId, awsAccountOf, githubToken, hasValidChecksum, npmToken, pypiToken, TELLTALE } from './formats.js';

/**
 * Validators written independently of the generators, the way secret scanners and stealers
 * check a token before using it (Python: base62 CRC32 like GitHub's blog describes, macaroon v2
 * fields, the AWS key-id → account decoding).
 */
const PYTHON_CHECKS = String.raw`
import base64, binascii, json, sys
B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
def b62(s):
    n = 0
    for ch in s: n = n * 62 + B62.index(ch)
    return n
def token_ok(t):
    body = t.split('_', 1)[1]
    return len(body) == 36 and binascii.crc32(body[:30].encode()) == b62(body[30:])
def macaroon(t):
    raw = base64.urlsafe_b64decode(t[5:] + '=' * (-len(t[5:]) % 4))
    assert raw[0] == 2
    i, fields = 1, []
    while i < len(raw):
        typ = raw[i]; i += 1
        if typ == 0: fields.append(None); continue
        n = raw[i]; i += 1
        fields.append((typ, raw[i:i+n])); i += n
    return fields
def aws_account(k):
    x = base64.b32decode(k[4:])
    z = int.from_bytes(x[0:6], 'big')
    return '%012d' % ((z & 0x7fffffffff80) >> 7)
out = {}
data = json.load(sys.stdin)
out['tokens'] = [token_ok(t) for t in data['tokens']]
m = macaroon(data['pypi'])
out['macaroon'] = [[f[0], f[1].decode('latin1') if f[0] != 6 else len(f[1])] if f else None for f in m]
out['aws'] = aws_account(data['aws'])
print(json.dumps(out))
`;

describe('canary formats', () => {
  it('GitHub and npm tokens carry the CRC32 checksum in base62, as the services issue them', () => {
    const tokens = [githubToken('ghp'), githubToken('gho'), npmToken(), npmToken()];
    for (const t of tokens) expect(hasValidChecksum(t), t).toBe(true);
    const flipped = tokens[0]!.slice(0, 10) + (tokens[0]![10] === 'a' ? 'b' : 'a') + tokens[0]!.slice(11);
    expect(hasValidChecksum(flipped)).toBe(false);
    const account = '123456789012';
    const input = JSON.stringify({ tokens: [...tokens, flipped], pypi: pypiToken(), aws: awsAccessKeyId(account) });
    const out = JSON.parse(execFileSync('python3', ['-c', PYTHON_CHECKS], { input }).toString()) as {
      tokens: boolean[];
      macaroon: ([number, string | number] | null)[];
      aws: string;
    };
    expect(out.tokens).toEqual([true, true, true, true, false]);
    // location, identifier (a UUID), end of header, one caveat, end, end of caveats, a 32-byte signature
    expect(out.macaroon[0]).toEqual([1, 'pypi.org']);
    expect(out.macaroon[1]![1]).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.macaroon.slice(2)).toEqual([null, [2, '{"version": 1, "permissions": "user"}'], null, null, [6, 32]]);
    expect(out.aws).toBe(account);
    expect(awsAccountOf(awsAccessKeyId(account))).toBe(account);
  });

  it('nothing planted spells a word that gives the bait away', () => {
    for (let i = 0; i < 4; i++) {
      const c = generateCanaries({ home: '/home/priya.patel', workdir: '/home/priya.patel/projects/api', hostname: 'priya-xps-15' });
      for (const f of c.files) expect(TELLTALE.test(f.path + Buffer.from(f.content).toString('latin1')), f.path).toBe(false);
      for (const [k, v] of Object.entries(c.env)) expect(TELLTALE.test(k + v), k).toBe(false);
    }
  });

  it('lists the planted credentials by service for the token-validation answers', () => {
    const c = generateCanaries({ home: '/home/priya.patel', workdir: '/home/priya.patel/projects/api' });
    expect(c.credentials.github).toContain(c.env.GITHUB_TOKEN);
    expect(c.credentials.npm).toContain(c.env.NPM_TOKEN);
    expect(c.credentials.aws.map((k) => k.accessKeyId)).toContain(c.env.AWS_ACCESS_KEY_ID);
    expect(new Set(c.credentials.aws.map((k) => k.account)).size).toBe(1);
    expect(c.credentials.aws.every((k) => awsAccountOf(k.accessKeyId) === k.account)).toBe(true);
  });
});
