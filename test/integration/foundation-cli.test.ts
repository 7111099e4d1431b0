// `npx vetbox --help` from the repository root, as the README promises after setup.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/processes.js';

describe('vetbox bin', () => {
  it('is linked into node_modules/.bin and executable with a node shebang', () => {
    const bin = path.join(REPO_ROOT, 'node_modules', '.bin', 'vetbox');
    expect(fs.existsSync(bin), 'run npm run setup (it links the bin after building)').toBe(true);
    expect(fs.readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
    expect(fs.statSync(bin).mode & 0o111).not.toBe(0);
  });

  it('npx vetbox --help lists the commands', () => {
    const result = spawnSync('npx', ['--no-install', 'vetbox', '--help'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('Usage: vetbox');
    expect(result.stdout).toContain('status');
  });
});
