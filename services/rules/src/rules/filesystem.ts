import type { PhaseName, Severity } from '@vetbox/contracts';
import { appendTo, shortArgv, programName, type Draft, type Evidence, type RuleContext } from '../context.js';
import { classify, PERSISTENCE_LOCATIONS, SHELL_HISTORY, SYSTEM_AREAS } from '../paths.js';

const WRITE_OPS = new Set(['write', 'create', 'rename', 'delete']);
const TOOL_CONFIG = /^~\/(\.gitconfig|\.config\/git\/config|\.npmrc|\.yarnrc(\.yml)?|\.pypirc|\.config\/pip\/pip\.conf|\.pip\/pip\.conf|\.ssh\/config)$/;

/** write-outside-package: package code writing beyond its directory, caches and temp. */
export function writeOutsidePackage(ctx: RuleContext): Draft[] {
  const byPhase = new Map<PhaseName, { severity: Severity; evidence: Evidence[]; paths: Set<string> }>();
  ctx.behavior.files.forEach((f, index) => {
    if (!WRITE_OPS.has(f.op) || f.result !== 'ok' || !ctx.isPackagePid(f.pid)) return;
    const path = f.op === 'rename' && f.target ? f.target : f.path;
    if (ctx.inScratchArea(path, f.pid)) return;
    const shown = ctx.displayPath(path, f.pid);
    // Reported by their own rules, with more meaning.
    if (classify(shown, PERSISTENCE_LOCATIONS) || SHELL_HISTORY.test(shown) || /^\/proc\//.test(shown)) return;
    const group = byPhase.get(f.phase) ?? { severity: 'low' as Severity, evidence: [], paths: new Set<string>() };
    // The system, a directory on PATH, or config of tools that run later (registry redirects,
    // git hooks paths, ssh ProxyCommand): medium. The project or own home: low.
    if (SYSTEM_AREAS.test(shown) || /^~\/\.local\/bin\//.test(shown) || TOOL_CONFIG.test(shown)) group.severity = 'medium';
    if (!group.paths.has(shown)) {
      group.paths.add(shown);
      group.evidence.push(ctx.fileEvidence(index, `${ctx.describeProcess(f.pid)} ${f.op === 'delete' ? 'deleted' : 'wrote'} ${shown}`));
    }
    byPhase.set(f.phase, group);
  });
  return [...byPhase].map(([phase, g]) => ({
    rule: 'write-outside-package',
    severity: g.severity,
    phase,
    evidence: g.evidence,
    detail: `${g.evidence.length} path(s) written.`,
  }));
}

const LOGS_OR_TRACE = /^\/var\/log\/|(^|\/)[^/]*\.strace$|(^|\/)strace[^/]*$|vetbox[^/]*trace/;
const HISTORY_WIPE = /\bhistory\s+-c\b|\bunset\s+HISTFILE\b|HISTFILE=\/dev\/null|HISTSIZE=0\b/;

/** Script files package processes ran: the install script deleting itself is a tell. */
function scriptsRun(ctx: RuleContext): Set<string> {
  const out = new Set<string>();
  for (const { entry } of ctx.packageProcesses()) {
    const args = entry.argv.slice(1);
    const script = args.find((a) => !a.startsWith('-'));
    if (script && /^(node|nodejs|python[\d.]*|sh|bash|perl|ruby)$/.test(programName(entry)) && !args.includes('-c') && !args.includes('-e')) {
      out.add(ctx.absolute(script, entry.pid));
    }
  }
  return out;
}

/** anti-forensics: deleting or replacing evidence of what ran. */
export function antiForensics(ctx: RuleContext): Draft[] {
  const byPhase = new Map<PhaseName, Evidence[]>();
  const add = (phase: PhaseName, ev: Evidence) => appendTo(byPhase, phase, ev);
  const ran = scriptsRun(ctx);

  ctx.behavior.files.forEach((f, index) => {
    if (!ctx.isPackagePid(f.pid)) return;
    const abs = ctx.absolute(f.path, f.pid);
    const shown = ctx.displayPath(abs);
    const who = ctx.describeProcess(f.pid);
    const manifest = ctx.inPackageArea(abs) && /\/(package\.json|setup\.py|pyproject\.toml)$/.test(abs);
    if (f.op === 'delete' && ran.has(abs)) {
      add(f.phase, ctx.fileEvidence(index, `${who} deleted the script it ran: ${shown}`));
    } else if (f.op === 'delete' && manifest) {
      add(f.phase, ctx.fileEvidence(index, `${who} deleted its own manifest ${shown}`));
    } else if (f.op === 'rename' && f.target && ctx.inPackageArea(f.target, f.pid) && /\/package\.json$/.test(f.target)) {
      add(f.phase, ctx.fileEvidence(index, `${who} replaced its own package.json with ${shown} (hides the install script)`));
    } else if ((f.op === 'delete' || f.op === 'write') && SHELL_HISTORY.test(shown)) {
      add(f.phase, ctx.fileEvidence(index, `${who} ${f.op === 'delete' ? 'deleted' : 'overwrote'} shell history ${shown}`));
    } else if ((f.op === 'delete' || f.op === 'write') && LOGS_OR_TRACE.test(abs)) {
      add(f.phase, ctx.fileEvidence(index, `${who} ${f.op === 'delete' ? 'deleted' : 'overwrote'} log or trace ${shown}`));
    }
  });

  for (const { entry, index } of ctx.packageProcesses()) {
    if (HISTORY_WIPE.test(entry.argv.join(' '))) add(entry.phase, ctx.processEvidence(index, `disabled or cleared shell history: ${shortArgv(entry.argv, 200)}`));
  }
  return [...byPhase].map(([phase, evidence]) => ({ rule: 'anti-forensics', severity: 'high', phase, evidence }));
}
