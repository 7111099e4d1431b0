import type { CallRecord, PhaseName } from '@vetbox/contracts';

/** The prefix of a harness record line (image/bin/execute-*.{cjs,py}, next-login.cjs), sent on the session's record socket. */
export const RECORD_MARK = '@@VBCALL@@';
const MAX_RECORDS = 2000;

interface RawRecord {
  event?: unknown;
  call?: unknown;
  name?: unknown;
  of?: unknown;
  pid?: unknown;
  t?: unknown;
  outcome?: unknown;
  error?: unknown;
  bin?: unknown;
  trigger?: unknown;
  /** The harness's key: declared by its first record (event "key"), carried by every one. */
  k?: unknown;
}

const str = (v: unknown, max = 300): string | undefined => (typeof v === 'string' ? v.slice(0, max) : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);

/**
 * Joins a harness's start/end records (sent on the session's record socket) into one CallRecord
 * per call. The package's code can reach that socket where it runs in the harness's process
 * (PyPI's execute), so every line is validated and capped, and only records with the key the
 * harness declared in its first line, before any package code ran, count. A start without an end
 * (the harness died) keeps `endMs: null`. `clockOffsetMs`: how far the harness's clock was ahead
 * of the real one.
 *
 *   @@VBCALL@@{"event":"key","k":"5f0c…"}
 *   @@VBCALL@@{"event":"start","call":3,"name":"loadConfig(\"vetbox\")","of":"t-pkg","pid":41,"t":1796381884966,"k":"5f0c…"}
 *   @@VBCALL@@{"event":"end","call":3,"name":"loadConfig(\"vetbox\")","of":"t-pkg","pid":41,"t":1796381884970,"outcome":"resolved","k":"5f0c…"}
 */
export function parseCallRecords(output: string, phase: PhaseName, clockOffsetMs = 0): CallRecord[] {
  const open = new Map<string, CallRecord>();
  const out: CallRecord[] = [];
  let harnessKey: string | undefined;
  for (const line of output.split('\n')) {
    if (!line.startsWith(RECORD_MARK) || out.length >= MAX_RECORDS) continue;
    let r: RawRecord;
    try {
      r = JSON.parse(line.slice(RECORD_MARK.length)) as RawRecord;
    } catch {
      continue;
    }
    if (harnessKey === undefined) {
      // Only the first line declares it; without one, nothing here is the harness's.
      if (r.event !== 'key' || typeof r.k !== 'string' || r.k.length < 16) return [];
      harnessKey = r.k;
      continue;
    }
    if (r.k !== harnessKey) continue;
    const name = str(r.name);
    const pid = int(r.pid);
    const t = typeof r.t === 'number' ? r.t - clockOffsetMs : undefined;
    if (!name || pid === undefined || t === undefined) continue;
    const key = `${pid}\u0000${int(r.call) ?? ''}\u0000${name}`;
    if (r.event === 'start') {
      const kind: CallRecord['kind'] = r.trigger === true ? 'trigger' : r.bin === true ? 'bin' : 'call';
      const rec: CallRecord = { phase, kind, name, pid, startMs: t, endMs: null, outcome: 'unfinished' };
      const of = str(r.of, 200);
      if (of) rec.of = of;
      open.set(key, rec);
      out.push(rec);
    } else if (r.event === 'end') {
      const rec = open.get(key);
      if (!rec) continue;
      open.delete(key);
      rec.endMs = t;
      rec.outcome = str(r.outcome, 40) ?? 'unknown';
      const error = str(r.error, 200);
      if (error) rec.error = error;
    }
  }
  return out;
}
