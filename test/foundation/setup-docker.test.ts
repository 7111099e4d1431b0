// The Docker start path of scripts/setup.sh, run against stand-in `docker`, `dockerd` and
// `pgrep` commands: the real daemon is shared and must not be stopped to test this.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/processes.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

interface Scenario {
  /** docker info answers from the start (a daemon is already up). */
  alreadyRunning?: boolean;
  /** the stand-in dockerd never makes docker info answer. */
  neverReady?: boolean;
  stalePidFile?: boolean;
  env?: Record<string, string>;
}

function runDockerStep(scenario: Scenario) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vetbox-setup-docker-'));
  dirs.push(dir);
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const pidFile = path.join(dir, 'docker.pid');
  if (scenario.stalePidFile) fs.writeFileSync(pidFile, '12345\n');
  if (scenario.alreadyRunning) fs.writeFileSync(path.join(dir, 'ready'), '');
  const shim = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  shim('docker', `[ "$1" = version ] && { echo 0.0-shim; exit 0; }\n[ "$1" = info ] && [ -n "$SHIM_ROOT" ] && { echo "$SHIM_ROOT"; exit 0; }\n[ -e "${dir}/ready" ]`);
  shim('pgrep', `[ -e "${dir}/ready" ] && { echo "1 dockerd --bridge=none"; exit 0; }\nexit 1`);
  shim(
    'dockerd',
    `echo "$@" > "${dir}/dockerd-args"\n[ -e "${pidFile}" ] && echo yes > "${dir}/pidfile-at-start"\n` +
      (scenario.neverReady ? 'echo "failed to start daemon: shim" >&2; exit 1' : `touch "${dir}/ready"`),
  );
  const result = spawnSync('bash', ['-c', `source scripts/setup.sh && step_docker`], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 30_000,
    env: {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      VETBOX_LOG_DIR: path.join(dir, 'logs'),
      DOCKER_PIDFILE: pidFile,
      DOCKER_WAIT_SECONDS: '2',
      ...scenario.env,
    },
  });
  const read = (name: string) => (fs.existsSync(path.join(dir, name)) ? fs.readFileSync(path.join(dir, name), 'utf8').trim() : undefined);
  return { result, pidFile, read, dir };
}

describe('setup.sh: Docker Engine step', () => {
  it('removes a stale pid file, then starts dockerd --bridge=none and waits for docker info', () => {
    const { result, pidFile, read } = runDockerStep({ stalePidFile: true });
    expect(result.status, result.stderr).toBe(0);
    expect(fs.existsSync(pidFile)).toBe(false);
    expect(read('pidfile-at-start')).toBeUndefined();
    // The pid file it is told to use, so a second daemon (the outage tests') can be told apart.
    expect(read('dockerd-args')).toBe(`--bridge=none --pidfile ${pidFile} --data-root /var/lib/layers`);
    expect(result.stdout).toContain('removing stale');
    expect(result.stdout).toMatch(/running/);
  });

  it('leaves a daemon that already answers alone', () => {
    const { result, read } = runDockerStep({ alreadyRunning: true, stalePidFile: true });
    expect(result.status, result.stderr).toBe(0);
    expect(read('dockerd-args')).toBeUndefined();
    expect(result.stdout).toContain('running (0.0-shim)');
    expect(result.stderr).not.toContain('mountinfo');
  });

  it("warns when the running daemon's data root puts 'docker' in every sandbox's mountinfo", () => {
    const { result } = runDockerStep({ alreadyRunning: true, stalePidFile: false, env: { SHIM_ROOT: '/var/lib/docker' } });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain('keeps containers in /var/lib/docker');
  });

  it('fails with the end of dockerd.log when the daemon never answers', () => {
    const { result } = runDockerStep({ neverReady: true });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Docker Engine did not become ready');
    expect(result.stderr).toContain('failed to start daemon: shim');
  });

  it('passes DOCKERD_EXTRA_ARGS through and always keeps --bridge=none', () => {
    const { result, read } = runDockerStep({ stalePidFile: false, env: { DOCKERD_EXTRA_ARGS: '--data-root /srv/x --live-restore' } });
    expect(result.status, result.stderr).toBe(0);
    expect(read('dockerd-args')).toMatch(/^--bridge=none --pidfile \S+ --data-root \/srv\/x --live-restore$/);
  });
});
