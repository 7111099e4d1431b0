import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomIdentity } from './identity.js';
import { APP_PROJECT_DIR, APP_PROJECT_FROM_WORKDIR, appProject } from './project.js';

describe('the app project', () => {
  it('is found at the same relative path from every workdir a persona gets (staged lockfiles rely on it)', () => {
    for (let i = 0; i < 50; i++) expect(path.posix.relative(randomIdentity().workdir, APP_PROJECT_DIR)).toBe(APP_PROJECT_FROM_WORKDIR);
  });

  it('lists popular packages, locked, without any that looks planted', () => {
    const { manifest, lock } = appProject();
    expect(Object.keys(manifest.dependencies).length).toBeGreaterThan(100);
    for (const name of ['express', 'axios', 'lodash', 'react']) expect(lock.packages[`node_modules/${name}`], name).toBeDefined();
    // #41 of npm-top5000.tsv at one point; no download history to speak of.
    expect(lock.packages['node_modules/telecom-mas-agent']).toBeUndefined();
  });
});
