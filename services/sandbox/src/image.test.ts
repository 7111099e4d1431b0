import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMAGE_DIR, IMAGE_INPUTS, sandboxImageTag } from './image.js';

describe('sandbox image tag', () => {
  it('lists the same inputs, in the same order, as build.sh', () => {
    const line = readFileSync(path.join(IMAGE_DIR, 'build.sh'), 'utf8').split('\n').find((l) => l.startsWith('INPUTS=('));
    expect(line?.slice('INPUTS=('.length, -1).split(' ')).toEqual([...IMAGE_INPUTS]);
  });

  it('is the hash build.sh computes', () => {
    const hex = execFileSync('bash', ['-c', `cd "${IMAGE_DIR}" && cat ${IMAGE_INPUTS.join(' ')} | sha256sum | cut -c1-8`]).toString().trim();
    expect(sandboxImageTag()).toBe(`vetbox-sandbox:${hex}`);
  });

  it('keeps the harnesses node reads from a here-string under the 64 KiB bash hands over as a pipe (commands.ts nodeStep)', () => {
    for (const file of ['bin/execute-npm.cjs', 'bin/next-login.cjs']) expect(statSync(path.join(IMAGE_DIR, file)).size, file).toBeLessThan(60 * 1024);
  });
});
