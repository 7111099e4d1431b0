import type { Behavior, Finding, PhaseName } from '@vetbox/contracts';

type Located = { pid?: number; phase: PhaseName };

/** The behavior entry an evidence row points at, for the kinds that carry a process. */
function entryOf(behavior: Behavior, kind: Finding['evidence'][number]['kind'], index: number): Located | undefined {
  switch (kind) {
    case 'process':
      return behavior.processes[index];
    case 'file':
      return behavior.files[index];
    case 'fileChange':
      return behavior.fileChanges[index] as Located | undefined;
    case 'dns':
      return behavior.network.dns[index];
    case 'connection':
      return behavior.network.connections[index];
    case 'http':
      return behavior.network.http[index];
    case 'tls':
      return behavior.network.tls[index];
    default:
      return undefined;
  }
}

/**
 * The declared dependency a finding's behavior all comes from (ProcessEntry.dependency), when
 * every evidence row that names a process names one of that dependency's. Findings with any
 * evidence of the package's own, or none tied to a process, stay the package's.
 */
export function findingDependency(finding: Finding, behavior: Behavior): string | undefined {
  const owners = new Map<string, string | undefined>();
  for (const p of behavior.processes) owners.set(`${p.phase}:${p.pid}`, p.dependency);
  let dependency: string | undefined;
  let seen = 0;
  for (const ev of finding.evidence) {
    if (ev.index === undefined) continue;
    const entry = entryOf(behavior, ev.kind, ev.index);
    if (entry?.pid === undefined) continue;
    const owner = owners.get(`${entry.phase}:${entry.pid}`);
    if (owner === undefined || (dependency !== undefined && owner !== dependency)) return undefined;
    dependency = owner;
    seen++;
  }
  return seen > 0 ? dependency : undefined;
}

/** Marks findings that only a dependency's code produced, and says so in the explanation. */
export function attributeToDependencies(findings: Finding[], behavior: Behavior, packageName: string): Finding[] {
  return findings.map((f) => {
    const dependency = findingDependency(f, behavior);
    if (dependency === undefined) return f;
    return { ...f, dependency, explanation: `${f.explanation} All of this was done by the code of ${dependency}, a dependency ${packageName} declares (installing ${packageName} runs it), not by ${packageName}'s own code.` };
  });
}
