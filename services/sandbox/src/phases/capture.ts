import type { CapturedContent, CaptureReason, FileChange, PhaseName } from '@vetbox/contracts';
import { ROOT_HELPERS } from '../commands.js';
import type { Sandbox } from '../sandbox.js';

/** Which changed files to capture, and why (the policy lives with the rules: see @vetbox/rules). */
export type CaptureSelector = (changes: readonly FileChange[]) => Array<{ path: string; reason: CaptureReason }>;

const MAX_PER_PHASE = 50;

/**
 * Captures what a phase wrote that the selector wants (image/bin/capture.py, as root: the first
 * 64 KiB and the sha256 of each). The capture is hostile input: it is validated here.
 */
export async function captureContents(sandbox: Sandbox, phase: PhaseName, changes: readonly FileChange[], select: CaptureSelector): Promise<CapturedContent[]> {
  const wanted = select(changes.filter((c) => c.kind !== 'deleted')).slice(0, MAX_PER_PHASE);
  if (wanted.length === 0) return [];
  const arg = Buffer.from(JSON.stringify(wanted)).toString('base64');
  const r = await sandbox.exec(['python3', `${ROOT_HELPERS}/capture.py`, arg], { maxOutputBytes: 16 * 1024 * 1024 });
  if (r.exitCode !== 0) return [];
  let list: unknown;
  try {
    list = JSON.parse(r.stdout.toString('utf8'));
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  const out: CapturedContent[] = [];
  for (const c of list as Array<Partial<CapturedContent>>) {
    if (typeof c.path !== 'string' || typeof c.content !== 'string' || typeof c.sha256 !== 'string' || typeof c.size !== 'number') continue;
    const reason = wanted.find((w) => w.path === c.path)?.reason;
    if (!reason) continue;
    out.push({
      phase,
      path: c.path,
      reason,
      size: c.size,
      sha256: c.sha256,
      format: c.format === 'elf' || c.format === 'pe' || c.format === 'macho' || c.format === 'script' ? c.format : 'data',
      encoding: c.encoding === 'base64' ? 'base64' : 'utf8',
      content: c.content.slice(0, 96 * 1024),
      truncated: Boolean(c.truncated),
    });
  }
  return out;
}
