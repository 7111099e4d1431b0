import { randomInt } from 'node:crypto';

/**
 * A randomized, plausible developer identity per analysis: malware has been seen checking for
 * fixed sandbox hostnames and user names, and for an empty home.
 */
export interface SandboxIdentity {
  hostname: string;
  user: string;
  fullName: string;
  home: string;
  /** Project directory the package is installed into (inside the home, as on a real machine). */
  workdir: string;
}

const FIRST = ['alex', 'sam', 'jordan', 'maria', 'chris', 'priya', 'lucas', 'emma', 'daniel', 'sofia', 'kevin', 'anna', 'ryan', 'mei', 'omar', 'julia', 'tom', 'nina'];
const LAST = ['chen', 'smith', 'kowalski', 'garcia', 'nguyen', 'mueller', 'patel', 'rossi', 'kim', 'johnson', 'silva', 'novak', 'tanaka', 'berg'];
const PROJECTS = ['webapp', 'api-server', 'dashboard', 'my-app', 'backend', 'frontend', 'cli-tool', 'data-pipeline', 'side-project', 'monorepo'];

const pick = <T>(list: readonly T[]): T => list[randomInt(list.length)];
const hex = (n: number): string => Array.from({ length: n }, () => randomInt(16).toString(16)).join('');
const capital = (s: string): string => s[0].toUpperCase() + s.slice(1);

export function plausibleUser(): { user: string; fullName: string } {
  const first = pick(FIRST);
  const last = pick(LAST);
  const styles = [first, `${first}${last[0]}`, `${first[0]}${last}`, `${first}.${last}`, `${first}-dev`];
  return { user: pick(styles), fullName: `${capital(first)} ${capital(last)}` };
}

/** Hostnames in the styles real laptops and desktops use (`dev-laptop-7f3a`, `ubuntu-desktop`, ...). */
export function plausibleHostname(user = plausibleUser().user): string {
  const base = user.replace(/[^a-z0-9-]/g, '');
  const styles = [
    () => `dev-laptop-${hex(4)}`,
    () => 'ubuntu-desktop',
    () => `${base}-thinkpad`,
    () => `${base}-laptop`,
    () => `workstation-${randomInt(2, 60)}`,
    () => `${base}-xps-${randomInt(13, 17)}`,
    () => `debian-${hex(4)}`,
  ];
  return pick(styles)();
}

export function randomIdentity(): SandboxIdentity {
  const { user, fullName } = plausibleUser();
  const home = `/home/${user}`;
  return { hostname: plausibleHostname(user), user, fullName, home, workdir: `${home}/projects/${pick(PROJECTS)}` };
}

export interface SkeletonFile {
  /** Relative to the home directory. */
  path: string;
  content: string | Buffer;
  mode?: number;
}

/**
 * Files that make the home look lived-in (on top of /etc/skel's .bashrc/.profile): git identity,
 * shell history, other projects, cache and config folders.
 */
export function homeSkeleton(id: SandboxIdentity): SkeletonFile[] {
  const email = `${id.user.replace(/[^a-z0-9.]/g, '')}@example.com`;
  const other = PROJECTS.filter((p) => !id.workdir.endsWith(`/${p}`)).slice(0, 2 + randomInt(2));
  const project = id.workdir.slice(id.home.length + 1);
  const files: SkeletonFile[] = [
    { path: '.gitconfig', content: `[user]\n\tname = ${id.fullName}\n\temail = ${email}\n[init]\n\tdefaultBranch = main\n[pull]\n\trebase = false\n` },
    {
      path: '.bash_history',
      content: [
        `cd ${project}`, 'git status', 'git pull', 'npm install', 'npm test', 'code .', 'ls -la', 'docker ps',
        'python3 -m venv .venv', 'source .venv/bin/activate', 'pip install -r requirements.txt', 'git log --oneline | head',
        `cd ~/projects/${other[0]}`, 'npm run dev', 'git checkout -b fix/login', 'git commit -am "wip"', 'git push',
      ].join('\n') + '\n',
      mode: 0o600,
    },
    { path: '.bashrc.d/aliases.sh', content: "alias ll='ls -alF'\nalias gs='git status'\nexport EDITOR=vim\n" },
    { path: '.config/Code/User/settings.json', content: '{\n  "editor.fontSize": 14,\n  "files.autoSave": "afterDelay"\n}\n' },
    { path: '.cache/.keep', content: '' },
    { path: '.local/share/.keep', content: '' },
    { path: '.local/bin/.keep', content: '' },
    { path: '.ssh/known_hosts', content: '192.0.2.15 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n', mode: 0o644 },
    { path: `${project}/README.md`, content: `# ${project.split('/').pop()}\n` },
  ];
  for (const name of other) {
    files.push({ path: `projects/${name}/README.md`, content: `# ${name}\n\nInternal tool. See docs/.\n` });
    files.push({ path: `projects/${name}/package.json`, content: JSON.stringify({ name, version: '0.3.1', private: true, scripts: { dev: 'node index.js', test: 'node --test' } }, null, 2) + '\n' });
    files.push({ path: `projects/${name}/index.js`, content: "console.log('hello');\n" });
  }
  return files;
}
