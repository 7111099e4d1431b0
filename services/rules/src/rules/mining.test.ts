import { describe, expect, it } from 'vitest';
import { BehaviorBuilder } from '../__fixtures__/builder.js';
import { fired, run } from '../__fixtures__/run.js';

describe('crypto-mining', () => {
  it('fires critical for a miner binary and a stratum URL', () => {
    const b = new BehaviorBuilder();
    const sh = b.lifecycle('./xmrig -o stratum+tcp://pool.invalid:3333 -u 4Abc');
    b.child(sh, ['/tmp/xmrig', '-o', 'stratum+tcp://pool.invalid:3333', '-u', '4Abc', '--donate-level', '1']);
    const result = run(b);
    expect(fired(result, 'crypto-mining')[0]?.severity).toBe('critical');
    expect(result.verdict).toBe('malicious');
  });

  it('fires critical for the stratum protocol on a pool port, whatever the binary is called', () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node w.js');
    b.connect(node, '198.51.100.9', 3333, {
      sent: '{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"4Abc","pass":"x","agent":"XMRig/6.21.0"}}',
    });
    expect(fired(run(b), 'crypto-mining')[0]?.severity).toBe('critical');
  });

  it('fires high for a mining-pool lookup alone', () => {
    const b = new BehaviorBuilder();
    b.dns('pool.supportxmr.com', b.lifecycle('node w.js'));
    expect(fired(run(b), 'crypto-mining')[0]?.severity).toBe('high');
  });

  it('ignores a pool port without the protocol, NTP pools, and words like "miner" in arguments', () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node x.js --data-miner');
    b.connect(node, '198.51.100.9', 3333, { sent: 'GET / HTTP/1.1' });
    b.dns('0.debian.pool.ntp.org', node);
    b.child(node, ['node', 'scripts/miner-stats.js']);
    expect(fired(run(b), 'crypto-mining')).toEqual([]);
  });
});
