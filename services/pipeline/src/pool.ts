import { rm } from 'node:fs/promises';
import path from 'node:path';
import { loadEnv, type Logger } from '@vetbox/config';
import { DockerRuntime, Sandbox, WarmPool, createWorkDir, ensureSandboxImage, randomIdentity, type PoolMember, type SandboxIdentity, type SandboxLimits, type SandboxRuntime, type TracerSetting } from '@vetbox/sandbox';
import { startSinkhole, type Sinkhole } from '@vetbox/sinkhole';
import { canariesFor, workstationOptions, type Canaries } from './workstation.js';

/**
 * A sandbox and its sinkhole prepared ahead with no package in them: a fresh random workstation,
 * its own canaries, CA and sinkhole, and a host directory for its traces. One analysis adopts it
 * (the workdir is staged then) and removes it; nothing of it is ever handed to a second one.
 */
export interface WarmPair extends PoolMember {
  identity: SandboxIdentity;
  canaries: Canaries;
  sinkhole: Sinkhole;
  sandbox: Sandbox;
  /** Host directory of its traces (the eBPF session): removed with the pair's evidence read. */
  dir: string;
}

export interface PairOptions {
  runtime?: SandboxRuntime;
  image?: string;
  workRoot?: string;
  limits?: Partial<SandboxLimits>;
  tracer?: TracerSetting;
  logger?: Logger;
  workerId?: string;
}

/** Prepares one pair labeled `label`; on failure removes what it made and rethrows. */
export async function makeWarmPair(label: string, opts: PairOptions = {}): Promise<WarmPair> {
  const env = loadEnv();
  const runtime = opts.runtime ?? new DockerRuntime({ socketPath: env.DOCKER_SOCKET, logger: opts.logger });
  const image = opts.image ?? (await ensureSandboxImage(runtime));
  const dir = await createWorkDir(opts.workRoot ?? path.join(env.DATA_DIR, 'work'), `${label}-`, label);
  const identity = randomIdentity();
  const canaries = canariesFor(identity);
  let sinkhole: Sinkhole | undefined;
  try {
    sinkhole = await startSinkhole({ analysisId: label, image, runtime, persona: identity, credentials: canaries.credentials, workerId: opts.workerId });
    const sandbox = await Sandbox.open({
      analysisId: label,
      blank: true,
      ...workstationOptions(identity, canaries, sinkhole),
      runtime,
      image,
      limits: opts.limits,
      tracer: opts.tracer,
      outDir: dir,
      workerId: opts.workerId,
      logger: opts.logger,
    });
    const held = sinkhole;
    return {
      label,
      identity,
      canaries,
      sinkhole: held,
      sandbox,
      dir,
      async discard() {
        await sandbox.close().catch(() => undefined);
        await held.stop().catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await sinkhole?.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** A worker's pool of warm pairs (SANDBOX_POOL_SIZE); inert until `start()`. */
export function createPairPool(opts: PairOptions & { size?: number } = {}): WarmPool<WarmPair> {
  return new WarmPool({ size: opts.size ?? loadEnv().SANDBOX_POOL_SIZE, make: (label) => makeWarmPair(label, opts), logger: opts.logger });
}
