import { describe, expect, it } from 'vitest';
import { homeSkeleton, plausibleHostname, randomIdentity } from './identity.js';

describe('randomized sandbox identity', () => {
  it('looks like a developer machine: user, home, project workdir, hostname', () => {
    for (let i = 0; i < 50; i++) {
      const id = randomIdentity();
      expect(id.user).toMatch(/^[a-z][a-z0-9.-]*[a-z0-9]$/);
      // Long enough that finding it in a capture means it came from this sandbox.
      expect(id.user.length).toBeGreaterThanOrEqual(7);
      expect(id.machineId).toMatch(/^[0-9a-f]{32}$/);
      expect(id.publicAddress).not.toMatch(/^(10|127|192\.168|198\.1[89]|192\.0\.2|198\.51\.100|203\.0\.113)\./);
      expect(id.lan.address.startsWith(id.lan.gateway.replace(/\.1$/, '.'))).toBe(true);
      expect(id.home).toBe(`/home/${id.user}`);
      expect(id.workdir).toMatch(new RegExp(`^${id.home}/projects/[a-z-]+$`));
      expect(id.hostname).toMatch(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
    }
  });

  it('varies between analyses (no fixed name to check for)', () => {
    const users = new Set(Array.from({ length: 30 }, () => randomIdentity().user));
    const hosts = new Set(Array.from({ length: 30 }, () => plausibleHostname()));
    expect(users.size).toBeGreaterThan(5);
    expect(hosts.size).toBeGreaterThan(5);
  });

  it('furnishes the home: git identity, history, other projects, config and cache folders', () => {
    const id = randomIdentity();
    const files = homeSkeleton(id);
    const paths = files.map((f) => f.path);
    expect(files.find((f) => f.path === '.gitconfig')?.content).toContain(`name = ${id.fullName}`);
    expect(paths).toContain('.bash_history');
    expect(paths.some((p) => p.startsWith('.config/'))).toBe(true);
    expect(paths.some((p) => p.startsWith('.cache/'))).toBe(true);
    expect(paths.filter((p) => p.startsWith('projects/') && p.endsWith('/package.json')).length).toBeGreaterThanOrEqual(2);
  });
});
