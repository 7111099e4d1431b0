import type { Behavior, CanaryEncoding, CanaryLeak, CanaryReport, SinkholeCapture } from '@vetbox/contracts';
import { buildCorpus, decompressed, type Segment } from './corpus.js';
import { TraceJoin } from './detect.js';

/** Variables every login shell has: a dump of the environment carries several of them. */
const CORE = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'PWD', 'LANG', 'TERM', 'HOSTNAME'];

/**
 * Variables of a developer's environment (shell, desktop session, toolchains) and of the
 * sandbox's (CA trust for the proxy, npm's lifecycle variables are matched by prefix).
 */
const COMMON = [
  ...CORE,
  'OLDPWD', 'SHLVL', 'EDITOR', 'VISUAL', 'PAGER', 'LESS', 'LC_ALL', 'LC_CTYPE', 'LANGUAGE', 'TZ', 'DISPLAY', 'WAYLAND_DISPLAY',
  'XDG_RUNTIME_DIR', 'XDG_SESSION_TYPE', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_CURRENT_DESKTOP',
  'DBUS_SESSION_BUS_ADDRESS', 'SSH_AUTH_SOCK', 'SSH_AGENT_PID', 'GPG_AGENT_INFO', 'COLORTERM', 'TERM_PROGRAM', 'MAIL',
  'NODE_ENV', 'NODE_EXTRA_CA_CERTS', 'NODE_PATH', 'NVM_DIR', 'NVM_BIN', 'VIRTUAL_ENV', 'PYTHONPATH', 'PIP_CERT',
  'REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE', 'GOPATH', 'JAVA_HOME', 'INIT_CWD', 'EMAIL', 'GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL',
];

/** A dump has this many of the machine's variable names, at least two of them core ones. */
const MIN_NAMES = 6;
const MIN_CORE = 2;

const NAME_AS_KEY = /(?:^|[^A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]{1,80})(?=["']?\s*[:=])/g;

/** Variable names of the environment that appear as keys (`NAME=`, `"NAME":`, `'NAME': `) in `text`. */
export function environmentNames(text: string, known: ReadonlySet<string>): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(NAME_AS_KEY)) {
    const name = m[1]!;
    if (known.has(name) || name.startsWith('npm_config_') || name.startsWith('npm_package_') || name.startsWith('npm_lifecycle_')) found.add(name);
  }
  return [...found];
}

function isDump(names: string[]): boolean {
  return names.length >= MIN_NAMES && names.filter((n) => CORE.includes(n)).length >= MIN_CORE;
}

interface View {
  text: string;
  layers: CanaryEncoding[];
}

function printable(buf: Buffer): boolean {
  if (buf.length === 0) return false;
  let ok = 0;
  for (const b of buf) if ((b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d || b === 0x09) ok++;
  return ok / buf.length > 0.9;
}

function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text.toUpperCase()) {
    const v = alphabet.indexOf(ch);
    if (v < 0) continue;
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

const RUNS: { re: RegExp; encoding: CanaryEncoding; decode: (s: string) => Buffer }[] = [
  { re: /[A-Za-z0-9+/]{40,}={0,2}/g, encoding: 'base64', decode: (s) => Buffer.from(s, 'base64') },
  { re: /[A-Za-z0-9_-]{40,}/g, encoding: 'base64url', decode: (s) => Buffer.from(s, 'base64url') },
  { re: /(?:[0-9a-f]{2}){20,}|(?:[0-9A-F]{2}){20,}/g, encoding: 'hex', decode: (s) => Buffer.from(s, 'hex') },
  { re: /[A-Z2-7]{40,}|[a-z2-7]{40,}/g, encoding: 'base32', decode: base32Decode },
];

/**
 * The readings of one captured piece a dump could hide in: as sent, URL-decoded, and every long
 * base64/base64url/hex/base32 run decoded (then gunzipped when it is gzip), one level deep.
 */
function views(bytes: Buffer, layers: CanaryEncoding[]): View[] {
  const text = bytes.toString('latin1');
  const out: View[] = [{ text, layers }];
  if (/%[0-9A-Fa-f]{2}/.test(text)) {
    try {
      out.push({ text: decodeURIComponent(text.replace(/\+/g, ' ')), layers: [...layers, 'url'] });
    } catch {
      // malformed escapes: the plain reading stays
    }
  }
  for (const view of [...out]) {
    for (const { re, encoding, decode } of RUNS) {
      for (const m of view.text.matchAll(re)) {
        const raw = decode(m[0]);
        const inflated = decompressed(raw);
        if (inflated && printable(inflated)) out.push({ text: inflated.toString('latin1'), layers: [...view.layers, encoding, 'gzip'] });
        else if (printable(raw)) out.push({ text: raw.toString('latin1'), layers: [...view.layers, encoding] });
      }
    }
  }
  return out;
}

/**
 * Most of the process environment sent in one body, path, name or stream, in any encoding the
 * canary search knows: environment exfiltration even when no single planted value is in it
 * (a payload that sends `process.env` whole). One report; an evidence row per carrying record.
 */
export function detectEnvironmentLeaks(
  capture: SinkholeCapture,
  behavior: Behavior | undefined,
  extraNames: string[],
  ignore: (segment: Segment) => boolean = () => false,
): CanaryReport[] {
  const known = new Set([...COMMON, ...extraNames]);
  const corpus = buildCorpus(capture);
  const join = new TraceJoin(capture, behavior, 'install');
  const evidence: CanaryLeak[] = [];
  const names = new Set<string>();
  const seen = new Set<string>();
  for (const segment of corpus.segments) {
    if (ignore(segment)) continue;
    const key = `${segment.capture.list}:${segment.capture.index}:${segment.capture.http ?? ''}:${segment.capture.part}`;
    if (seen.has(key)) continue;
    const bytes = corpus.buffer.subarray(segment.start, segment.end);
    const hit = views(bytes, segment.layers)
      .map((v) => ({ v, found: environmentNames(v.text, known) }))
      .find((x) => isDump(x.found));
    if (!hit) continue;
    seen.add(key);
    hit.found.forEach((n) => names.add(n));
    const layers = hit.v.layers;
    const encoding = layers.find((l) => l !== 'gzip' && l !== 'dns-labels') ?? layers[0] ?? 'plain';
    const leak = join.leakFor({ segment, needle: { bytes: Buffer.alloc(0), encoding }, pos: segment.start });
    evidence.push({ ...leak, encoding, ...(layers.length ? { layers } : {}) });
  }
  if (evidence.length === 0) return [];
  const list = [...names].sort((a, b) => Number(CORE.includes(b)) - Number(CORE.includes(a)) || a.localeCompare(b));
  return [
    {
      kind: 'environment',
      planted: 'process environment',
      read: null,
      leaked: true,
      evidence,
      valuePreview: `${list.slice(0, 8).join(', ')}${list.length > 8 ? ', …' : ''} (${list.length} variables)`,
    },
  ];
}
