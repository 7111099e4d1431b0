import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FileChange, PhaseName, StagedPackage } from '@vetbox/contracts';
import type { SandboxIdentity } from '../identity.js';
import { SANDBOX_UID, type Sandbox } from '../sandbox.js';

/** One thing the next login or boot would run; image/bin/next-login.cjs turns it into commands. */
export interface PlantedItem {
  kind: 'login-shell' | 'autostart' | 'systemd' | 'crontab' | 'python' | 'git-hook' | 'npm-script';
  /** What a report says ran it: `login shell: ~/.bashrc (changed during install)`. */
  label: string;
  path?: string;
  content?: string;
  repo?: string;
  script?: string;
  name?: string;
  email?: string;
}

const LOGIN_FILES = /^~\/\.(bashrc|bash_profile|bash_login|bash_logout|profile)$/;
const AUTOSTART = /^~\/\.config\/autostart\/[^/]+\.desktop$/;
const SYSTEMD = /^~\/\.(config|local\/share)\/systemd\/user\/[^/]+\.(service|timer)$/;
const PYTHON_HOOK = /\/(site|dist)-packages\/([^/]+\.pth|sitecustomize\.py|usercustomize\.py)$/;
const GIT_HOOK = /^(.*)\/\.git\/hooks\/[^/.]+$/;
const GIT_CONFIG = /^(~\/\.gitconfig|~\/\.config\/git\/config|(.*)\/\.git\/config)$/;

/**
 * What the package planted for the next login: files that changed (added or modified, in any
 * phase so far) at the places a login, a session, cron, a user manager, a fresh interpreter, a
 * commit or the project's scripts read, plus the user's crontab. Each item says which phase
 * planted it. Nothing planted, nothing to run.
 */
export async function plantedItems(
  sandbox: Sandbox,
  changes: readonly FileChange[],
  staged: StagedPackage,
  identity: SandboxIdentity,
): Promise<PlantedItem[]> {
  const home = identity.home;
  const shown = (p: string) => (p === home ? '~' : p.startsWith(`${home}/`) ? `~${p.slice(home.length)}` : p);
  // A path counts if it still exists; the phase that first planted it is the one a reader wants.
  const first = new Map<string, FileChange>();
  const latest = new Map<string, FileChange>();
  for (const c of changes) {
    if (!first.has(c.path) || first.get(c.path)!.kind === 'deleted') first.set(c.path, c);
    latest.set(c.path, c);
  }
  const live = [...first.values()].filter((c) => latest.get(c.path)!.kind !== 'deleted');
  const by = (c: FileChange) => `${c.kind === 'added' ? 'added' : 'changed'} during ${c.phase}`;
  const items: PlantedItem[] = [];

  const login = live.filter((c) => LOGIN_FILES.test(shown(c.path)));
  if (login.length > 0) items.push({ kind: 'login-shell', label: `login shell: ${login.map((c) => `${shown(c.path)} (${by(c)})`).join(', ')}` });

  for (const c of live.filter((x) => AUTOSTART.test(shown(x.path)))) items.push({ kind: 'autostart', path: c.path, label: `XDG autostart entry ${shown(c.path)} (${by(c)})` });

  // A timer and its service are one thing to run; a unit of either kind names the service.
  const units = live.filter((x) => SYSTEMD.test(shown(x.path)));
  const timers = new Set(units.filter((u) => u.path.endsWith('.timer')).map((u) => u.path.replace(/\.timer$/, '.service')));
  for (const c of units) {
    if (c.path.endsWith('.service') && timers.has(c.path)) continue;
    const kind = c.path.endsWith('.timer') ? 'systemd user timer' : 'systemd user service';
    items.push({ kind: 'systemd', path: c.path, label: `${kind} ${shown(c.path)} (${by(c)})` });
  }

  // The spool is on the image's filesystem: a crontab the package installed is in `docker diff`.
  const change = live.find((c) => c.path.startsWith('/var/spool/cron/'));
  const crontab = change ? await sandbox.exec(['cat', `/var/spool/cron/crontabs/${identity.user}`]) : undefined;
  if (crontab && crontab.exitCode === 0 && crontab.stdout.length > 0) {
    items.push({ kind: 'crontab', content: crontab.stdout.toString('utf8').slice(0, 64 * 1024), label: `crontab entry (${change ? by(change) : 'installed by the package'})` });
  }

  const hooks = live.filter((c) => PYTHON_HOOK.test(c.path));
  if (hooks.length > 0) items.push({ kind: 'python', label: `a fresh Python interpreter: ${hooks.slice(0, 3).map((c) => `${shown(c.path)} (${by(c)})`).join(', ')}` });

  const repos = new Map<string, FileChange>();
  for (const c of live) {
    const hook = GIT_HOOK.exec(c.path);
    const config = GIT_CONFIG.exec(shown(c.path));
    if (hook) repos.set(hook[1]!, c);
    else if (config) repos.set(config[2] ? c.path.replace(/\/\.git\/config$/, '') : identity.workdir, c);
  }
  for (const [repo, c] of repos) {
    // A hooks path set globally applies to every repository: the project becomes one if it is not.
    // The user's own `git init`, run untraced before the phase (root cannot write in the user's
    // directories: the sandbox keeps no CAP_DAC_OVERRIDE); only the commit and its hooks are traced.
    const init = '[ -e "$1/.git" ] || git -c init.defaultBranch=main init -q "$1"';
    // A failure shows as the commit's outcome in `behavior.calls`.
    await sandbox.exec(['sh', '-c', init, 'init', repo], { user: `${SANDBOX_UID}:${SANDBOX_UID}` });
    items.push({ kind: 'git-hook', repo, name: identity.fullName, email: identity.email, label: `a git commit in ${shown(repo)}: ${shown(c.path)} (${by(c)})` });
  }

  if (staged.ecosystem === 'npm') {
    const pj = live.find((c) => c.path === `${identity.workdir}/package.json`);
    if (pj) for (const script of await changedScripts(sandbox, staged, pj.path)) items.push({ kind: 'npm-script', script, label: `npm run ${script} (project script ${by(pj)})` });
  }
  return items;
}

/** Project scripts the package added or changed, against the staged project's package.json. */
async function changedScripts(sandbox: Sandbox, staged: StagedPackage, file: string): Promise<string[]> {
  const scripts = (text: string): Record<string, unknown> => {
    try {
      const s = (JSON.parse(text) as { scripts?: unknown }).scripts;
      return s && typeof s === 'object' ? (s as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
  const before = scripts(await readFile(path.join(staged.dir, 'package.json'), 'utf8').catch(() => '{}'));
  const now = await sandbox.exec(['head', '-c', String(256 * 1024), file]);
  const after = scripts(now.stdout.toString('utf8'));
  return Object.keys(after)
    .filter((k) => typeof after[k] === 'string' && after[k] !== before[k])
    .slice(0, 10);
}

