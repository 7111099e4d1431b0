#!/usr/bin/env node
// Exit 0 when node_modules already holds exactly what package-lock.json describes, 1 otherwise.
// npm records what it installed in node_modules/.package-lock.json; comparing the two files
// (~50 ms) lets `npm run setup` skip `npm ci` (~30 s+) on a second run, and notices any change
// to the lockfile, however it was made.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Returns the reasons node_modules differs from the lockfile (empty when in sync).
 * `workspaceExists(folder)` tells whether a linked workspace is present in the checkout: a
 * lockfile entry for a workspace folder that is not there cannot be installed by `npm ci` either.
 */
export function lockDifferences(lock, installed, workspaceExists = () => true) {
  if (!installed?.packages) return ['node_modules/.package-lock.json is missing'];
  const reasons = [];
  for (const [key, entry] of Object.entries(lock.packages ?? {})) {
    if (!key.startsWith('node_modules/')) continue;
    const have = installed.packages[key];
    if (entry.link && !workspaceExists(entry.resolved)) continue;
    if (!have) {
      // Optional packages for other platforms (esbuild-darwin-arm64, ...) are never installed.
      if (!entry.optional && !entry.devOptional) reasons.push(`${key} is not installed`);
      continue;
    }
    if (entry.link ? have.resolved !== entry.resolved : have.version !== entry.version) {
      reasons.push(`${key}: installed ${have.version ?? have.resolved}, lockfile wants ${entry.version ?? entry.resolved}`);
    }
  }
  for (const key of Object.keys(installed.packages)) {
    if (key.startsWith('node_modules/') && !lock.packages?.[key]) reasons.push(`${key} is not in the lockfile`);
  }
  return reasons;
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const lock = readJson(path.join(root, 'package-lock.json'));
  if (!lock) {
    process.stderr.write('package-lock.json is missing or unreadable\n');
    process.exit(1);
  }
  const reasons = lockDifferences(lock, readJson(path.join(root, 'node_modules', '.package-lock.json')), (folder) =>
    fs.existsSync(path.join(root, folder, 'package.json')),
  );
  for (const reason of reasons.slice(0, 5)) process.stdout.write(`  ${reason}\n`);
  if (reasons.length > 5) process.stdout.write(`  ... and ${reasons.length - 5} more\n`);
  process.exit(reasons.length === 0 ? 0 : 1);
}
