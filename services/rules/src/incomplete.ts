import type { Finding, IncompletePhase, PhaseReport, SandboxInfo } from '@vetbox/contracts';

// The error line a failed phase's stderr ends with, e.g. (sample lines):
//   ModuleNotFoundError: No module named 'winreg'
//   Error: Cannot find module './lib/payload'
//   TypeError: expected str, bytes or os.PathLike object, not NoneType
const ERROR_LINE = /^\s*((?:[\w.]+(?:Error|Exception|Warning)|Error|npm ERR!|npm error|error):?\s.*)$/;

/** Escapes what a package printed before it goes into a one-line reason. */
function clean(text: string, max: number): string {
  const one = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

/** The most telling error line of a phase's output: the last exception, else the last npm/pip error. */
export function errorLine(p: PhaseReport): string | undefined {
  const lines = `${p.stdoutTail}\n${p.stderrTail}`.split('\n');
  const errors = lines.filter((l) => ERROR_LINE.test(l));
  const exception = [...errors].reverse().find((l) => /(Error|Exception):\s/.test(l) && !/^\s*(npm|error)/.test(l));
  const line = exception ?? errors.at(-1);
  return line ? clean(line, 200) : undefined;
}

/**
 * Phases that failed before the package's code could act (a non-zero exit, a timeout, a phase
 * that could not run) and phases whose trace lost events: behavior seen there is not the whole
 * story, and the report says which and why.
 */
export function incompletePhases(phases: readonly PhaseReport[], sandbox?: SandboxInfo): IncompletePhase[] {
  const out: IncompletePhase[] = [];
  const lost = sandbox?.tracer?.lostEvents ?? 0;
  const perPhase = phases.some((p) => traceNotes(p).length > 0);
  for (const p of phases) {
    if (p.status !== 'completed') {
      const why = p.reason ?? p.status.replace('error_', '');
      const line = errorLine(p);
      out.push({ phase: p.name, reason: clean(line ? `${why}: ${line}` : why, 300) });
    } else if (traceNotes(p).length > 0) {
      // The sandbox names the phase whose trace lost events, was truncated or summarized a flood.
      out.push({ phase: p.name, reason: clean(traceNotes(p).join('; '), 300) });
    } else if (lost > 0 && !perPhase) {
      out.push({ phase: p.name, reason: `the tracer lost ${lost} events` });
    }
  }
  return out;
}

/** `trace incomplete: ...` notes the sandbox put in a phase's reason. */
function traceNotes(p: PhaseReport): string[] {
  return (p.reason ?? '').split('; ').filter((n) => n.startsWith('trace incomplete'));
}

/** One clause for the verdict summary. */
export function incompleteClause(incomplete: readonly IncompletePhase[]): string {
  return `incomplete: ${incomplete.map((p) => `${p.phase} ${clean(p.reason, 120)}`).join('; ')}`;
}

/**
 * With a phase that failed, a static signal is never left at low: behavior could neither confirm
 * nor clear it, so it is raised to medium and the verdict cannot be benign. A bundled executable
 * nobody launches is a fact of the package, not a signal, and stays low.
 */
export function raiseUnconfirmed(findings: readonly Finding[], incomplete: readonly IncompletePhase[]): Finding[] {
  if (incomplete.length === 0) return [...findings];
  const phases = incomplete.map((p) => p.phase).join(' and ');
  return findings.map((f) => {
    if (!f.rule.startsWith('static-') || f.severity !== 'low' || f.rule === 'static-bundled-executable') return f;
    return { ...f, severity: 'medium', explanation: `${f.explanation} Raised from low: the ${phases} phase failed before the package's code could act, so behavior could neither confirm nor clear this.` };
  });
}
