import type { PhaseName } from '@vetbox/contracts';
import { appendTo, shortArgv, programName, type Draft, type Evidence, type RuleContext } from '../context.js';
import { classify, PERSISTENCE_LOCATIONS } from '../paths.js';

const MODIFY_OPS = new Set(['write', 'create', 'rename', 'chmod']);

/** persistence: writing anything that makes code run again later. */
export function persistence(ctx: RuleContext): Draft[] {
  const byPhase = new Map<PhaseName, Evidence[]>();
  const add = (phase: PhaseName, ev: Evidence) => appendTo(byPhase, phase, ev);
  const cited = new Set<string>();

  ctx.behavior.files.forEach((f, index) => {
    if (!MODIFY_OPS.has(f.op) || !ctx.isPackagePid(f.pid)) return;
    const shown = ctx.displayPath(f.op === 'rename' && f.target ? f.target : f.path, f.pid);
    const place = classify(shown, PERSISTENCE_LOCATIONS);
    if (!place) return;
    cited.add(shown);
    // A refused attempt still shows the intent; the result is in the summary.
    const outcome = f.result === 'ok' ? '' : ` (failed: ${f.result})`;
    add(f.phase, ctx.fileEvidence(index, `${ctx.describeProcess(f.pid)} wrote ${shown}: ${place.label}${outcome}`));
  });

  // The end-of-phase file diff has no pid, but the package manager never edits these files.
  // Python start-up hooks are excluded there: pip itself installs .pth files from wheels.
  ctx.behavior.fileChanges.forEach((c, index) => {
    if (c.kind === 'deleted') return;
    const shown = ctx.displayPath(c.path);
    const place = classify(shown, PERSISTENCE_LOCATIONS);
    if (!place || cited.has(shown) || /-packages\//.test(shown)) return;
    cited.add(shown);
    add(c.phase, { kind: 'fileChange', index, summary: `${shown} was ${c.kind}: ${place.label}`, key: `fileChange:${ctx.stable(c.path)}` });
  });

  for (const { entry, index } of ctx.packageProcesses()) {
    const prog = programName(entry);
    const args = entry.argv.slice(1);
    const installsCrontab = prog === 'crontab' && !args.some((a) => /^-(l|r)$/.test(a));
    const enablesUnit = prog === 'systemctl' && args.some((a) => a === 'enable' || a === 'link');
    if (!installsCrontab && !enablesUnit) continue;
    add(entry.phase, ctx.processEvidence(index, `${installsCrontab ? 'installed a crontab' : 'enabled a systemd unit'}: ${shortArgv(entry.argv, 200)}`));
  }

  return [...byPhase].map(([phase, evidence]) => ({ rule: 'persistence', severity: 'high', phase, evidence }));
}
