import { VetboxError, type ClockInfo } from '@vetbox/contracts';
import { ROOT_HELPERS } from '../commands.js';
import type { Sandbox } from '../sandbox.js';
import { SANDBOX_UID } from '../sandbox.js';
import type { LaterPhaseSettings } from './settings.js';

const POLL_MS = 100;

/**
 * Where fastclock.c maps its state page from (root's; readable by all): where systemd-timesyncd
 * keeps its runtime state on a machine that syncs its clock.
 */
export const CLOCK_STATE_PATH = '/run/systemd/timesync/clock';
/** The fast clock (image/src/fastclock.c), named like a system library. */
export const FASTCLOCK_LIBRARY = '/usr/lib/x86_64-linux-gnu/libhrclock.so.1';

/**
 * A state page at real time, as `clock.cjs init` writes it (fastclock.c's `struct state`): for a
 * container that must follow the clock from its first process, copied in before it starts.
 * `wallOnly`: later changes move only the wall clock (the sinkhole keeps real timeouts).
 */
export function clockStatePage(uid: number, opts: { wallOnly?: boolean } = {}): Buffer {
  const b = Buffer.alloc(48);
  b.writeUInt32LE(0x6b636c66, 0); // magic "flck"; seq 0
  b.writeUInt32LE(uid, 8);
  b.writeUInt32LE(opts.wallOnly ? 1 : 0, 12);
  // anchor real = anchor fake = 0, rate 1: fake time equals real time until the first `set`.
  b.writeBigInt64LE(1000n, 32);
  return b;
}
/** Longer than fastclock.c's wait chunk (200 ms): every sleeper learns of the switch before it. */
const SWITCH_NOTICE_MS = 250;

/**
 * Sets the sandbox's fast clock (image/fastclock.c, preloaded into every process of the user):
 * from now on time runs `rate` times as fast; `aheadMs` moves the date further ahead.
 */
export async function setClock(sandbox: Sandbox, rate: number, aheadMs = 0, delayMs = 0): Promise<{ skewMs: number; aheadMs: number }> {
  const cmd = ['node', `${ROOT_HELPERS}/clock.cjs`, 'set', String(rate), String(Math.round(aheadMs)), String(delayMs)];
  // The sinkhole's wall clock keeps step (HTTP Date headers, certificates); a failure there is not the package's.
  const [r] = await Promise.all([sandbox.exec(cmd), sandbox.execInNetworkPeer(cmd).catch(() => undefined)]);
  if (r.exitCode !== 0) throw new VetboxError('SANDBOX_FAILED', `fast clock: ${r.stderr.toString('utf8').slice(-500)}`);
  const state = JSON.parse(r.stdout.toString('utf8')) as { skewMs: number; aheadMs: number };
  return { skewMs: Number(state.skewMs) || 0, aheadMs: Number(state.aheadMs) || 0 };
}

/** The workstation's own user processes (`systemd --user`, ...), listed by init: not the package's (nor their children). */
const STANDINS = '/root/.local/state/standins';

/** Processes of the sandbox user still running (whatever phase started them). */
export async function userProcessCount(sandbox: Sandbox): Promise<number> {
  // A stand-in or a stand-in's child ((sd-pam) under systemd --user) is not the package's.
  const script = `ps -u ${SANDBOX_UID} -o pid=,ppid= | awk 'NR == FNR { s[$1] = 1; next } !($1 in s) && !($2 in s)' ${STANDINS} - | wc -l`;
  const r = await sandbox.exec(['sh', '-c', script]);
  return Number(r.stdout.toString('utf8').trim()) || 0;
}

/**
 * The idle window: while anything the package started still runs, the clock runs fast
 * (`idleSpanS` of time in `idleWindowMs`), so timers, sleeps and intervals of up to that span
 * fire; it ends early once nothing is left. Then the clock runs at real speed again and the
 * date moves `dateAheadMs` ahead for the second install and import.
 */
export async function idleWindow(sandbox: Sandbox, settings: LaterPhaseSettings): Promise<{ clock: ClockInfo; wallOffsetMs: number }> {
  const rate = Math.max(1, Math.round((settings.idleSpanS * 1000) / Math.max(1, settings.idleWindowMs)));
  const clock: ClockInfo = { rate, dateAheadMs: settings.dateAheadMs };
  if ((await userProcessCount(sandbox)) > 0) {
    clock.windowStartMs = Date.now() + SWITCH_NOTICE_MS;
    await setClock(sandbox, rate, 0, SWITCH_NOTICE_MS);
    const end = clock.windowStartMs + settings.idleWindowMs;
    while (Date.now() < end && (await userProcessCount(sandbox)) > 0) await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const after = await setClock(sandbox, 1, settings.dateAheadMs);
  if (clock.windowStartMs !== undefined) clock.windowEndMs = Date.now();
  // From here on the package's wall clock is this far ahead of the real one (harness records too).
  return { clock, wallOffsetMs: after.skewMs + after.aheadMs };
}
