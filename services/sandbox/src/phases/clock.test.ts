import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IMAGE_DIR } from '../image.js';
import { clockStatePage } from './clock.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vetbox-clock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** image/bin/clock.cjs against a state page, as the sandbox runs it between phases. */
function clock(file: string, ...args: string[]): { rate: number; skewMs: number; aheadMs: number; startsInMs: number } {
  const out = execFileSync(process.execPath, [path.join(IMAGE_DIR, 'bin', 'clock.cjs'), 'set', ...args], { env: { ...process.env, FASTCLOCK_STATE: file } });
  return JSON.parse(out.toString());
}

describe('fast clock state page', () => {
  it('starts at real time, and clock.cjs reads and changes the same layout (uid and flags kept)', () => {
    const file = path.join(dir, 'state');
    writeFileSync(file, clockStatePage(1000, { wallOnly: true }));
    expect(clock(file, '1')).toMatchObject({ rate: 1, aheadMs: 0 });
    expect(Math.abs(clock(file, '1').skewMs)).toBeLessThan(1);
    const fast = clock(file, '3600', '0', '250');
    expect(fast.rate).toBe(3600);
    expect(fast.startsInMs).toBeGreaterThan(200);
    const back = clock(file, '1', String(365 * 86_400_000));
    expect(back.aheadMs).toBe(365 * 86_400_000);
    const page = readFileSync(file);
    expect([page.readUInt32LE(0), page.readUInt32LE(8), page.readUInt32LE(12)]).toEqual([0x6b636c66, 1000, 1]);
    expect(page.readUInt32LE(4) % 2).toBe(0); // seqlock even: no write in progress
  });
});
