import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, type Env } from '@vetbox/config';

/** What every command gets: parsed configuration and where to write. */
export interface CliContext {
  env: Env;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Where `npm run setup` writes the local admin key. */
export const LOCAL_API_KEY_FILE = path.join(REPO_ROOT, '.vetbox', 'api-key');

/** VETBOX_API_KEY wins; otherwise the key setup created for this checkout, if any. */
export function resolveApiKey(env: Env, keyFile = LOCAL_API_KEY_FILE): string | undefined {
  if (env.VETBOX_API_KEY) return env.VETBOX_API_KEY;
  try {
    return fs.readFileSync(keyFile, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
