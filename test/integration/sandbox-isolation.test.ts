// Isolation of the sandbox against the real Docker engine: no network, dropped privileges,
// limits that end fork bombs, memory hogs, endless loops and endless writers with a result
// (never a hung worker or a full host disk), cancellation, the reaper, nothing labeled left.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { rm } from 'node:fs/promises';
import { loadEnv } from '@vetbox/config';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DockerRuntime,
  LABEL_ANALYSIS,
  LABEL_WORKER,
  ensureSandboxImage,
  reapOrphans,
  runInSandbox,
  runSandbox,
  workerId,
} from '@vetbox/sandbox';
import { VetboxError } from '@vetbox/contracts';
import { stageNpm, tempDir } from '../fixtures/sandbox/stage.js';

const runtime = new DockerRuntime();
let image = '';
const used: string[] = [];
const newId = (): string => {
  const id = `test-isolation-${randomUUID()}`;
  used.push(id);
  return id;
};

beforeAll(async () => {
  image = await ensureSandboxImage(runtime, { build: true });
}, 600_000);

afterEach(async () => {
  for (const id of used.splice(0)) {
    expect(await runtime.listByLabel(LABEL_ANALYSIS, id)).toEqual([]);
    await rm(path.join(loadEnv().DATA_DIR, 'sandbox', id), { recursive: true, force: true });
  }
});

describe('sandbox isolation: network', () => {
  it('TCP to 203.0.113.10 and a DNS lookup of anything.example never leave (network none)', async () => {
    const r = await runInSandbox({
      analysisId: newId(),
      tracer: 'strace', // reads the raw strace text
      cmd: [
        'curl -s -m 3 http://203.0.113.10/; echo curl=$?',
        'nc -z -w 2 203.0.113.10 80; echo nc=$?',
        'getent hosts anything.example; echo getent=$?',
        'nslookup -timeout=2 -retry=0 anything.example >/dev/null 2>&1; echo nslookup=$?',
      ].join('; '),
      limits: { graceMs: 500, phaseTimeoutMs: 60_000 },
    });
    expect(r.status).toBe('completed');
    expect(r.stdoutTail).toMatch(/curl=(7|28)\b/);
    expect(r.stdoutTail).toMatch(/nc=1\b/);
    expect(r.stdoutTail).toMatch(/getent=2\b/);
    expect(r.stdoutTail).not.toMatch(/nslookup=0\b/);
    const text = await readFile(r.trace, 'utf8');
    expect(text).toMatch(/connect\([^\n]*inet_addr\("203\.0\.113\.10"\)[^\n]*= -1 ENETUNREACH/);
    // No connection to anything but loopback succeeded.
    const succeeded = text.split('\n').filter((l) => /\bconnect\(.*inet_addr\("(?!127\.)/.test(l) && /\) = 0$/.test(l));
    expect(succeeded).toEqual([]);
  });

  it('runs unprivileged under the randomized identity, with no capabilities and no writable image paths', async () => {
    const r = await runInSandbox({
      analysisId: newId(),
      cmd: 'hostname; whoami; id -u; grep CapEff /proc/self/status; grep NoNewPrivs /proc/self/status; touch /usr/local/x /etc/x /opt/x 2>/dev/null; echo touch=$?; ls -A ~ | tr "\\n" " "; echo; echo "$AWS_ACCESS_KEY_ID"; cat ~/.aws/credentials',
      env: { AWS_ACCESS_KEY_ID: 'AKIAVETBOXCANARY0001' },
      homeFiles: [{ path: '.aws/credentials', content: '[default]\naws_access_key_id = AKIAVETBOXCANARY0002\n', mode: 0o600 }],
      limits: { graceMs: 200 },
    });
    const [hostname, user, uid, capEff, nnp, touch, home, envKey, fileHeader, fileKey] = r.stdoutTail.trim().split('\n');
    // Honeytokens: the environment variable and the planted file reach the traced code.
    expect(envKey).toBe('AKIAVETBOXCANARY0001');
    expect(`${fileHeader}\n${fileKey}`).toBe('[default]\naws_access_key_id = AKIAVETBOXCANARY0002');
    expect(hostname).toBe(r.sandbox.hostname);
    expect(user).toBe(r.sandbox.user);
    expect(uid).toBe('1000');
    expect(capEff).toMatch(/CapEff:\s+0+$/);
    expect(nnp).toMatch(/NoNewPrivs:\s+1/);
    expect(touch).toBe('touch=1');
    for (const f of ['.bashrc', '.profile', '.gitconfig', '.bash_history', 'projects', '.cache', '.config']) expect(home).toContain(f);
  });

  it('shares a given container network namespace and trusts a given CA', async () => {
    const analysisId = newId();
    const netHolder = await runtime.create({
      image, labels: { [LABEL_ANALYSIS]: analysisId, [LABEL_WORKER]: workerId() }, cmd: ['sleep', 'infinity'],
      hostname: 'dev-laptop-beef', networkMode: 'none', capAdd: [], memoryBytes: 64 << 20, nanoCpus: 5e8, pidsLimit: 32,
      tmpfs: {}, shmSizeBytes: 1 << 20, runtime: runtime.runtimeName,
    });
    try {
      await runtime.start(netHolder);
      const dir = await tempDir('ca');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=Corp Proxy CA', '-days', '2', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem')], { stdio: 'ignore' });
      const pem = await readFile(path.join(dir, 'c.pem'), 'utf8');
      const marker = pem.split('\n')[1];
      const r = await runInSandbox({
        analysisId,
        network: { mode: 'container', containerId: netHolder },
        caCertPem: pem,
        cmd: `hostname; grep -c -F '${marker}' /etc/ssl/certs/ca-certificates.crt; echo "$NODE_EXTRA_CA_CERTS $SSL_CERT_FILE $REQUESTS_CA_BUNDLE $PIP_CERT"`,
        limits: { graceMs: 200 },
      });
      const [hostname, count, env] = r.stdoutTail.trim().split('\n');
      expect(hostname).toBe('dev-laptop-beef');
      expect(r.sandbox.hostname).toBe('dev-laptop-beef');
      expect(r.sandbox.network).toBe('sinkhole');
      expect(count).toBe('1');
      expect(env).toMatch(/\.crt \/etc\/ssl\/certs\/ca-certificates\.crt \/etc\/ssl\/certs\/ca-certificates\.crt \/etc\/ssl\/certs\/ca-certificates\.crt/);
    } finally {
      await runtime.remove(netHolder);
    }
  });
});

describe('sandbox isolation: limits end hostile workloads with a result', () => {
  it('fork bomb: held at the pids limit, then recorded and killed', async () => {
    const t0 = Date.now();
    // bash retries a failed fork, so the bomb persists at the pids limit until it is killed.
    const r = await runInSandbox({
      analysisId: newId(),
      cmd: ['bash', '-c', 'f() { f | f & }; f'],
      limits: { pids: 64, graceMs: 500, phaseTimeoutMs: 6_000 },
    });
    expect(Date.now() - t0).toBeLessThan(60_000);
    // Either the deadline ends it, or the shell returns and the grace period ends the rest:
    // both are a result with the processes recorded and killed.
    expect(['error_timeout', 'completed', 'error_other']).toContain(r.status);
    expect(r.leftoverProcesses.length, JSON.stringify({ ...r, stderrTail: '' })).toBeGreaterThan(10);
    expect(r.reason).toMatch(/process limit reached \(\d+ fork\(s\) refused\)/);
    expect(r.reason).toMatch(/recorded and killed/);
  });

  it('4 GiB allocation: killed at the memory limit, recorded', async () => {
    const t0 = Date.now();
    const r = await runInSandbox({
      analysisId: newId(),
      cmd: ['python3', '-c', "b = bytearray(b'x') * (4 << 30); print(len(b))"],
      limits: { memoryMb: 256, graceMs: 500, phaseTimeoutMs: 30_000 },
    });
    expect(Date.now() - t0).toBeLessThan(90_000);
    expect(r.status).not.toBe('completed');
    expect(`${r.reason} ${r.stderrTail}`).toMatch(/memory limit reached|MemoryError|SIGKILL/);
  });

  it('endless loop: error_timeout at the wall-clock limit', async () => {
    const t0 = Date.now();
    const r = await runInSandbox({ analysisId: newId(), cmd: 'while :; do :; done', limits: { graceMs: 500, phaseTimeoutMs: 3_000 } });
    expect(r.status).toBe('error_timeout');
    expect(r.reason).toMatch(/wall-clock/);
    expect(r.durationMs).toBeGreaterThanOrEqual(3_000);
    // Ends soon after the deadline, not at the test's timeout (container start and removal take
    // tens of seconds on a loaded shared host).
    expect(Date.now() - t0).toBeLessThan(90_000);
  });

  it('endless writer: stops at the size limit of RAM-backed mounts, never reaching the host disk', async () => {
    const r = await runInSandbox({
      analysisId: newId(),
      cmd: 'stat -f -c %T "$HOME" /tmp /var/tmp | tr "\\n" " "; echo; cat /dev/zero > "$HOME/fill"; echo home=$?; cat /dev/zero > /tmp/fill; echo tmp=$?; cat /dev/zero > /var/tmp/fill; echo vartmp=$?',
      limits: { diskMb: 64, graceMs: 500, phaseTimeoutMs: 30_000 },
    });
    expect(r.status).toBe('completed');
    // Every place the user can write is a size-limited tmpfs (the image's own paths are not
    // writable: see the privileges test), so the writer ends with ENOSPC.
    expect(r.stdoutTail).toMatch(/^tmpfs tmpfs tmpfs\s*$/m);
    expect(r.stdoutTail).toMatch(/home=1\s+tmp=1\s+vartmp=1/);
    expect(r.stderrTail).toMatch(/No space left on device/);
    const fill = r.fileChanges.find((c) => c.path === `${r.sandbox.home}/fill`);
    expect(fill?.kind).toBe('added');
    expect(fill?.size ?? 0).toBeGreaterThan(32 << 20);
    expect(fill?.size ?? 0).toBeLessThanOrEqual(64 << 20);
  });
});

describe('sandbox lifecycle', () => {
  it('a cancelled analysis kills and removes its container within seconds', async () => {
    const staged = await stageNpm({ name: 'slow-install', scripts: { postinstall: 'sleep 120' }, files: { 'index.js': '' } });
    const controller = new AbortController();
    const analysisId = newId();
    const run = runSandbox({ analysisId, staged, signal: controller.signal, limits: { phaseTimeoutMs: 100_000 } });
    await new Promise((r) => setTimeout(r, 4_000));
    const t0 = Date.now();
    controller.abort();
    const err = await run.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(VetboxError);
    expect((err as VetboxError).code).toBe('CANCELLED');
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('the reaper removes what a dead worker left and nothing of a live worker', async () => {
    const analysisId = newId();
    const spec = (worker: string) => ({
      image, labels: { [LABEL_ANALYSIS]: analysisId, [LABEL_WORKER]: worker }, cmd: ['sleep', 'infinity'],
      networkMode: 'none' as const, capAdd: [], memoryBytes: 64 << 20, nanoCpus: 5e8, pidsLimit: 32, tmpfs: {}, shmSizeBytes: 1 << 20, runtime: runtime.runtimeName,
    });
    const orphan = await runtime.create(spec(`${os.hostname()}:999999999:dead`));
    const live = await runtime.create(spec(workerId()));
    try {
      const reaped = await reapOrphans({ runtime });
      expect(reaped.map((r) => r.id)).toContain(orphan);
      expect(reaped.map((r) => r.id)).not.toContain(live);
      const left = (await runtime.listByLabel(LABEL_ANALYSIS, analysisId)).map((r) => r.id);
      expect(left).toEqual([live]);
    } finally {
      await runtime.remove(orphan);
      await runtime.remove(live);
    }
  });
});
