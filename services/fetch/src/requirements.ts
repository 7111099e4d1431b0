import { satisfies as pep440Satisfies, valid as pep440Valid } from '@renovatebot/pep440';
import { normalizePypiName } from './metadata.js';

/** One PEP 508 requirement (`name[extra] >=1.0; python_version < "3.12"`), URL forms excluded. */
export interface Requirement {
  name: string;
  extras: string[];
  /** PEP 440 specifier set, '' for any version. */
  specifier: string;
  marker?: string;
}

/**
 * The environment markers of the sandbox's Python (Debian bookworm's CPython 3.11 on x86_64
 * Linux): requirements are evaluated as pip there would.
 */
export const SANDBOX_MARKERS: Readonly<Record<string, string>> = {
  python_version: '3.11',
  python_full_version: '3.11.2',
  implementation_version: '3.11.2',
  os_name: 'posix',
  sys_platform: 'linux',
  platform_system: 'Linux',
  platform_machine: 'x86_64',
  platform_release: '',
  platform_version: '',
  implementation_name: 'cpython',
  platform_python_implementation: 'CPython',
  extra: '',
};

const REQ_RE = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?\s*(\(?[^;@]*?\)?)\s*(?:;\s*(.*))?$/;

export function parseRequirement(line: string): Requirement | undefined {
  const text = line.replace(/\s+#.*$/, '').trim();
  if (!text || text.startsWith('#') || text.startsWith('-')) return undefined;
  if (/^[^;]*@\s*\S+:\/\//.test(text)) return undefined; // `name @ https://…`: pip fetches a URL, never staged
  const m = REQ_RE.exec(text);
  if (!m) return undefined;
  const specifier = m[3].replace(/^\(|\)$/g, '').replace(/\s+/g, '');
  if (specifier && !/^(~=|===?|!=|<=?|>=?)/.test(specifier)) return undefined;
  return {
    name: m[1],
    extras: (m[2] ?? '').split(',').map((e) => e.trim()).filter(Boolean),
    specifier,
    ...(m[4] ? { marker: m[4].trim() } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Markers (PEP 508): `expr := and ('or' and)*`, `and := atom ('and' atom)*`,
// `atom := '(' expr ')' | value op value`.

type Token = { kind: 'str' | 'var' | 'op' | 'lp' | 'rp' | 'and' | 'or'; text: string };

function tokenize(marker: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:("[^"]*"|'[^']*')|(\()|(\))|(===|==|!=|<=|>=|~=|<|>|not\s+in\b|in\b)|(and\b|or\b)|([A-Za-z_][A-Za-z0-9_.]*))/y;
  let i = 0;
  while (i < marker.length) {
    if (/^\s*$/.test(marker.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(marker);
    if (!m) throw new Error(`bad marker near ${JSON.stringify(marker.slice(i, i + 20))}`);
    i = re.lastIndex;
    if (m[1]) tokens.push({ kind: 'str', text: m[1].slice(1, -1) });
    else if (m[2]) tokens.push({ kind: 'lp', text: '(' });
    else if (m[3]) tokens.push({ kind: 'rp', text: ')' });
    else if (m[4]) tokens.push({ kind: 'op', text: m[4].replace(/\s+/, ' ') });
    else if (m[5]) tokens.push({ kind: m[5] as 'and' | 'or', text: m[5] });
    else tokens.push({ kind: 'var', text: m[6] });
  }
  return tokens;
}

const VERSION_VARS = new Set(['python_version', 'python_full_version', 'implementation_version', 'platform_release']);

function compare(op: string, left: string, right: string, versions: boolean): boolean {
  if (op === 'in') return right.includes(left);
  if (op === 'not in') return !right.includes(left);
  if (versions && pep440Valid(left) && pep440Valid(right) && op !== '===') {
    return pep440Satisfies(left, `${op}${right}`);
  }
  if (op === '==' || op === '===') return left === right;
  if (op === '!=') return left !== right;
  return false; // ordering of non-versions is undefined in PEP 508: treat as not matching
}

/**
 * Whether a marker holds in `env` (default: the sandbox's Python). Extras are compared
 * normalized. A marker that cannot be parsed holds (staging one extra dependency is harmless;
 * dropping a needed one would keep the payload from running).
 */
export function markerApplies(marker: string, env: Readonly<Record<string, string>> = SANDBOX_MARKERS): boolean {
  let tokens: Token[];
  try {
    tokens = tokenize(marker);
  } catch {
    return true;
  }
  let pos = 0;
  const value = (): { text: string; isVar: string | undefined } => {
    const t = tokens[pos++];
    if (!t || (t.kind !== 'str' && t.kind !== 'var')) throw new Error('value expected');
    if (t.kind === 'var') return { text: t.text === 'extra' ? normalizePypiName(env.extra ?? '') : (env[t.text] ?? ''), isVar: t.text };
    return { text: t.text, isVar: undefined };
  };
  const atom = (): boolean => {
    if (tokens[pos]?.kind === 'lp') {
      pos++;
      const v = expr();
      if (tokens[pos++]?.kind !== 'rp') throw new Error(') expected');
      return v;
    }
    const left = value();
    const op = tokens[pos++];
    if (op?.kind !== 'op') throw new Error('operator expected');
    const right = value();
    const isExtra = left.isVar === 'extra' || right.isVar === 'extra';
    const l = isExtra && !left.isVar ? normalizePypiName(left.text) : left.text;
    const r = isExtra && !right.isVar ? normalizePypiName(right.text) : right.text;
    const versions = VERSION_VARS.has(left.isVar ?? '') || VERSION_VARS.has(right.isVar ?? '');
    return compare(op.text, l, r, versions);
  };
  const and = (): boolean => {
    let v = atom();
    while (tokens[pos]?.kind === 'and') {
      pos++;
      v = atom() && v;
    }
    return v;
  };
  function expr(): boolean {
    let v = and();
    while (tokens[pos]?.kind === 'or') {
      pos++;
      v = and() || v;
    }
    return v;
  }
  try {
    const v = expr();
    return pos === tokens.length ? v : true;
  } catch {
    return true;
  }
}

/** The requirements that apply in the sandbox, for a distribution installed with `extras`. */
export function applicable(reqs: readonly Requirement[], extras: readonly string[] = []): Requirement[] {
  const wanted = ['', ...extras.map(normalizePypiName)];
  return reqs.filter((r) => !r.marker || wanted.some((extra) => markerApplies(r.marker!, { ...SANDBOX_MARKERS, extra })));
}

// ---------------------------------------------------------------------------------------------
// Where a distribution declares its requirements, read without running anything.

/** `Requires-Dist` headers of METADATA / PKG-INFO. */
export function requiresDist(headers: Map<string, string[]>): Requirement[] {
  return (headers.get('requires-dist') ?? []).map(parseRequirement).filter((r): r is Requirement => r !== undefined);
}

/** setuptools' `*.egg-info/requires.txt`: bare lines, then `[extra]` / `[:marker]` sections. */
export function eggInfoRequires(text: string): Requirement[] {
  const out: Requirement[] = [];
  let section: { marker?: string; extra?: string } = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const header = /^\[([^\]:]*)(?::(.*))?\]$/.exec(line);
    if (header) {
      section = { extra: header[1] || undefined, marker: header[2] || undefined };
      continue;
    }
    const req = parseRequirement(line);
    if (!req) continue;
    const parts = [req.marker, section.marker, section.extra ? `extra == "${section.extra}"` : undefined].filter(Boolean);
    out.push({ ...req, ...(parts.length ? { marker: parts.map((p) => `(${p})`).join(' and ') } : {}) });
  }
  return out;
}

/** `[project] dependencies = [...]` of pyproject.toml (already parsed). */
export function pyprojectRequires(doc: Record<string, unknown>): Requirement[] {
  const project = doc.project as { dependencies?: unknown } | undefined;
  const deps = Array.isArray(project?.dependencies) ? project.dependencies : [];
  return deps.filter((d): d is string => typeof d === 'string').map(parseRequirement).filter((r): r is Requirement => r !== undefined);
}

/** `install_requires` of setup.cfg ([options], one per line) or a literal list in setup.py. */
export function setuptoolsRequires(setupCfg?: string, setupPy?: string): Requirement[] {
  const lines: string[] = [];
  if (setupCfg) {
    const m = /^\s*install_requires\s*=\s*([^\n]*(?:\n[ \t]+[^\n]*)*)/m.exec(setupCfg);
    if (m) lines.push(...m[1].split(/[\n;]/).map((l) => l.trim()));
  }
  if (lines.length === 0 && setupPy) {
    // Best effort: a literal list of string literals (what most setup.py files have).
    const m = /install_requires\s*=\s*\[([^\]]*)\]/.exec(setupPy);
    if (m) for (const s of m[1].matchAll(/(["'])((?:(?!\1).)*)\1/g)) lines.push(s[2]);
  }
  return lines.map(parseRequirement).filter((r): r is Requirement => r !== undefined);
}
