import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync, unzipSync } from 'node:zlib';
import type { StaticTransform } from '@vetbox/contracts';

/** Largest layer a transform may produce: a decompression bomb stops here, not in memory. */
export const MAX_LAYER_BYTES = 4 * 1024 * 1024;

/**
 * Undoes one encoding statically: pure functions over bytes, never an interpreter. Returns
 * undefined when the input does not decode (or is beyond the bounds), so the caller records
 * the layer it reached instead.
 */
export function undo(transform: StaticTransform, input: Buffer, variant?: string): Buffer | undefined {
  if (input.length > MAX_LAYER_BYTES) return undefined;
  try {
    switch (transform) {
      case 'base64':
        return decodeBase64(input, variant === 'url');
      case 'base32':
        return decodeBase32(input);
      case 'hex':
        return decodeHex(input);
      case 'zlib':
        return inflate(input, variant);
      case 'gzip':
        return gunzipSync(input, { maxOutputLength: MAX_LAYER_BYTES });
      case 'rot13':
        return Buffer.from(input.toString('latin1').replace(/[a-z]/gi, rot13Char), 'latin1');
      case 'reverse':
        return reverseText(input);
      case 'uri':
        return Buffer.from(decodeURIComponent(input.toString('latin1')), 'utf8');
      default:
        // bz2, lzma, base85, marshal: named, not decoded (no pure decoder we trust here).
        return undefined;
    }
  } catch {
    return undefined;
  }
}

function inflate(input: Buffer, variant?: string): Buffer {
  const opts = { maxOutputLength: MAX_LAYER_BYTES };
  if (variant === 'raw') return inflateRawSync(input, opts);
  if (variant === 'brotli') return brotliDecompressSync(input, opts);
  // zlib.decompress and inflateSync take zlib headers; unzip accepts zlib or gzip.
  return input[0] === 0x1f ? gunzipSync(input, opts) : input[0] === 0x78 ? inflateSync(input, opts) : unzipSync(input, opts);
}

const BASE64 = /^[A-Za-z0-9+/=\s_-]*$/;

function decodeBase64(input: Buffer, url: boolean): Buffer | undefined {
  const text = input.toString('latin1');
  if (!BASE64.test(text)) return undefined;
  const out = Buffer.from(text.replace(/\s+/g, ''), url ? 'base64url' : 'base64');
  return out.length > 0 ? out : undefined;
}

function decodeHex(input: Buffer): Buffer | undefined {
  const text = input.toString('latin1').replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(text)) return undefined;
  return Buffer.from(text, 'hex');
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function decodeBase32(input: Buffer): Buffer | undefined {
  const text = input.toString('latin1').replace(/[=\s]/g, '').toUpperCase();
  if (!/^[A-Z2-7]*$/.test(text)) return undefined;
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    value = (value << 5) | B32.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

function rot13Char(c: string): string {
  const base = c <= 'Z' ? 65 : 97;
  return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
}

/** Reversed text (`s[::-1]`, `split('').reverse().join('')`): by code point for text, by byte otherwise. */
function reverseText(input: Buffer): Buffer {
  const text = input.toString('utf8');
  if (!text.includes('\ufffd')) return Buffer.from([...text].reverse().join(''), 'utf8');
  return Buffer.from(input).reverse();
}

/**
 * Printable strings of a marshal blob (Python code object): names, constants and URLs show
 * what the code calls without loading it. Loading marshal data is itself a risk (and version
 * bound), so the format is only skimmed.
 */
export function marshalStrings(input: Buffer, minLength = 4): string[] {
  const out: string[] = [];
  let run = '';
  for (const b of input.subarray(0, MAX_LAYER_BYTES)) {
    if (b >= 0x20 && b < 0x7f) run += String.fromCharCode(b);
    else {
      if (run.length >= minLength) out.push(run);
      run = '';
    }
  }
  if (run.length >= minLength) out.push(run);
  return out;
}

/** A marshal code object starts with TYPE_CODE ('c'), possibly with the FLAG_REF bit (0xe3). */
export function isMarshalCode(input: Buffer): boolean {
  return input.length > 16 && (input[0] === 0x63 || input[0] === 0xe3);
}
