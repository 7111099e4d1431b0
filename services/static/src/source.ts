import type { DecodedLayer, StaticReach, StaticSignal, StaticSignalKind, StaticTransform } from '@vetbox/contracts';
import { CREDENTIAL_PATHS, EXFIL_ENDPOINTS, URL_LITERAL } from './patterns.js';
import { PREVIEW_CHARS, bytesToText, escapeText, looksLikeText } from './escape.js';
import { isMarshalCode, marshalStrings } from './decode.js';

/** Bounds shared by every file of one pass: it runs on every analysis, so it must stay cheap. */
export interface Budget {
  deadline: number;
  /** Decoded layers followed inside one construct. */
  maxDepth: number;
  maxSignals: number;
  /** Signals of one kind kept per file (the rest are counted in the last one's detail). */
  maxPerFileKind: number;
}

/** A value as the static evaluator sees it: bytes when it could be computed, and what fed it. */
export interface Val {
  bytes?: Buffer;
  transforms: StaticTransform[];
  /** A decoder was applied somewhere in the expression. */
  decoder: boolean;
  /** Data read from the network flows into it. */
  network: boolean;
  /** Why decoding stopped (a transform we do not undo, an unknown input). */
  stopped?: string;
  urls?: string[];
}

/** A value changed since it was bound (`b += chunk`): its flags still hold, its text is unknown. */
export function withoutText(v: Val): Val {
  const { bytes: _bytes, ...rest } = v;
  return rest;
}

export const UNKNOWN: Val = Object.freeze({ transforms: [], decoder: false, network: false }) as Val;

export function known(bytes: Buffer): Val {
  return { bytes, transforms: [], decoder: false, network: false };
}

/** Flags of several inputs merged (the value itself is unknown). */
export function merge(vals: readonly Val[]): Val {
  const urls = vals.flatMap((v) => v.urls ?? []);
  return {
    transforms: vals.flatMap((v) => v.transforms),
    decoder: vals.some((v) => v.decoder),
    network: vals.some((v) => v.network),
    ...(urls.length > 0 ? { urls } : {}),
    stopped: vals.find((v) => v.stopped)?.stopped,
  };
}

/** Where in the package a construct is reported: the outer file and line, even inside a decoded layer. */
export interface Place {
  file: string;
  reach: StaticReach[];
  /** Set inside a decoded layer: the outer construct's line and the layer depth. */
  outerLine?: number;
  depth: number;
}

/** A process launch seen in code: the string literals it names (for matching bundled executables). */
export interface Launch {
  line: number;
  snippet: string;
  names: string[];
}

/** What analyzing one source file yields besides signals. */
export interface SourceResult {
  /** Module specifiers it loads (`./lib/x`, `.helpers`, `pkg.sub`), for the install/import closure. */
  imports: string[];
  launches: Launch[];
  parsed: boolean;
  /** Bounds hit while reading the file (a large file read sparsely), said in the result's `limits`. */
  limits?: string[];
}

/** One cheap test before the credential and endpoint patterns (every string literal passes here). */
const WORTH_MATCHING = /Data|State|Cookies|Firefox|logins|key4|cookies|Storage|tdata|Steam|ssfn|loginusers|wallet|Wallet|Exodus|Electrum|atomic|keystore|Coinomi|Armory|jaxx|nkbih|bfnael|\.ssh|\.aws|\.azure|gcloud|\.kube|webhooks|\/bot\d/;

/** Collects the signals of one pass, applying the per-file and total caps. */
export class SignalCollector {
  readonly signals: StaticSignal[] = [];
  private readonly perKey = new Map<string, StaticSignal>();
  private readonly counts = new Map<string, number>();
  private readonly seen = new Set<string>();
  truncated = false;

  constructor(private readonly budget: Budget) {}

  add(place: Place, line: number, snippet: string, kind: StaticSignalKind, detail: string, extra: Partial<StaticSignal> = {}): void {
    const at = place.outerLine ?? line;
    const dedupe = `${place.file}\u0000${at}\u0000${kind}\u0000${extra.target ?? detail}`;
    if (this.seen.has(dedupe)) return;
    this.seen.add(dedupe);
    const key = `${place.file}\u0000${kind}\u0000${extra.target ?? ''}`;
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    if (count > this.budget.maxPerFileKind) {
      const last = this.perKey.get(key)!;
      last.detail = `${last.detail.replace(/ \(\+\d+ more in this file\)$/, '')} (+${count - this.budget.maxPerFileKind} more in this file)`;
      return;
    }
    if (this.signals.length >= this.budget.maxSignals) {
      this.truncated = true;
      return;
    }
    const signal: StaticSignal = {
      kind,
      file: place.file,
      line: at,
      snippet,
      detail,
      reach: place.reach,
      ...(place.depth > 0 ? { layerDepth: place.depth } : {}),
      ...extra,
    };
    this.signals.push(signal);
    this.perKey.set(key, signal);
  }

  /** Credential paths and exfiltration endpoints named by one string (literal, joined path or decoded layer). */
  scanString(place: Place, value: string, at: () => { line: number; snippet: string }): void {
    if (value.length < 5 || !WORTH_MATCHING.test(value)) return;
    // Located only when the string names something: most literals of a large tree name nothing.
    const { line, snippet } = at();
    for (const c of CREDENTIAL_PATHS) {
      const m = c.pattern.exec(value);
      if (m) this.add(place, line, snippet, 'credential-path', `names ${c.target} credential data (${escapeText(m[0], 80)})`, { target: c.target });
    }
    for (const e of EXFIL_ENDPOINTS) {
      const m = e.pattern.exec(value);
      if (m) this.add(place, line, snippet, 'exfil-endpoint', `${e.what} URL ${escapeText(m[0], 120)}`, { urls: [escapeText(m[0], 200)] });
    }
  }
}

export function urlsIn(text: string): string[] {
  return [...new Set([...text.matchAll(URL_LITERAL)].map((m) => escapeText(m[0], 200)))].slice(0, 10);
}

/** The decoded layer as the report shows it. */
export function layerOf(val: Val): DecodedLayer | undefined {
  if (!val.bytes || val.transforms.length === 0) return undefined;
  const marshal = val.transforms.at(-1) === 'marshal' || isMarshalCode(val.bytes) ? marshalStrings(val.bytes) : undefined;
  const text = marshal ? `marshal strings: ${marshal.slice(0, 200).join(' | ')}` : bytesToText(val.bytes);
  return {
    transforms: val.transforms,
    bytes: val.bytes.length,
    preview: escapeText(text, PREVIEW_CHARS),
    ...(val.stopped ? { stoppedAt: val.stopped } : {}),
  };
}

/** Decoded bytes worth analyzing again as source (text, not marshal or binary). */
export function nextLayerText(val: Val): string | undefined {
  if (!val.bytes || val.transforms.length === 0 || val.stopped) return undefined;
  if (isMarshalCode(val.bytes)) return marshalStrings(val.bytes).join('\n');
  return looksLikeText(val.bytes) ? val.bytes.toString('utf8') : undefined;
}

export function describeTransforms(val: Val): string {
  if (val.transforms.length === 0) return val.network ? 'network data' : 'decoded data';
  // Innermost first as written in code: zlib(base64(…)).
  return val.transforms.reduce((inner, t) => `${t}(${inner})`, '…') + (val.stopped ? ` (stopped at ${val.stopped})` : '');
}
