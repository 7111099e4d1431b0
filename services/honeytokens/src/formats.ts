import crypto from 'node:crypto';
import zlib from 'node:zlib';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BASE32_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function randomFrom(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[crypto.randomInt(alphabet.length)];
  return out;
}

function base62(n: number, width: number): string {
  let out = '';
  let v = n >>> 0;
  while (v > 0) {
    out = ALNUM[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out.padStart(width, '0').slice(-width);
}

/** AWS access key id: `AKIA` + 16 base32 characters (20 in all). */
export function awsAccessKeyId(): string {
  return 'AKIA' + randomFrom(BASE32_UPPER, 16);
}

/** AWS secret access key: 40 characters of the base64 alphabet. */
export function awsSecretAccessKey(): string {
  return randomFrom(B64, 40);
}

/** npm automation/granular token: `npm_` + 36 alphanumerics. */
export function npmToken(): string {
  return 'npm_' + randomFrom(ALNUM, 36);
}

/** GitHub token (`ghp_` classic PAT, `gho_` OAuth): 30 random + 6-char base62 CRC32, as GitHub does. */
export function githubToken(prefix: 'ghp' | 'gho' = 'ghp'): string {
  const body = randomFrom(ALNUM, 30);
  return `${prefix}_${body}${base62(zlib.crc32(body), 6)}`;
}

/**
 * PyPI API token: `pypi-` + base64url of a macaroon whose location is pypi.org (so it starts
 * `pypi-AgEIcHlwaS5vcmc`), an identifier (a UUID) and a signature.
 */
export function pypiToken(): string {
  const uuid = Buffer.from(crypto.randomUUID());
  const macaroon = Buffer.concat([
    Buffer.from([0x02, 0x01, 0x08]),
    Buffer.from('pypi.org'),
    Buffer.from([0x02, uuid.length]),
    uuid,
    Buffer.from([0x00, 0x02, 0x2a]),
    Buffer.from(`[1,{"version":1,"permissions":"user"}]`.slice(0, 42)),
    Buffer.from([0x00, 0x00, 0x06, 0x20]),
    crypto.randomBytes(32),
  ]);
  return 'pypi-' + macaroon.toString('base64url');
}

export function stripeSecretKey(): string {
  return 'sk_live_' + randomFrom(ALNUM, 99);
}

export function password(length = 20): string {
  return randomFrom(ALNUM, length);
}

/** A session cookie value like those browsers hold for github.com and friends. */
export function sessionCookie(): string {
  return randomFrom(ALNUM + '-_', 48);
}

/** A freshly generated RSA key: PEM private key and OpenSSH `ssh-rsa` public line. */
export function sshKeyPair(comment: string): { privatePem: string; publicLine: string } {
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
