import type { PhaseName } from '@vetbox/contracts';
import { appendTo, type Draft, type Evidence, type RuleContext } from '../context.js';

/**
 * trace-flood: the package made so many calls that the tracer only counted them past its budget
 * (a flood: a way to bury what follows, or to make the analysis fail), or a phase's trace is
 * incomplete (events lost, trace truncated). Either way the report cannot show everything the
 * package did; what the sinkhole saw still counts in the other rules.
 */
export function traceFlood(ctx: RuleContext): Draft[] {
  const byPhase = new Map<PhaseName, Evidence[]>();
  // Phases where something beyond the package manager's own calls went unrecorded.
  const serious = new Set<PhaseName>();
  for (const f of ctx.behavior.floods ?? []) {
    const proc = ctx.behavior.processes.findIndex((p) => p.pid === f.pid && p.phase === f.phase);
    const summary = `${ctx.describeProcess(f.pid)} made ${f.recorded + f.suppressed} ${f.syscall} calls: ${f.suppressed} past the tracer's budget were counted, not recorded`;
    const ev: Evidence = proc >= 0 ? ctx.processEvidence(proc, summary) : { kind: 'process', summary, key: 'process:?' };
    appendTo(byPhase, f.phase, { ...ev, key: `${ev.key}:flood:${f.syscall}` });
    if (ctx.isPackagePid(f.pid)) serious.add(f.phase);
  }
  for (const p of ctx.input.phases) {
    const notes = (p.reason ?? '').split('; ').filter((n) => n.startsWith('trace incomplete'));
    for (const note of notes) {
      appendTo(byPhase, p.name, { kind: 'process', summary: `${p.name}: ${note}`, key: `incomplete:${p.name}:${note.replace(/\d+/g, 'n')}` });
      // The budget's count of the floods above; events lost or a truncated trace are gaps of their own.
      if (!FLOOD_COUNTED.test(note)) serious.add(p.name);
    }
  }
  return [...byPhase].map(([phase, evidence]) =>
    serious.has(phase)
      ? { rule: 'trace-flood', severity: 'medium', phase, evidence }
      : {
          rule: 'trace-flood',
          severity: 'low',
          phase,
          evidence,
          detail: "Only the package manager's own calls went past the tracer's budget (its file churn over a large dependency tree); every call of the package's code was recorded: rated low.",
        },
  );
}

const FLOOD_COUNTED = /call\(s\) of a flood counted, not recorded$/;
