import { badArchive } from './limits.js';

const MAX_PATH_LENGTH = 4096;
// Control characters in names are used to hide files from listings and confuse log readers.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/**
 * Validates an archive entry name and returns it normalized (no `./`, no trailing `/`,
 * no empty segments). Entry names are hostile: anything that could land outside the
 * extraction directory, on any platform, is rejected rather than repaired.
 *
 * Returns '' for the archive root itself (`./`).
 */
export function normalizeEntryPath(raw: string): string {
  if (raw.length === 0) throw badArchive('an entry has an empty name');
  if (raw.length > MAX_PATH_LENGTH) throw badArchive(`an entry name is longer than ${MAX_PATH_LENGTH} characters`);
  const shown = JSON.stringify(raw.slice(0, 200));
  if (CONTROL_CHARS.test(raw)) throw badArchive(`entry ${shown} has control characters in its name`);
  if (raw.includes('\\')) throw badArchive(`entry ${shown} has a backslash in its name (Windows path separator)`);
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) throw badArchive(`entry ${shown} has an absolute path`);
  const segments = raw.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw badArchive(`entry ${shown} escapes the archive with '..' (path traversal)`);
  return segments.join('/');
}

export function depthOf(normalized: string): number {
  return normalized === '' ? 0 : normalized.split('/').length;
}

export function topSegment(normalized: string): string {
  const i = normalized.indexOf('/');
  return i === -1 ? normalized : normalized.slice(0, i);
}

export function baseName(normalized: string): string {
  return normalized.slice(normalized.lastIndexOf('/') + 1);
}
