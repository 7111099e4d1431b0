import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { base32 } from './encodings.js';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BASE32_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function randomFrom(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[crypto.randomInt(alphabet.length)];
  return out;
}

/** The base62 alphabet of GitHub's and npm's token checksums (digits, upper, lower). */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * Words a sandbox-aware payload greps planted secrets for. A random value that happens to
 * spell one is drawn again: nothing the package can read may say what it is.
 */
export const TELLTALE = /fake|honey|canary|test|dummy|example|sample|sandbox|decoy|trap/i;

function clean(make: () => string): string {
  for (;;) {
    const value = make();
    if (!TELLTALE.test(value)) return value;
  }
}

export function base62(n: number, width: number): string {
  let out = '';
  let v = n >>> 0;
  while (v > 0) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out.padStart(width, '0').slice(-width);
}

/** A 12-digit AWS account number. */
export function awsAccountId(): string {
  return String(crypto.randomInt(100_000_000_000, 999_999_999_999));
}

/**
 * AWS access key id: `AKIA` + 16 base32 characters encoding 10 bytes whose bits 46..7 are the
 * owning account (how AWS builds key ids, so `sts get-access-key-info` style decoders agree
 * with what the sandbox's STS answers).
 */
export function awsAccessKeyId(account = awsAccountId()): string {
  return clean(() => {
    const bytes = crypto.randomBytes(10);
    const head = (BigInt(crypto.randomInt(2)) << 47n) | (BigInt(account) << 7n) | BigInt(crypto.randomInt(128));
    for (let i = 0; i < 6; i++) bytes[i] = Number((head >> BigInt(8 * (5 - i))) & 0xffn);
    return 'AKIA' + base32(bytes);
  });
}

/** The account an access key id encodes (inverse of awsAccessKeyId). */
export function awsAccountOf(accessKeyId: string): string {
  const chars = accessKeyId.slice(4);
  let bits = 0n;
  for (const c of chars) bits = (bits << 5n) | BigInt(BASE32_UPPER.indexOf(c));
  const head = bits >> (80n - 48n);
  return String((head & 0x7fffffffff80n) >> 7n).padStart(12, '0');
}

/** AWS secret access key: 40 characters of the base64 alphabet. */
export function awsSecretAccessKey(): string {
  return clean(() => randomFrom(B64, 40));
}

/** The checksummed token format GitHub and npm share: prefix, 30 random, base62 CRC32 of those 30. */
function checksummed(prefix: string): string {
  return clean(() => {
    const body = randomFrom(ALNUM, 30);
    return `${prefix}_${body}${base62(zlib.crc32(body), 6)}`;
  });
}

/** True when the last 6 characters are the base62 CRC32 of the 30 before them. */
export function hasValidChecksum(token: string): boolean {
  const body = token.slice(token.indexOf('_') + 1, -6);
  return body.length === 30 && token.slice(-6) === base62(zlib.crc32(body), 6);
}

/** npm access token: `npm_` + 30 random + 6-character checksum, like GitHub's. */
export function npmToken(): string {
  return checksummed('npm');
}

/** GitHub token (`ghp_` classic PAT, `gho_` OAuth): 30 random + 6-char base62 CRC32, as GitHub does. */
export function githubToken(prefix: 'ghp' | 'gho' = 'ghp'): string {
  return checksummed(prefix);
}

/**
 * PyPI API token: `pypi-` + base64url of a macaroon whose location is pypi.org (so it starts
 * `pypi-AgEIcHlwaS5vcmc`), an identifier (a UUID) and a signature.
 */
export function pypiToken(): string {
  return clean(() => {
    // Macaroon v2 binary: fields are (type, varint length, bytes); 0 ends a section.
    const field = (type: number, data: Buffer) => Buffer.concat([Buffer.from([type, data.length]), data]);
    const macaroon = Buffer.concat([
      Buffer.from([0x02]),
      field(0x01, Buffer.from('pypi.org')),
      field(0x02, Buffer.from(crypto.randomUUID())),
      Buffer.from([0x00]),
      field(0x02, Buffer.from('{"version": 1, "permissions": "user"}')),
      Buffer.from([0x00, 0x00]),
      field(0x06, crypto.randomBytes(32)),
    ]);
    return 'pypi-' + macaroon.toString('base64url');
  });
}

/** Stripe live secret key as issued since 2019 (`sk_live_51` + account-derived characters). */
export function stripeSecretKey(): string {
  return clean(() => 'sk_live_51' + randomFrom(ALNUM, 97));
}

export function password(length = 20): string {
  return clean(() => randomFrom(ALNUM, length));
}

/** A session cookie value like those browsers hold for github.com and friends. */
export function sessionCookie(): string {
  return clean(() => randomFrom(ALNUM + '-_', 48));
}

/** A freshly generated RSA key: PEM private key and OpenSSH `ssh-rsa` public line. */
export function sshKeyPair(comment: string): { privatePem: string; publicLine: string } {
  for (;;) {
    const pair = rsaKeyPair(comment);
    if (!TELLTALE.test(pair.privatePem + pair.publicLine)) return pair;
  }
}

function rsaKeyPair(comment: string): { privatePem: string; publicLine: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const jwk = publicKey.export({ format: 'jwk' });
  const sshString = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  // mpint: big-endian with a leading zero when the high bit is set.
  const mpint = (b64url: string) => {
    const raw = Buffer.from(b64url, 'base64url');
    return sshString(raw[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), raw]) : raw);
  };
  const blob = Buffer.concat([sshString(Buffer.from('ssh-rsa')), mpint(jwk.e!), mpint(jwk.n!)]);
  return { privatePem, publicLine: `ssh-rsa ${blob.toString('base64')} ${comment}\n` };
}
