/** DNS query (question section) decoded from the bytes a process sent to port 53. */
export interface DnsQuestion {
  name: string;
  type: string;
}

const TYPES: Record<number, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 35: 'NAPTR', 64: 'SVCB', 65: 'HTTPS', 255: 'ANY',
};

/**
 * Reads the first question of a DNS message (UDP payload; `tcp` skips the 2-byte length).
 * Returns null for anything that does not look like a query: the bytes are hostile input.
 */
export function decodeDnsQuery(buf: Buffer, tcp = false): DnsQuestion | null {
  let o = tcp ? 2 : 0;
  if (buf.length < o + 12 + 5) return null;
  const flags = buf.readUInt16BE(o + 2);
  if ((flags & 0x8000) !== 0) return null; // a response, not a query
  const qd = buf.readUInt16BE(o + 4);
  if (qd < 1) return null;
  o += 12;
  const labels: string[] = [];
  let total = 0;
  for (;;) {
    if (o >= buf.length) return null;
    const n = buf[o];
    if (n === 0) {
      o++;
      break;
    }
    if (n > 63 || o + 1 + n > buf.length) return null; // compression pointers never appear in a question we send
    labels.push(buf.toString('latin1', o + 1, o + 1 + n));
    total += n + 1;
    if (total > 255) return null;
    o += 1 + n;
  }
  if (o + 4 > buf.length) return null;
  const qtype = buf.readUInt16BE(o);
  return { name: labels.join('.'), type: TYPES[qtype] ?? `TYPE${qtype}` };
}
