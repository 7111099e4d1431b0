import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without type declarations
import { lockDifferences } from '../../scripts/lib/deps-in-sync.mjs';
// @ts-expect-error plain ESM script without type declarations
import { migrationTimestamp } from '../../scripts/migrate-new.mjs';
// @ts-expect-error plain ESM script without type declarations
import { testDatabaseUrl } from '../../scripts/lib/test-database.mjs';
import { REPO_ROOT } from '../helpers/processes.js';

type Lock = { packages: Record<string, Record<string, unknown>> };
const differences = lockDifferences as (lock: Lock, installed: Lock | undefined, workspaceExists?: (folder: string) => boolean) => string[];

describe('the test database', () => {
  const derive = testDatabaseUrl as (url: string) => string;

  it('is the configured database with _test appended, on the same server', () => {
    expect(derive('postgresql://vetbox:vetbox@127.0.0.1:5432/vetbox')).toBe('postgresql://vetbox:vetbox@127.0.0.1:5432/vetbox_test');
    expect(derive('postgresql://u:p@db.internal:6543/scans?sslmode=require')).toBe('postgresql://u:p@db.internal:6543/scans_test?sslmode=require');
    expect(derive('postgresql://u:p@h/vetbox_test')).toBe('postgresql://u:p@h/vetbox_test');
    expect(() => derive('postgresql://u:p@h/')).toThrow(/names no database/);
  });

  it('is what this suite runs against, so npm start never lists test data', () => {
    expect(new URL(process.env.DATABASE_URL!).pathname).toMatch(/_test$/);
  });
});

describe('deps-in-sync (lets a second setup skip npm ci)', () => {
  const lock: Lock = {
    packages: {
      '': { name: 'vetbox' },
      'node_modules/zod': { version: '4.1.0' },
      'node_modules/@esbuild/darwin-arm64': { version: '0.25.0', optional: true },
      'node_modules/@vetbox/db': { resolved: 'services/db', link: true },
    },
  };
  const installed: Lock = {
    packages: {
      'node_modules/zod': { version: '4.1.0' },
      'node_modules/@vetbox/db': { resolved: 'services/db', link: true },
    },
  };

  it('is in sync when every non-optional package is installed at its locked version', () => {
    expect(differences(lock, installed)).toEqual([]);
  });

  it('notices a changed version, a missing package, an extra package and a missing record', () => {
    expect(differences(lock, { packages: { ...installed.packages, 'node_modules/zod': { version: '4.0.0' } } })[0]).toMatch(/zod: installed 4.0.0, lockfile wants 4.1.0/);
    expect(differences(lock, { packages: { 'node_modules/@vetbox/db': { resolved: 'services/db', link: true } } })).toEqual(['node_modules/zod is not installed']);
    expect(differences(lock, { packages: { ...installed.packages, 'node_modules/left-pad': { version: '1.0.0' } } })).toEqual(['node_modules/left-pad is not in the lockfile']);
    expect(differences(lock, undefined)).toHaveLength(1);
  });

  it('ignores a workspace the lockfile names but the checkout does not have', () => {
    const withGhost: Lock = { packages: { ...lock.packages, 'node_modules/@vetbox/ghost': { resolved: 'services/ghost', link: true } } };
    expect(differences(withGhost, installed, (folder) => folder !== 'services/ghost')).toEqual([]);
    expect(differences(withGhost, installed)).toEqual(['node_modules/@vetbox/ghost is not installed']);
  });

  it('agrees with this checkout right after setup', () => {
    const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'lib', 'deps-in-sync.mjs')], { encoding: 'utf8' });
    expect(result.status, result.stdout).toBe(0);
  });
});

describe('migrate:new', () => {
  it('names migrations with a sortable UTC timestamp like prisma migrate dev', () => {
    expect(migrationTimestamp(new Date('2026-11-26T21:05:09.123Z'))).toBe('20261126210509');
  });
});

describe('shell entry points', () => {
  it('setup.sh and its helpers parse', () => {
    for (const file of ['scripts/setup.sh', 'scripts/lib/common.sh', '.ci/run']) {
      const result = spawnSync('bash', ['-n', path.join(REPO_ROOT, file)], { encoding: 'utf8' });
      expect(result.status, `${file}: ${result.stderr}`).toBe(0);
    }
  });

  it('.ci/run runs exactly the README commands and fails on any failure', () => {
    const ci = fs.readFileSync(path.join(REPO_ROOT, '.ci', 'run'), 'utf8');
    expect(ci.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(ci).toContain('set -euo pipefail');
    expect(ci).toMatch(/^npm run setup && npm test$/m);
    expect(fs.statSync(path.join(REPO_ROOT, '.ci', 'run')).mode & 0o111).not.toBe(0);
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const firstScreen = readme.split('\n').slice(0, 40).join('\n');
    for (const command of ['npm run setup', 'npm start', 'npm test']) expect(firstScreen).toContain(command);
  });
});
