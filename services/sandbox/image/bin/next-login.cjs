'use strict';
// next-login phase: runs what the package planted, as the next login or boot would, as the
// sandbox user. The host lists what was planted (files that changed since the sandbox was
// prepared); this harness turns each into the command that would run it:
//   login-shell  an interactive login shell (profile and rc files)
//   autostart    the Exec= line of an XDG autostart entry
//   systemd      ExecStartPre/ExecStart/ExecStartPost of a user service (or of a timer's unit);
//                there is no systemd: the harness runs them as a user manager would at login
//   crontab      each entry's command (cron runs them with /bin/sh from the home)
//   python       a fresh interpreter (.pth files, sitecustomize, usercustomize)
//   git-hook     a commit in the repository whose hooks (or hooks path) changed
//   npm-script   a project script the package added or changed
// One record per command (`@@VBCALL@@{...}`, `trigger` naming what ran it) lets the host
// attribute each process tree. Each command is time-boxed; what it leaves running is followed.
//   argv: [<command-ms>, <total-ms>, <spec file: JSON {items:[{kind, label, path?, content?, repo?, script?}]}, deleted once read>]
// A plain `node` reading this file from a pipe, as the body of a function called with its
// arguments (commands.ts nodeHarness): what the planted commands run under shows `node` in ps,
// no harness path, no retitled argv. Records go to the phase driver on the socket the session
// gives it (RECORD_FD), never across the terminal the commands print to; node does not pass it
// to what it spawns.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const MARK = '@@VBCALL@@';
const RECORD_FD = 5;
const CMD_MS = Number(argv[0]) || 3000;
const HOME = process.env.HOME || '/';
/** Keep in sync with LOGIN_SHELL_ARGV in services/rules (the rules know this shell is ours). */
const LOGIN_SHELL = ['/bin/bash', '+o', 'history', '-l', '-i', '-c', 'true'];
const writeSync = fs.writeSync;
// Every record carries the key declared first (event "key"), before anything planted runs: the
// host keeps only records with it (services/sandbox phases/records.ts).
const KEY = require('node:crypto').randomBytes(16).toString('hex');
function record(r) {
  const b = Buffer.from(`${MARK}${JSON.stringify({ ...r, k: KEY })}\n`);
  for (let at = 0; at < b.length;) {
    try {
      at += writeSync(RECORD_FD, b, at);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
    }
  }
}
const read = (p) => {
  try {
    return fs.readFileSync(p, 'utf8').slice(0, 256 * 1024);
  } catch {
    return '';
  }
};

/** `Exec=foo %u --bar` → `foo --bar` (desktop-entry field codes dropped). */
function desktopExec(text) {
  const m = /^\s*Exec\s*=\s*(.+)$/m.exec(text);
  return m ? m[1].replace(/\s%[fFuUdDnNickvm]/g, '').trim() : null;
}

/** ExecStart lines of a unit; a timer runs its Unit= (default: the service of the same name). */
function unitCommands(file) {
  let text = read(file);
  if (file.endsWith('.timer')) {
    const unit = /^\s*Unit\s*=\s*(\S+)/m.exec(text)?.[1] ?? path.basename(file).replace(/\.timer$/, '.service');
    text = read(path.join(path.dirname(file), unit));
  }
  const cmds = [];
  for (const key of ['ExecStartPre', 'ExecStart', 'ExecStartPost']) {
    for (const m of text.matchAll(new RegExp(`^\\s*${key}\\s*=\\s*(.+)$`, 'gm'))) {
      // Prefixes: - (ignore failure), @ (argv0), + ! !! (privileges): the command itself follows.
      const cmd = m[1].trim().replace(/^[-@+!:]+/, '');
      if (cmd) cmds.push(cmd);
    }
  }
  return cmds;
}

/** Commands of crontab lines: five time fields or an @keyword, then the command. */
function cronCommands(text) {
  const env = {};
  const cmds = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const assign = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (assign) {
      env[assign[1]] = assign[2].replace(/^(['"])(.*)\1$/, '$2');
      continue;
    }
    const m = /^(@\w+|(?:\S+\s+){4}\S+)\s+(.+)$/.exec(line);
    // A `%` ends the command; what follows is its standard input.
    if (m) cmds.push(m[2].split(/(?<!\\)%/)[0]);
  }
  return { env, cmds };
}

/** What each planted item runs: [{label, argv, cwd, env}]. */
function commands(item) {
  const sh = (cmd) => ['/bin/sh', '-c', cmd];
  switch (item.kind) {
    case 'login-shell':
      // Interactive, so rc files past their "not interactive: return" guard run; without history,
      // so reading ~/.bash_history is never the harness's doing.
      return [{ argv: LOGIN_SHELL, cwd: HOME }];
    case 'autostart': {
      const exec = desktopExec(read(item.path));
      return exec ? [{ argv: sh(exec), cwd: HOME }] : [];
    }
    case 'systemd':
      return unitCommands(item.path).map((c) => ({ argv: sh(c), cwd: HOME }));
    case 'crontab': {
      const { env, cmds } = cronCommands(item.content || '');
      return cmds.map((c) => ({ argv: env.SHELL ? [env.SHELL, '-c', c] : sh(c), cwd: HOME, env }));
    }
    case 'python':
      return [{ argv: ['python3', '-c', 'pass'], cwd: HOME }];
    case 'git-hook': {
      // A developer's git knows who they are; when the home's config does not say, the persona does.
      const known = spawnSync('git', ['-C', item.repo, 'config', 'user.email'], { encoding: 'utf8' }).stdout.trim();
      const who = known || !item.email ? {} : { GIT_AUTHOR_NAME: item.name, GIT_AUTHOR_EMAIL: item.email, GIT_COMMITTER_NAME: item.name, GIT_COMMITTER_EMAIL: item.email };
      return [{ argv: ['git', '-C', item.repo, 'commit', '--allow-empty', '-q', '-m', 'wip'], cwd: item.repo, env: who }];
    }
    case 'npm-script':
      return [{ argv: ['npm', 'run', '--silent', item.script], cwd: process.cwd() }];
    default:
      return [];
  }
}

function run(cmd, label, deadline) {
  return new Promise((resolve) => {
    const child = spawn(cmd.argv[0], cmd.argv.slice(1), { cwd: cmd.cwd, env: { ...process.env, ...cmd.env }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', () => resolve());
    if (!child.pid) return;
    record({ event: 'start', name: label, trigger: true, pid: child.pid, t: Date.now() });
    const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(0, Math.min(CMD_MS, deadline - Date.now())));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      record({ event: 'end', name: label, trigger: true, pid: child.pid, t: Date.now(), outcome: signal === 'SIGKILL' ? 'timeout' : `exit ${code}` });
      resolve();
    });
  });
}

async function main() {
  record({ event: 'key' });
  // The spec file is the host's, handed over for this run: read, then gone before anything runs.
  const specPath = argv[2] || '';
  let spec = { items: [] };
  try { spec = JSON.parse(fs.readFileSync(specPath, 'utf8')); } catch {}
  try { fs.rmSync(specPath, { force: true }); } catch {}
  const deadline = Date.now() + (Number(argv[1]) || 20000);
  for (const item of spec.items || []) {
    for (const cmd of commands(item)) {
      if (Date.now() >= deadline) return;
      await run(cmd, item.label, deadline);
    }
  }
}

main().then(() => process.exit(0));
