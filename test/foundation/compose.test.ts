// docker-compose.yml cannot run here (no image registry), so its structure is checked instead.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EnvSchema } from '@vetbox/config';
import { REPO_ROOT } from '../helpers/processes.js';

interface Service {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  user?: string;
  network_mode?: string;
  privileged?: boolean;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = parse(fs.readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as Compose;
const { services } = compose;
const dockerfile = fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');

describe('docker-compose.yml', () => {
  it('has redis, postgres, api and worker', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['redis', 'postgres', 'api', 'worker']));
  });

  it('runs Redis with AOF persistence and noeviction, on a volume', () => {
    const command = services.redis?.command?.join(' ') ?? '';
    expect(command).toMatch(/--appendonly yes/);
    expect(command).toMatch(/--maxmemory-policy noeviction/);
    expect(services.redis?.volumes?.some((v) => v.endsWith(':/data'))).toBe(true);
  });

  it('keeps PostgreSQL data on a named volume', () => {
    const volume = services.postgres?.volumes?.find((v) => v.endsWith(':/var/lib/postgresql/data'));
    expect(volume).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(volume?.split(':')[0]);
  });

  it('builds api and worker from the repository Dockerfile and runs their built entries', () => {
    for (const name of ['api', 'worker']) {
      const build = services[name]?.build;
      const { context, dockerfile: file = 'Dockerfile' } = typeof build === 'string' ? { context: build } : (build ?? { context: '' });
      expect(fs.existsSync(path.join(REPO_ROOT, context, file)), `${name} build`).toBe(true);
      const entry = services[name]?.command?.[1] ?? '';
      expect(entry).toBe(`${name}/dist/main.js`);
      // the built entry comes from a source file that exists
      expect(fs.existsSync(path.join(REPO_ROOT, name, 'src', 'main.ts'))).toBe(true);
    }
    expect(dockerfile).toMatch(/^FROM node:20/m);
    expect(dockerfile).toMatch(/npm ci/);
  });

  it('gives the Docker socket to the worker only', () => {
    const mountsSocket = (s: Service | undefined) => (s?.volumes ?? []).some((v) => v.startsWith('/var/run/docker.sock:'));
    expect(mountsSocket(services.worker)).toBe(true);
    for (const [name, service] of Object.entries(services)) {
      if (name !== 'worker') expect(mountsSocket(service), name).toBe(false);
    }
  });

  it('never uses host networking or privileged containers, and publishes the API on loopback only', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.network_mode, name).not.toBe('host');
      expect(service.privileged, name).not.toBe(true);
      for (const port of service.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('applies migrations before api and worker start', () => {
    expect(services.migrate?.command).toEqual(['node', 'scripts/prisma.mjs', 'migrate', 'deploy']);
    for (const name of ['api', 'worker']) {
      expect(services[name]?.depends_on?.migrate?.condition).toBe('service_completed_successfully');
      expect(services[name]?.depends_on?.redis?.condition).toBe('service_healthy');
      expect(services[name]?.depends_on?.postgres?.condition).toBe('service_healthy');
    }
  });

  it('only sets environment variables vetbox reads (EnvSchema)', () => {
    const known = new Set(Object.keys(EnvSchema.shape));
    for (const name of ['migrate', 'api', 'worker']) {
      const env = services[name]?.environment ?? {};
      expect(Object.keys(env).length, name).toBeGreaterThan(0);
      for (const key of Object.keys(env)) expect(known.has(key), `${name}: ${key}`).toBe(true);
      // and each value passes the schema
      expect(() => EnvSchema.parse(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{[^}]*:-([^}]*)\}/g, '$1')])))).not.toThrow();
    }
  });
});
