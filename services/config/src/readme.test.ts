import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvSchema, REPO_ROOT } from './index.js';

/** Variable names in the first column of the README's configuration table. */
function readmeVariables(readme: string): string[] {
  const section = readme.split(/^## /m).find((s) => s.startsWith('Configuration'));
  if (!section) throw new Error('README.md has no "## Configuration" section');
  return [...section.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1] as string);
}

describe('README configuration table', () => {
  const documented = readmeVariables(fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8'));
  const schemaKeys = Object.keys(EnvSchema.shape);

  it('documents every EnvSchema variable', () => {
    expect(schemaKeys.filter((k) => !documented.includes(k))).toEqual([]);
  });

  it('documents nothing EnvSchema does not read', () => {
    expect(documented.filter((k) => !schemaKeys.includes(k))).toEqual([]);
  });

  it('lists each variable once', () => {
    expect(new Set(documented).size).toBe(documented.length);
  });

  it('shows the literal defaults EnvSchema uses', () => {
    const defaults = EnvSchema.parse({});
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    for (const key of ['PORT', 'HOST', 'DATABASE_URL', 'REDIS_URL', 'QUEUE_NAME', 'SANDBOX_MEMORY_MB', 'SANDBOX_PHASE_TIMEOUT_MS'] as const) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${key}\` |`));
      expect(row, key).toContain(`\`${String(defaults[key])}\``);
    }
  });
});
