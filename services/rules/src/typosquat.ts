import { readFileSync } from 'node:fs';
import { distance } from 'fastest-levenshtein';
import { VetboxError, type Ecosystem, type PackageRef, type Severity } from '@vetbox/contracts';
import type { Draft } from './context.js';

export type TyposquatTechnique =
  | 'separators'
  | 'scope'
  | 'affix'
  | 'transposition'
  | 'doubled-letter'
  | 'missing-letter'
  | 'extra-letter'
  | 'substitution'
  | 'edit-distance';

export interface TyposquatMatch {
  /** The popular package the name imitates. */
  target: string;
  /** Its download rank in the ecosystem's top list (1 = most downloaded). */
  rank: number;
  technique: TyposquatTechnique;
  /** Levenshtein distance between the normalized names. */
  distance: number;
  severity: Severity;
  description: string;
}

export interface PopularIndex {
  rank: Map<string, number>;
  byLength: Map<number, string[]>;
  /** Name without separators, scope marks and case → the most popular name with that key. */
  bySkeleton: Map<string, string>;
}

const DATA_FILES: Record<Ecosystem, string> = { npm: 'npm-top5000.tsv', pypi: 'pypi-top5000.tsv' };
const indexes = new Map<Ecosystem, PopularIndex>();

/** PyPI compares names after PEP 503 normalization; npm names are case-insensitive in practice. */
export function normalizeName(ecosystem: Ecosystem, name: string): string {
  const lower = name.trim().toLowerCase();
  return ecosystem === 'pypi' ? lower.replace(/[-_.]+/g, '-') : lower;
}

function skeleton(name: string): string {
  return name.replace(/[-_.@/]/g, '');
}

function bareName(name: string): string | undefined {
  return /^@[^/]+\/(.+)$/.exec(name)?.[1];
}

/** Builds the look-up structures from a top-list TSV (name, then any columns), most popular first. */
export function buildPopularIndex(ecosystem: Ecosystem, tsv: string): PopularIndex {
  const index: PopularIndex = { rank: new Map(), byLength: new Map(), bySkeleton: new Map() };
  for (const line of tsv.split('\n')) {
    const raw = line.split('\t')[0]?.trim();
    if (!raw) continue;
    const name = normalizeName(ecosystem, raw);
    if (index.rank.has(name)) continue;
    index.rank.set(name, index.rank.size + 1);
    const bucket = index.byLength.get(name.length) ?? [];
    bucket.push(name);
    index.byLength.set(name.length, bucket);
    if (!index.bySkeleton.has(skeleton(name))) index.bySkeleton.set(skeleton(name), name);
  }
  return index;
}

function loadIndex(ecosystem: Ecosystem): PopularIndex {
  const cached = indexes.get(ecosystem);
  if (cached) return cached;
  const file = new URL(`../data/${DATA_FILES[ecosystem]}`, import.meta.url);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new VetboxError('INTERNAL', `popular-package list missing: ${file.pathname}`, { cause });
  }
  const index = buildPopularIndex(ecosystem, text);
  indexes.set(ecosystem, index);
  return index;
}

/** Affixes squatters add to (or drop from) a popular name. */
const AFFIXES: Array<{ affix: string; at: 'prefix' | 'suffix' }> = [
  { affix: '-js', at: 'suffix' },
  { affix: '.js', at: 'suffix' },
  { affix: 'js', at: 'suffix' },
  { affix: 'js-', at: 'prefix' },
  { affix: '-node', at: 'suffix' },
  { affix: 'node-', at: 'prefix' },
  { affix: 'node', at: 'prefix' },
  { affix: '2', at: 'suffix' },
  { affix: '-python', at: 'suffix' },
  { affix: 'python-', at: 'prefix' },
  { affix: 'py-', at: 'prefix' },
  { affix: '-py', at: 'suffix' },
  { affix: 'py', at: 'prefix' },
];

function affixVariants(name: string): string[] {
  const out: string[] = [];
  for (const { affix, at } of AFFIXES) {
    if (at === 'suffix' && name.endsWith(affix)) out.push(name.slice(0, -affix.length));
    if (at === 'prefix' && name.startsWith(affix)) out.push(name.slice(affix.length));
  }
  return out.filter((n) => n.length >= 3);
}

/** How `name` differs from `target` when their distance is 1 or 2. */
function editTechnique(name: string, target: string, d: number): TyposquatTechnique {
  if (name.length === target.length) {
    const diff = [...name].map((c, i) => (c === target[i] ? -1 : i)).filter((i) => i >= 0);
    if (diff.length === 2 && diff[1] === diff[0]! + 1 && name[diff[0]!] === target[diff[1]!] && name[diff[1]!] === target[diff[0]!]) {
      return 'transposition';
    }
  }
  if (d !== 1) return 'edit-distance';
  if (name.length === target.length + 1) {
    for (let i = 1; i < name.length; i += 1) {
      if (name[i] === name[i - 1] && name.slice(0, i) + name.slice(i + 1) === target) return 'doubled-letter';
    }
    return 'extra-letter';
  }
  return name.length + 1 === target.length ? 'missing-letter' : 'substitution';
}

/** Names that differ only in digits are versions of one family (es2015/es2016), not typos. */
function differsOnlyInDigits(a: string, b: string): boolean {
  return a.length === b.length && [...a].every((c, i) => c === b[i] || (/\d/.test(c) && /\d/.test(b[i]!)));
}

/**
 * Members of one naming family (`@aws-sdk/client-sqs` / `client-sts`, `tree-sitter-c` / `-cpp`)
 * differ in one short segment: different words, not a slip of the finger.
 */
function differsInShortSegment(a: string, b: string): boolean {
  const sa = a.split(/[-_./]/);
  const sb = b.split(/[-_./]/);
  if (sa.length !== sb.length || sa.length < 2) return false;
  const diff = sa.map((seg, i) => (seg === sb[i] ? -1 : i)).filter((i) => i >= 0);
  return diff.length === 1 && sa[diff[0]!]!.length <= 4 && sb[diff[0]!]!.length <= 4;
}

/**
 * Whether an edit of this kind reads as a typo at this name length. Short names collide with
 * each other by chance (dargs/yargs, usort/isort), so letter changes need 7+ characters and two
 * edits 10+, while swapped, doubled and dropped letters are recognizable from 5.
 */
function plausibleTypo(technique: TyposquatTechnique, length: number): boolean {
  switch (technique) {
    case 'transposition':
    case 'doubled-letter':
    case 'missing-letter':
      return length >= 5;
    case 'substitution':
    case 'extra-letter':
      return length >= 7;
    case 'edit-distance':
      return length >= 10;
    default:
      return false;
  }
}

function closestByEdits(index: PopularIndex, name: string): { target: string; d: number; technique: TyposquatTechnique } | undefined {
  let best: { target: string; d: number; technique: TyposquatTechnique; rank: number } | undefined;
  if (name.length < 5) return undefined;
  for (let len = name.length - 2; len <= name.length + 2; len += 1) {
    for (const target of index.byLength.get(len) ?? []) {
      // Typos rarely hit both leading letters, unless they swap them.
      if (target[0] !== name[0] && target[1] !== name[1] && !(target[0] === name[1] && target[1] === name[0])) continue;
      const d = distance(name, target);
      if (d === 0 || d > 2 || differsOnlyInDigits(name, target)) continue;
      const technique = editTechnique(name, target, d);
      if (!plausibleTypo(technique, name.length)) continue;
      if ((technique === 'substitution' || technique === 'edit-distance') && differsInShortSegment(name, target)) continue;
      const rank = index.rank.get(target)!;
      if (!best || d < best.d || (d === best.d && rank < best.rank)) best = { target, d, technique, rank };
    }
  }
  return best;
}

const DESCRIBE: Record<TyposquatTechnique, string> = {
  separators: 'differs only in separators (-, _, .)',
  scope: 'differs only in its npm scope',
  affix: 'adds or drops a common prefix/suffix',
  transposition: 'swaps two adjacent letters of',
  'doubled-letter': 'doubles a letter of',
  'missing-letter': 'drops a letter of',
  'extra-letter': 'adds a letter to',
  substitution: 'changes one letter of',
  'edit-distance': 'is two edits away from',
};

function match(index: PopularIndex, name: string, target: string, technique: TyposquatTechnique): TyposquatMatch {
  const rank = index.rank.get(target)!;
  const d = distance(name, target);
  // Weak techniques (scope borrowing, two edits) are worth a look but not a suspicious verdict alone.
  const severity: Severity = technique === 'scope' || technique === 'edit-distance' ? 'low' : 'medium';
  const how = DESCRIBE[technique];
  const description = /of$|to$|from$/.test(how)
    ? `"${name}" ${how} "${target}" (#${rank} most downloaded)`
    : `"${name}" ${how} compared with "${target}" (#${rank} most downloaded)`;
  return { target, rank, technique, distance: d, severity, description };
}

/**
 * Is `name` a look-alike of a popular package? `null` when it is one of the popular packages
 * itself or resembles none of them. Checks, most specific first: separators, scope, affixes,
 * then edit distance scaled by length (transpositions count as one slip).
 */
export function checkTyposquat(ecosystem: Ecosystem, name: string): TyposquatMatch | null {
  return checkTyposquatIn(loadIndex(ecosystem), ecosystem, name);
}

/** `checkTyposquat` against a given index (tests and the false-positive survey use smaller lists). */
export function checkTyposquatIn(index: PopularIndex, ecosystem: Ecosystem, name: string): TyposquatMatch | null {
  const n = normalizeName(ecosystem, name);
  if (!n || index.rank.has(n)) return null;

  const sameSkeleton = index.bySkeleton.get(skeleton(n));
  if (sameSkeleton) {
    const scopeChanged = n.startsWith('@') !== sameSkeleton.startsWith('@');
    return match(index, n, sameSkeleton, scopeChanged ? 'scope' : 'separators');
  }

  // `@lodash/lodash`: a scope named after the popular package it borrows from.
  const bare = bareName(n);
  const scope = /^@([^/]+)\//.exec(n)?.[1];
  if (bare && scope && index.rank.has(bare) && skeleton(scope).replace(/js$/, '') === skeleton(bare).replace(/js$/, '')) {
    return match(index, n, bare, 'scope');
  }

  for (const variant of affixVariants(n)) {
    if (variant.length >= 4 && index.rank.has(variant)) return match(index, n, variant, 'affix');
  }
  // The popular name with an affix dropped (`gnupg` for `python-gnupg`) is weaker: often a real,
  // older project. It is reported at low.
  if (n.length >= 5) {
    for (const { affix, at } of AFFIXES) {
      const longer = at === 'suffix' ? `${n}${affix}` : `${affix}${n}`;
      if (index.rank.has(longer)) return { ...match(index, n, longer, 'affix'), severity: 'low' };
    }
  }

  const near = closestByEdits(index, n);
  return near ? match(index, n, near.target, near.technique) : null;
}

/** A name this old when the version came out is a project of its own, whatever it resembles. */
const ESTABLISHED_MS = 2 * 365 * 24 * 3600 * 1000;

/** Years the name had existed when this version was published, when that is long enough to count. */
export function establishedYears(pkg: PackageRef): number | undefined {
  if (!pkg.firstPublished || !pkg.versionPublished) return undefined;
  const age = Date.parse(pkg.versionPublished) - Date.parse(pkg.firstPublished);
  return age >= ESTABLISHED_MS ? Math.floor(age / (365 * 24 * 3600 * 1000)) : undefined;
}

/** typosquatting: static, runs in every analysis. */
export function typosquatting(pkg: PackageRef, hit: TyposquatMatch | null = checkTyposquat(pkg.ecosystem, pkg.name)): Draft[] {
  if (!hit) return [];
  const years = establishedYears(pkg);
  const since = years === undefined ? '' : ` The name was published in ${pkg.firstPublished!.slice(0, 4)}, ${years} years before this version: an established project, not a squat (rated info).`;
  const weak = hit.severity === 'low' ? ' This kind of resemblance is weak alone: rated low.' : '';
  return [
    {
      rule: 'typosquatting',
      severity: years === undefined ? hit.severity : 'info',
      phase: null,
      title: `Name looks like "${hit.target}"`,
      detail: `${hit.description}: ${hit.technique}.${years === undefined ? weak : since}`,
      evidence: [
        {
          kind: 'package',
          summary: hit.description,
          key: `typosquat:${pkg.ecosystem}:${normalizeName(pkg.ecosystem, pkg.name)}:${hit.target}`,
        },
      ],
    },
  ];
}
