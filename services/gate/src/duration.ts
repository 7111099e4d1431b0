/** Durations as people write them in a policy: `0`, `90s`, `30m`, `12h`, `3d`, `2w`, or a mix (`1d12h`). */
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };
const DURATION_RE = /^(?:\d+[smhdw])+$/;

/** Seconds in a duration, or null when the text is not one. */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (t === '0') return 0;
  if (!DURATION_RE.test(t)) return null;
  let seconds = 0;
  for (const [, n, unit] of t.matchAll(/(\d+)([smhdw])/g)) seconds += Number(n) * UNIT_SECONDS[unit as string]!;
  return Number.isSafeInteger(seconds) ? seconds : null;
}

/** The shortest exact spelling (`3d`, `1d12h`, `0`): what the API and the UI show. */
export function formatDuration(seconds: number): string {
  if (seconds <= 0) return '0';
  let rest = Math.round(seconds);
  let out = '';
  for (const unit of ['w', 'd', 'h', 'm', 's']) {
    const size = UNIT_SECONDS[unit]!;
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}

/** "3 h", "2 d", "40 min": a rough age for messages. */
export function roughAge(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.round(hours / 24)} d`;
}
