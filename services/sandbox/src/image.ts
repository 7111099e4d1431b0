import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VetboxError } from '@vetbox/contracts';
import { loadEnv } from '@vetbox/config';
import type { SandboxRuntime } from './runtime.js';

/** services/sandbox/image, from src/ (tests) and dist/ (build) alike. */
export const IMAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'image');
export const IMAGE_REPO = 'vetbox-sandbox';

/** Same files, same order as INPUTS in image/build.sh: a change to any of them is a new tag. */
export const IMAGE_INPUTS = [
  'packages.txt',
  'packages-python.txt',
  'Dockerfile',
  'Dockerfile.local',
  'provision.sh',
  'build.sh',
  'bin/import-py.py',
  'bin/phase.cjs',
  'bin/snapshot.py',
  'src/init.c',
  'project/package.json',
  'project/package-lock.json',
  'npm-globals.txt',
  'src/fastclock.c',
  'bin/clock.cjs',
  'bin/execute-npm.cjs',
  'bin/execute-py.py',
  'bin/next-login.cjs',
  'bin/capture.py',
  'bin/remove-tree.py',
] as const;

/** `vetbox-sandbox:<8 hex>` where the hex is sha256 over the image inputs, as build.sh computes it. */
export function sandboxImageTag(dir = IMAGE_DIR): string {
  const hash = createHash('sha256');
  for (const file of IMAGE_INPUTS) hash.update(readFileSync(path.join(dir, file)));
  return `${IMAGE_REPO}:${hash.digest('hex').slice(0, 8)}`;
}

/** The image sandboxes run: SANDBOX_IMAGE when set, else the tag of the current image inputs. */
export function sandboxImage(): string {
  return loadEnv().SANDBOX_IMAGE || sandboxImageTag();
}

/** Runs image/build.sh (offline debootstrap build; returns at once when the tag exists). */
export function buildSandboxImage(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(IMAGE_DIR, 'build.sh')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out.trim().split('\n').pop() ?? '');
      else reject(new VetboxError('SANDBOX_IMAGE_MISSING', `sandbox image build failed (exit ${code}); see /var/log/vetbox/sandbox-image.log`));
    });
  });
}

/** Returns the image to use, building it first when `build` is set and it is missing. */
export async function ensureSandboxImage(runtime: SandboxRuntime, opts: { build?: boolean } = {}): Promise<string> {
  const image = sandboxImage();
  if (await runtime.imageExists(image)) return image;
  if (opts.build && !loadEnv().SANDBOX_IMAGE) {
    const built = await buildSandboxImage();
    if (built === image) return image;
  }
  throw new VetboxError('SANDBOX_IMAGE_MISSING', `sandbox image ${image} is missing: run \`npm run setup\` (or bash services/sandbox/image/build.sh)`);
}
