/**
 * A minimal, valid SQLite 3 database writer: enough for a browser-profile-like cookie store
 * (one leaf page per table, no indexes, no overflow). Stealers open these files with sqlite3,
 * so a real database keeps them on their usual path to exfiltration.
 * Format: https://www.sqlite.org/fileformat2.html
 */
const PAGE = 4096;

export type SqlValue = null | number | bigint | string | Buffer;

export interface SqlTable {
  name: string;
  sql: string;
  rows: SqlValue[][];
}

function varint(n: number): Buffer {
  // Values here stay below 2^28: 1–4 bytes, 7 bits each, high bit = more follows.
  const bytes: number[] = [n & 0x7f];
  n = Math.floor(n / 128);
  while (n > 0) {
    bytes.unshift((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  return Buffer.from(bytes);
}

function serial(value: SqlValue): { type: number; body: Buffer } {
  if (value === null) return { type: 0, body: Buffer.alloc(0) };
  if (typeof value === 'string') {
    const b = Buffer.from(value, 'utf8');
    return { type: b.length * 2 + 13, body: b };
  }
  if (Buffer.isBuffer(value)) return { type: value.length * 2 + 12, body: value };
  const big = BigInt(value);
  if (big === 0n) return { type: 8, body: Buffer.alloc(0) };
  if (big === 1n) return { type: 9, body: Buffer.alloc(0) };
  const body = Buffer.alloc(8);
  body.writeBigInt64BE(big);
  return { type: 6, body };
}

function record(values: SqlValue[]): Buffer {
  const parts = values.map(serial);
  const types = Buffer.concat(parts.map((p) => varint(p.type)));
  // The header size counts its own varint (one byte while the header is under 128 bytes).
  const headerLen = types.length + 1;
  if (headerLen >= 128) throw new Error('record header too large for this writer');
  return Buffer.concat([varint(headerLen), types, ...parts.map((p) => p.body)]);
}

/** A table b-tree leaf page holding `rows` (rowids 1..n). `offset` is 100 on page 1. */
function leafPage(rows: SqlValue[][], offset = 0): Buffer {
  const page = Buffer.alloc(PAGE);
  const cells = rows.map((row, i) => {
    const payload = record(row);
    if (payload.length > PAGE - 35) throw new Error('row too large for one page');
    return Buffer.concat([varint(payload.length), varint(i + 1), payload]);
  });
  let contentStart = PAGE;
  const pointers: number[] = [];
  for (const cell of cells) {
    contentStart -= cell.length;
    cell.copy(page, contentStart);
    pointers.push(contentStart);
  }
  if (contentStart < offset + 8 + 2 * cells.length) throw new Error('rows do not fit in one page');
  page[offset] = 0x0d; // table b-tree leaf
  page.writeUInt16BE(0, offset + 1); // first freeblock
  page.writeUInt16BE(cells.length, offset + 3);
  page.writeUInt16BE(contentStart, offset + 5);
  page[offset + 7] = 0; // fragmented free bytes
  pointers.forEach((p, i) => page.writeUInt16BE(p, offset + 8 + 2 * i));
  return page;
}

export function sqliteDatabase(tables: SqlTable[]): Buffer {
  const pageCount = 1 + tables.length;
  const master = tables.map((t, i) => ['table', t.name, t.name, i + 2, t.sql] as SqlValue[]);
  const first = leafPage(master, 100);
  first.write('SQLite format 3\0', 0, 'latin1');
  first.writeUInt16BE(PAGE, 16);
  first[18] = 1; // legacy journal write version
  first[19] = 1; // read version
  first[20] = 0; // reserved bytes per page
  first[21] = 64;
  first[22] = 32;
  first[23] = 32;
  first.writeUInt32BE(1, 24); // file change counter
  first.writeUInt32BE(pageCount, 28);
  first.writeUInt32BE(1, 40); // schema cookie
  first.writeUInt32BE(4, 44); // schema format
  first.writeUInt32BE(1, 56); // UTF-8
  first.writeUInt32BE(1, 92); // version-valid-for = change counter
  first.writeUInt32BE(3_040_001, 96);
  return Buffer.concat([first, ...tables.map((t) => leafPage(t.rows))]);
}
