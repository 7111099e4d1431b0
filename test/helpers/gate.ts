// `npm start` with its vetted registry, and the package managers pointed at it, for the gate's
// client tests. Everything the clients install goes into temporary directories with
// --ignore-scripts / pip download: no package code runs on the host.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { GateWhy } from '@vetbox/contracts';
import { createPrismaClient, type PrismaClient } from '@vetbox/db';
import { createApiKey } from '@vetbox/store';
import { REPO_ROOT, startNode, type ChildService } from './processes.js';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for messages. */
  output: string;
}

/** Runs a command to its end (killed after `timeoutMs`), capturing its output. */
export function run(command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, output: `${stdout}\n${stderr}` });
    });
  });
}

/** `npm start` (API with the registry, and a worker running the real pipeline) on its own queue and port. */
export class VetboxService {
  url = '';
  readonly prisma: PrismaClient;
  readonly keys = {} as Record<'read' | 'submit' | 'admin', string>;
  private readonly keyIds: string[] = [];
  private service?: ChildService;
  readonly dataDir: Promise<string>;

  constructor(private readonly env: NodeJS.ProcessEnv) {
    this.prisma = createPrismaClient({ databaseUrl: process.env.DATABASE_URL! });
    this.dataDir = mkdtemp(path.join(os.tmpdir(), 'vetbox-gate-data-'));
  }

  async start(): Promise<this> {
    for (const role of ['read', 'submit', 'admin'] as const) {
      const { key, record } = await createApiKey(this.prisma, { name: `gate-test-${role}`, role });
      this.keys[role] = key;
      this.keyIds.push(record.id);
    }
    this.service = await startNode(
      path.join(REPO_ROOT, 'scripts', 'start.mjs'),
      { PORT: '0', LOG_FORMAT: 'json', LOG_LEVEL: 'info', QUEUE_NAME: `test-gate-${randomUUID()}`, DATA_DIR: await this.dataDir, WORKER_CONCURRENCY: '1', ...this.env },
      ['"api listening"', '"worker started"'],
      120_000,
    );
    const line = this.service.output().split('\n').find((l) => l.includes('"api listening"')) ?? '{}';
    this.url = (JSON.parse(line) as { url: string }).url;
    return this;
  }

  output(): string {
    return this.service?.output() ?? '';
  }

  /** The worker's lines only (the API logs every request). */
  workerLog(): string {
    return this.output()
      .split('\n')
      .filter((l) => !l.includes('"name":"api"'))
      .join('\n');
  }

  async why(ecosystem: 'npm' | 'pypi', name: string, version: string): Promise<GateWhy> {
    this.assertRunning();
    const res = await fetch(`${this.url}/registry/why/${ecosystem}/${name}/${version}`, { headers: { authorization: `Bearer ${this.keys.read}`, accept: 'application/json' } });
    if (res.status !== 200) throw new Error(`why ${name} ${version}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as GateWhy;
  }

  /** A service that died mid-test fails with its last lines, not with a bare ECONNREFUSED. */
  assertRunning(): void {
    const child = this.service?.child;
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`npm start exited (${child.exitCode ?? child.signalCode}):\n${this.output().slice(-4000)}`);
    }
  }

  /** Waits until the version's analysis has finished (its state no longer queued, running or never seen). */
  async settled(ecosystem: 'npm' | 'pypi', name: string, version: string, timeoutMs = 1_500_000): Promise<GateWhy> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const why = await this.why(ecosystem, name, version);
      if (!['queued', 'running', 'unvetted'].includes(why.state)) return why;
      if (Date.now() > deadline) throw new Error(`${name} ${version} still ${why.state} after ${timeoutMs} ms\n${this.workerLog().slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }

  /** POST /v1/analyses with the submit key. */
  async submit(ecosystem: 'npm' | 'pypi', name: string, version: string): Promise<void> {
    const res = await fetch(`${this.url}/v1/analyses`, { method: 'POST', headers: { authorization: `Bearer ${this.keys.submit}`, 'content-type': 'application/json' }, body: JSON.stringify({ ecosystem, name, version }) });
    if (res.status !== 202 && res.status !== 200) throw new Error(`submit ${name} ${version}: HTTP ${res.status} ${await res.text()}`);
  }

  /** Removes what the test stored about these packages (analyses, decisions, approvals). */
  async forget(ecosystem: 'npm' | 'pypi', names: string[]): Promise<void> {
    await this.prisma.package.deleteMany({ where: { ecosystem, name: { in: names } } });
    await this.prisma.gateDecision.deleteMany({ where: { ecosystem, name: { in: names } } });
    await this.prisma.gateApproval.deleteMany({ where: { ecosystem, name: { in: names } } });
  }

  async stop(): Promise<void> {
    await this.service?.stop('SIGTERM');
    await this.prisma.apiKey.deleteMany({ where: { id: { in: this.keyIds } } });
    await this.prisma.$disconnect();
    await rm(await this.dataDir, { recursive: true, force: true });
  }
}

/** A scratch npm project whose .npmrc points at the gate with a read key; cache and prefix are its own. */
export async function npmProject(gateUrl: string, key: string): Promise<{ dir: string; npm: (args: string[], timeoutMs?: number) => Promise<RunResult> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vetbox-gate-npm-'));
  await mkdir(path.join(dir, 'cache'));
  const registry = `${gateUrl}/registry/npm/`;
  const nerf = registry.replace(/^https?:/, '');
  await writeFile(path.join(dir, '.npmrc'), `registry=${registry}\n${nerf}:_authToken=${key}\nignore-scripts=true\naudit=false\nfund=false\nupdate-notifier=false\n`);
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'gate-client', version: '1.0.0', private: true }));
  return {
    dir,
    // The project's .npmrc is the only config npm reads besides the command line; the user's and
    // the global ones are pointed away. The cache is the project's own: the machine's cache holds
    // what the worker staged (npm would install a cached tarball by its integrity without asking).
    npm: (args, timeoutMs = 180_000) =>
      run('npm', [...args, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=notice', `--cache=${path.join(dir, 'cache')}`], {
        cwd: dir,
        timeoutMs,
        env: { npm_config_userconfig: path.join(dir, '.npmrc'), npm_config_globalconfig: path.join(dir, 'global.npmrc'), npm_config_registry: registry },
      }),
  };
}
