import { VetboxError } from '@vetbox/contracts';
import { EntryCollector } from './collector.js';
import { detectFormat } from './detect.js';
import { parseAllowlist } from './formats/allowlist.js';
import { parseNpmLock } from './formats/npm.js';
import { parsePnpm } from './formats/pnpm.js';
import { parsePipfileLock, parsePoetryLock, parseUvLock } from './formats/python-locks.js';
import { parseRequirements } from './formats/requirements.js';
import { parseYarnBerry, parseYarnClassic } from './formats/yarn.js';
import type { ParsedLockfile } from './types.js';

export interface ParseOptions {
  /** Reject inputs above this many bytes (UTF-16 length), default 64 MiB. */
  maxLength?: number;
}

const DEFAULT_MAX_LENGTH = 64 * 1024 * 1024;

/**
 * Bytes → text: UTF-8, or UTF-16 when a byte-order mark says so (PowerShell's
 * `pip freeze > requirements.txt` writes UTF-16LE). Anything else that is not UTF-8 is rejected.
 */
export function decodeLockfile(bytes: Uint8Array): string {
  const encoding = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : 'utf-8';
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch (err) {
    throw new VetboxError('INVALID_INPUT', `lockfile is not valid ${encoding.toUpperCase()} text`, { cause: err });
  }
}

/**
 * Reads a lockfile or allowlist into the package versions to analyse. The format comes from
 * the content; `fileName` (a path or base name) only breaks ties. Entries that are not pinned,
 * not from a registry or malformed are returned in `skipped` with a reason.
 * Throws VetboxError('INVALID_INPUT') for an unknown or unparseable format.
 */
export function parseLockfile(content: string | Uint8Array, fileName?: string, options: ParseOptions = {}): ParsedLockfile {
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  if (content.length > maxLength) {
    throw new VetboxError('INVALID_INPUT', `lockfile is too large (${content.length} ${typeof content === 'string' ? 'characters' : 'bytes'}, limit ${maxLength})`);
  }
  const decoded = typeof content === 'string' ? content : decodeLockfile(content);
  const text = decoded.charCodeAt(0) === 0xfeff ? decoded.slice(1) : decoded;
  const detected = detectFormat(text, fileName);
  const out = new EntryCollector();
  let formatVersion: string | undefined;
  switch (detected.format) {
    case 'package-lock':
    case 'npm-shrinkwrap':
      parseNpmLock(text, detected.json!, out);
      formatVersion = String(detected.json!.lockfileVersion);
      break;
    case 'yarn-classic':
      parseYarnClassic(text, out);
      formatVersion = '1';
      break;
    case 'yarn-berry':
      parseYarnBerry(text, out);
      formatVersion = /^\s+version:\s*"?(\d+)/m.exec(text)?.[1];
      break;
    case 'pnpm':
      formatVersion = parsePnpm(text, out);
      break;
    case 'requirements':
      parseRequirements(text, out);
      break;
    case 'poetry':
      formatVersion = parsePoetryLock(text, out);
      break;
    case 'uv':
      formatVersion = parseUvLock(text, out);
      break;
    case 'pipfile':
      formatVersion = parsePipfileLock(text, detected.json!, out);
      break;
    case 'allowlist':
      parseAllowlist(text, out);
      break;
    default: {
      const exhaustive: never = detected.format;
      throw new VetboxError('INTERNAL', `no parser for ${String(exhaustive)}`);
    }
  }
  const result: ParsedLockfile = { format: detected.format, entries: out.entries, skipped: out.skipped };
  if (formatVersion !== undefined) result.formatVersion = formatVersion;
  return result;
}
