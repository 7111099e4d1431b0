import { matchAngle } from './line.js';

/**
 * Decoded syscall arguments. Built on demand from `SyscallEvent.args` by `parseArgs`: only the
 * calls the behavior model looks at (open, execve, connect, ...) pay for it.
 */
export type TraceValue =
  | { kind: 'string'; value: string; truncated: boolean; key?: string }
  | { kind: 'number'; value: number; raw: string; key?: string }
  /** `3</etc/passwd>`, `AT_FDCWD</home/u>` (fd -100), `18<TCP:[1.2.3.4:5->6.7.8.9:10]>`. */
  | { kind: 'fd'; fd: number; decoration: string; key?: string }
  | { kind: 'array'; items: TraceValue[]; truncated: boolean; key?: string }
  | { kind: 'struct'; items: TraceValue[]; truncated: boolean; key?: string }
  /** `htons(8080)`, `inet_addr("192.0.2.10")`, `inet_pton(AF_INET6, "::1", &sin6_addr)`. */
  | { kind: 'call'; name: string; args: TraceValue[]; key?: string }
  /** Anything else, verbatim: `O_RDONLY|O_CLOEXEC`, `NULL`, `0x7ffd /* 12 vars *\/`, `[128 => 16]`. */
  | { kind: 'symbol'; raw: string; key?: string };

export const AT_FDCWD = -100;

/** Parses a syscall's raw argument text into values. Never throws; odd text becomes symbols. */
export function parseArgs(args: string): TraceValue[] {
  const p = new ValueParser(args);
  return p.list(-1);
}

/** The named field of a struct (`sin_port` in `{sa_family=AF_INET, sin_port=htons(80), ...}`). */
export function field(v: TraceValue | undefined, key: string): TraceValue | undefined {
  if (v === undefined || v.kind !== 'struct') return undefined;
  for (const item of v.items) if (item.key === key) return item;
  return undefined;
}

const CLOSE_OF: Record<number, number> = { 91: 93, 123: 125, 40: 41 };

class ValueParser {
  private i = 0;
  constructor(private readonly s: string) {}

  /** Comma-separated values up to `close` (a char code), or the end when close is -1. */
  list(close: number): TraceValue[] {
    const s = this.s;
    const items: TraceValue[] = [];
    for (;;) {
      this.skipSpaces();
      if (this.i >= s.length) return items;
      const c = s.charCodeAt(this.i);
      if (c === close) {
        this.i++;
        return items;
      }
      if (c === 93 || c === 125 || c === 41) {
        // A closer that is not ours (malformed text): end this list leniently.
        this.i++;
        return items;
      }
      const before = this.i;
      items.push(this.value(close));
      if (this.i === before) this.i++; // never loop without progress on odd input
      this.skipSpaces();
      const d = s.charCodeAt(this.i);
      if (d === 44 /* , */) this.i++;
      else if (d !== close && this.i < s.length) {
        // Unexpected text after a value (`{...} => {...}`, `a && b`): keep it as a symbol.
        const last = items.pop();
        const start = this.rawStart;
        this.skipToDelimiter(close);
        items.push(withKey({ kind: 'symbol', raw: s.slice(start, this.i).trim() }, last?.key));
        if (s.charCodeAt(this.i) === 44) this.i++;
      }
    }
  }

  /** Where the value being parsed began (after its `key=`), for the symbol fallback. */
  private rawStart = 0;

  private value(close: number): TraceValue {
    const s = this.s;
    const start = this.i;
    // `key=value` inside structures and top-level (clone's `flags=...`).
    let key: string | undefined;
    let k = this.i;
    while (k < s.length && isIdentChar(s.charCodeAt(k))) k++;
    if (k > this.i && s.charCodeAt(k) === 61 /* = */ && s.charCodeAt(k + 1) !== 61) {
      key = s.slice(this.i, k);
      this.i = k + 1;
    }
    const v = this.bare(close);
    if (key !== undefined) v.key = key;
    this.rawStart = key === undefined ? start : start + key.length + 1;
    return v;
  }

  private bare(close: number): TraceValue {
    const s = this.s;
    const c = s.charCodeAt(this.i);
    if (c === 34 /* " */) return this.string('');
    if (c === 64 /* @ */ && s.charCodeAt(this.i + 1) === 34) {
      // Abstract unix socket: `sun_path=@"name"`.
      this.i++;
      return this.string('@');
    }
    if (c === 91 /* [ */) {
      this.i++;
      const items = this.list(93);
      return arrayOf(items);
    }
    if (c === 123 /* { */) {
      this.i++;
      const items = this.list(125);
      const truncated = items.length > 0 && isEllipsis(items[items.length - 1]);
      return { kind: 'struct', items: truncated ? items.slice(0, -1) : items, truncated };
    }
    // Identifier or number, possibly followed by `(` (call) or `<` (fd decoration).
    const start = this.i;
    while (this.i < s.length && isIdentChar(s.charCodeAt(this.i))) this.i++;
    const word = s.slice(start, this.i);
    const next = s.charCodeAt(this.i);
    if (word.length > 0 && next === 40 /* ( */) {
      this.i++;
      return { kind: 'call', name: word, args: this.list(41) };
    }
    if (word.length > 0 && next === 60 /* < */) {
      const end = matchAngle(s, this.i);
      if (end > 0) {
        const fd = word === 'AT_FDCWD' ? AT_FDCWD : Number(word);
        if (Number.isInteger(fd)) {
          const decoration = s.slice(this.i + 1, end);
          this.i = end + 1;
          return { kind: 'fd', fd, decoration };
        }
      }
    }
    // Plain atom: read to the next delimiter at depth 0 (`0x7ffd /* 39 vars */`, `A|B`, `~[CHLD]`).
    this.i = start;
    this.skipToDelimiter(close);
    const raw = s.slice(start, this.i).trimEnd();
    if (raw === word && word.length > 0) {
      const n = parseNumber(word);
      if (n !== null) return { kind: 'number', value: n, raw };
    }
    return { kind: 'symbol', raw };
  }

  private string(prefix: string): TraceValue {
    const r = decodeQuoted(this.s, this.i);
    this.i = r.end;
    let truncated = false;
    if (this.s.startsWith('...', this.i)) {
      truncated = true;
      this.i += 3;
    }
    return { kind: 'string', value: prefix + r.value, truncated };
  }

  private skipSpaces(): void {
    const s = this.s;
    while (this.i < s.length && s.charCodeAt(this.i) === 32) this.i++;
  }

  /** Advances to `,` or `close` at nesting depth 0, stepping over strings and brackets. */
  private skipToDelimiter(close: number): void {
    const s = this.s;
    const stack: number[] = [];
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c === 34) {
        this.i = decodeQuoted(s, this.i).end;
        continue;
      }
      if (stack.length === 0 && (c === 44 || c === close)) return;
      if (c === 91 || c === 123 || c === 40) stack.push(CLOSE_OF[c]);
      else if (stack.length > 0 && c === stack[stack.length - 1]) stack.pop();
      else if (stack.length === 0 && (c === 93 || c === 125 || c === 41)) return; // stray closer
      this.i++;
    }
  }
}

function withKey(v: TraceValue, key: string | undefined): TraceValue {
  if (key !== undefined) v.key = key;
  return v;
}

function arrayOf(items: TraceValue[]): TraceValue {
  const truncated = items.length > 0 && isEllipsis(items[items.length - 1]);
  return { kind: 'array', items: truncated ? items.slice(0, -1) : items, truncated };
}

function isEllipsis(v: TraceValue): boolean {
  return v.kind === 'symbol' && v.raw === '...';
}

function isIdentChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45 /* - */;
}

function parseNumber(word: string): number | null {
  if (/^-?\d+$/.test(word)) return Number(word); // decimal, and octal-looking modes (`0644`) keep raw
  if (/^0x[0-9a-fA-F]+$/.test(word)) return parseInt(word.slice(2), 16);
  return null;
}

/**
 * Decodes the C-style quoted string starting at `start` (which must be `"`): `\n \t \r \v \f
 * \" \\`, `\xNN` and octal `\NNN`. Bytes are collected and read as UTF-8 (strace escapes every
 * non-ASCII byte, so the raw text itself is ASCII). Returns the index after the closing quote.
 */
export function decodeQuoted(s: string, start: number): { value: string; end: number } {
  const i = start + 1;
  const len = s.length;
  // Fast path: no escapes and no high bytes.
  let k = i;
  while (k < len) {
    const c = s.charCodeAt(k);
    if (c === 34) return { value: s.slice(i, k), end: k + 1 };
    if (c === 92 || c > 127) break;
    k++;
  }
  if (k >= len) return { value: s.slice(i), end: len };
  const r = decodeQuotedBytes(s, start);
  return { value: r.high ? r.bytes.toString('utf8') : r.bytes.toString('latin1'), end: r.end };
}

/**
 * The bytes of the quoted string at `start` (binary payloads: DNS queries, sent data).
 * `truncated` when strace cut it (`"..."...`); `high` when a byte is above 0x7f.
 */
export function decodeQuotedBytes(s: string, start: number): { bytes: Buffer; end: number; truncated: boolean; high: boolean } {
  let i = start + 1;
  const len = s.length;
  const bytes: number[] = [];
  let high = false;
  while (i < len) {
    const c = s.charCodeAt(i);
    if (c === 34) {
      i++;
      break;
    }
    if (c !== 92) {
      bytes.push(c & 0xff);
      if (c > 127) high = true;
      i++;
      continue;
    }
    const e = s.charCodeAt(i + 1);
    i += 2;
    switch (e) {
      case 110: bytes.push(10); break; // \n
      case 116: bytes.push(9); break; // \t
      case 114: bytes.push(13); break; // \r
      case 118: bytes.push(11); break; // \v
      case 102: bytes.push(12); break; // \f
      case 120: { // \xNN
        const v = parseInt(s.substr(i, 2), 16);
        if (Number.isNaN(v)) bytes.push(120);
        else {
          bytes.push(v);
          if (v > 127) high = true;
          i += 2;
        }
        break;
      }
      default:
        if (e >= 48 && e <= 55) { // \NNN octal (1 to 3 digits)
          let v = e - 48;
          let n = 1;
          while (n < 3 && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 55) {
            v = v * 8 + (s.charCodeAt(i) - 48);
            i++;
            n++;
          }
          bytes.push(v & 0xff);
          if (v > 127) high = true;
        } else if (!Number.isNaN(e)) bytes.push(e); // \" \\ and anything else: the char itself
    }
  }
  const truncated = s.startsWith('...', i);
  return { bytes: Buffer.from(bytes), end: i, truncated, high };
}

/** Unescapes a `-yy` decoration path (strace escapes non-printables and `<>` there). */
export function unescapePath(p: string): string {
  if (p.indexOf('\\') < 0) return p;
  return decodeQuoted(`"${p.replace(/"/g, '\\"')}"`, 0).value;
}

export interface Endpoint {
  address: string;
  port: number;
}

/** What a `-yy` fd decoration says about the fd. */
export type FdInfo =
  | { type: 'path'; path: string }
  | {
      type: 'socket';
      /** `TCP`, `TCPv6`, `UDP`, `UDPv6`, `UNIX`, `UNIX-STREAM`, `NETLINK`, `socket` (unknown). */
      proto: string;
      local?: Endpoint;
      remote?: Endpoint;
      inode?: number;
      /** Unix socket path when strace shows one. */
      path?: string;
    }
  | { type: 'other'; text: string };

// `/etc/passwd`, `/dev/pts/0<char 136:0>`, `TCP:[4041236]`, `TCP:[10.0.0.2:43518->198.51.100.9:4444]`,
// `TCPv6:[[::1]:43518->[::1]:8080]`, `UDP:[0.0.0.0:43518->192.0.2.53:53]`, `UNIX-STREAM:[36022->36021]`,
// `UNIX-STREAM:[36022,"/run/x.sock"]`, `socket:[123]`, `pipe:[456]`, `anon_inode:[eventfd]`.
export function parseFdDecoration(dec: string): FdInfo {
  if (dec.charCodeAt(0) === 47 /* / */) {
    const lt = dec.indexOf('<');
    return { type: 'path', path: unescapePath(lt < 0 ? dec : dec.slice(0, lt)) };
  }
  const colon = dec.indexOf(':[');
  if (colon < 0 || !dec.endsWith(']')) return { type: 'other', text: dec };
  const proto = dec.slice(0, colon);
  const inner = dec.slice(colon + 2, -1);
  if (proto === 'pipe' || proto === 'anon_inode' || proto === 'net' || proto === 'mnt') return { type: 'other', text: dec };
  const info: FdInfo & { type: 'socket' } = { type: 'socket', proto };
  let body = inner;
  const quote = body.indexOf(',"');
  if (quote >= 0) {
    info.path = unescapePath(body.slice(quote + 2, body.endsWith('"') ? -1 : undefined));
    body = body.slice(0, quote);
  }
  const arrow = body.indexOf('->');
  if (arrow < 0) {
    const ep = parseEndpoint(body);
    if (ep !== null) info.local = ep;
    else if (/^\d+$/.test(body)) info.inode = Number(body);
  } else {
    const l = parseEndpoint(body.slice(0, arrow));
    const r = parseEndpoint(body.slice(arrow + 2));
    if (l !== null) info.local = l;
    if (r !== null) info.remote = r;
  }
  return info;
}

/** `1.2.3.4:80` or `[::1]:80`; null for a bare inode number. */
export function parseEndpoint(text: string): Endpoint | null {
  if (text.startsWith('[')) {
    const end = text.indexOf(']:');
    if (end < 0) return null;
    const port = Number(text.slice(end + 2));
    return Number.isInteger(port) ? { address: text.slice(1, end), port } : null;
  }
  const c = text.lastIndexOf(':');
  if (c <= 0) return null;
  const port = Number(text.slice(c + 1));
  return Number.isInteger(port) ? { address: text.slice(0, c), port } : null;
}

export interface SockAddr {
  family: 'inet' | 'inet6' | 'unix' | 'netlink' | 'packet' | 'unspec' | 'other';
  address: string;
  port: number | null;
}

// `{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.10")}`
// `{sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}`
// `{sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}`, `{sa_family=AF_UNIX, sun_path=@"abstract"}`
// `{sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}`, `{sa_family=AF_UNSPEC, sa_data="..."}`
export function parseSockaddr(v: TraceValue | undefined): SockAddr | null {
  if (v === undefined || v.kind !== 'struct') return null;
  const fam = field(v, 'sa_family');
  const family = fam?.kind === 'symbol' ? fam.raw : '';
  if (family === 'AF_INET') {
    return { family: 'inet', address: callString(field(v, 'sin_addr')) ?? '', port: callNumber(field(v, 'sin_port')) };
  }
  if (family === 'AF_INET6') {
    let address = '';
    for (const item of v.items) {
      if (item.kind === 'call' && item.name === 'inet_pton') {
        const a = item.args.find((x) => x.kind === 'string');
        if (a?.kind === 'string') address = a.value;
      }
    }
    const addrField = field(v, 'sin6_addr');
    if (address === '' && addrField !== undefined) address = callString(addrField) ?? '';
    return { family: 'inet6', address, port: callNumber(field(v, 'sin6_port')) };
  }
  if (family === 'AF_UNIX') {
    const p = field(v, 'sun_path');
    return { family: 'unix', address: p?.kind === 'string' ? p.value : '', port: null };
  }
  if (family === 'AF_NETLINK') return { family: 'netlink', address: '', port: null };
  if (family === 'AF_PACKET') return { family: 'packet', address: '', port: null };
  if (family === 'AF_UNSPEC') return { family: 'unspec', address: '', port: null };
  return { family: 'other', address: family, port: null };
}

function callString(v: TraceValue | undefined): string | null {
  if (v === undefined) return null;
  if (v.kind === 'string') return v.value;
  if (v.kind === 'call') {
    const a = v.args.find((x) => x.kind === 'string');
    return a?.kind === 'string' ? a.value : null;
  }
  return null;
}

function callNumber(v: TraceValue | undefined): number | null {
  if (v === undefined) return null;
  if (v.kind === 'number') return v.value;
  if (v.kind === 'call' && v.args[0]?.kind === 'number') return v.args[0].value;
  return null;
}
