import type { CanaryEncoding } from '@vetbox/contracts';

export interface Needle {
  bytes: Buffer;
  encoding: CanaryEncoding;
}

/** Long secrets share a fixed prefix (`pypi-AgEIcHlwaS5vcmc`); a random middle is distinctive. */
const LONG = 64;
const PIECE = 48;

export function searchableForm(value: string): string {
  if (value.length <= LONG) return value;
  const start = Math.min(24, value.length - PIECE);
  return value.slice(start, start + PIECE);
}

/**
 * Base64 of `value` as it appears at each of the three byte alignments inside a longer encoded
 * text: encode behind 0–2 filler bytes and keep only the characters that depend on `value`
 * alone (the edge characters also mix in the neighbouring bytes).
 */
export function base64Variants(value: Buffer): string[] {
  const out: string[] = [];
  for (let pad = 0; pad < 3; pad++) {
    const enc = Buffer.concat([Buffer.alloc(pad), value]).toString('base64');
    const from = Math.ceil((pad * 8) / 6);
    const to = Math.floor(((pad + value.length) * 8) / 6);
    if (to - from >= 8) out.push(enc.slice(from, to));
  }
  return out;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32, unpadded. */
export function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = ((value << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/**
 * Base32 (RFC 4648) of `value` at each of the five byte alignments, keeping only characters that
 * depend on `value` alone: DNS tunnels favour base32 because names are case-insensitive.
 */
export function base32Variants(value: Buffer): string[] {
  const out: string[] = [];
  for (let pad = 0; pad < 5; pad++) {
    const enc = base32(Buffer.concat([Buffer.alloc(pad), value]));
    const from = Math.ceil((pad * 8) / 5);
    const to = Math.floor(((pad + value.length) * 8) / 5);
    if (to - from >= 8) out.push(enc.slice(from, to));
  }
  return out;
}

/** Every form of `value` the detector looks for, most direct first, without duplicates. */
export function needlesFor(value: string): Needle[] {
  const text = searchableForm(value);
  const raw = Buffer.from(text, 'utf8');
  const out: Needle[] = [];
  const seen = new Set<string>();
  const add = (s: string, encoding: CanaryEncoding) => {
    if (seen.has(s) || s.length < 8) return;
    seen.add(s);
    out.push({ bytes: Buffer.from(s, 'latin1'), encoding });
  };
  add(text, 'plain');
  add(JSON.stringify(text).slice(1, -1), 'json');
  add(JSON.stringify(text).slice(1, -1).replace(/\//g, '\\/'), 'json');
  add(encodeURIComponent(text), 'url');
  add(encodeURIComponent(text).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()), 'url');
  for (const b64 of base64Variants(raw)) {
    add(b64, 'base64');
    // base64 inside a query string or form body has + / = escaped
    add(encodeURIComponent(b64), 'base64');
    add(b64.replace(/\+/g, '-').replace(/\//g, '_'), 'base64url');
  }
  add(raw.toString('hex'), 'hex');
  add(raw.toString('hex').toUpperCase(), 'hex');
  for (const b32 of base32Variants(raw)) {
    add(b32, 'base32');
    // DNS names reach the corpus lowercased.
    add(b32.toLowerCase(), 'base32');
  }
  add([...text].reverse().join(''), 'reversed');
  return out;
}
