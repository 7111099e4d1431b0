import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OriginalDestinations, parseConntrack } from './conntrack.js';

// Lines as seen in the sinkhole namespace (REDIRECT to 15001/15002), plus junk.
const TABLE = [
  'ipv4     2 tcp      6 431999 ESTABLISHED src=0.0.0.0 dst=198.51.100.20 sport=58874 dport=9001 src=127.0.0.1 dst=0.0.0.0 sport=15001 dport=58874 [ASSURED] mark=0 zone=0 use=2',
  'ipv4     2 udp      17 29 src=0.0.0.0 dst=203.0.113.1 sport=54449 dport=5000 [UNREPLIED] src=127.0.0.1 dst=0.0.0.0 sport=15002 dport=54449 mark=0 zone=0 use=2',
  'ipv4     2 tcp      6 119 TIME_WAIT src=127.0.0.1 dst=198.18.0.10 sport=45510 dport=80 src=127.0.0.1 dst=127.0.0.1 sport=15001 dport=45510 [ASSURED] mark=0 zone=0 use=2',
  'ipv4     2 icmp     1 29 src=127.0.0.1 dst=203.0.113.1 type=8 code=0 id=7 src=203.0.113.1 dst=127.0.0.1 type=0 code=0 id=7 mark=0 use=1',
  'garbage line',
  'ipv4     2 tcp      6 1 SYN_SENT src=127.0.0.1 dst=192.0.2.1',
  // IPv6, as the router namespace sees a flow from the workstation's global address.
  'ipv6     10 tcp      6 118 TIME_WAIT src=2601:0240:c500:01a2:0000:0000:0000:0057 dst=2606:4700:0000:0000:0000:0000:6810:84e5 sport=40060 dport=443 src=2601:0240:c500:01a2:0000:0000:0000:0001 dst=2601:0240:c500:01a2:0000:0000:0000:0057 sport=15001 dport=40060 [ASSURED] mark=0 zone=0 use=2',
].join('\n');

describe('parseConntrack', () => {
  it('maps the reply tuple the listener sees to the original destination', () => {
    const table = parseConntrack(TABLE);
    expect(table.get('4:tcp:15001:58874')).toEqual({ address: '198.51.100.20', port: 9001 });
    expect(table.get('4:udp:15002:54449')).toEqual({ address: '203.0.113.1', port: 5000 });
    expect(table.get('4:tcp:15001:45510')).toEqual({ address: '198.18.0.10', port: 80 });
    expect(table.get('6:tcp:15001:40060')).toEqual({ address: '2606:4700::6810:84e5', port: 443 });
    expect(table.size).toBe(4);
  });
});

describe('OriginalDestinations', () => {
  it('batches lookups over one read and answers null for unknown flows after retries', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ct-')), 'nf_conntrack');
    fs.writeFileSync(file, TABLE);
    const od = new OriginalDestinations(file);
    const [a, b, missing] = await Promise.all([od.lookup('tcp', 15001, 58874), od.lookup('udp', 15002, 54449), od.lookup('tcp', 15001, 1), od.lookup('tcp', 15001, 40060, 6)]).then(([x, y, z, v6]) => {
      expect(v6).toEqual({ address: '2606:4700::6810:84e5', port: 443 });
      return [x, y, z];
    });
    expect(a).toEqual({ address: '198.51.100.20', port: 9001 });
    expect(b).toEqual({ address: '203.0.113.1', port: 5000 });
    expect(missing).toBeNull();
  });
});
