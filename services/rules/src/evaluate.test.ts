import { describe, expect, it } from 'vitest';
import { Finding } from '@vetbox/contracts';
import { BehaviorBuilder, evaluateInput, HOME } from './__fixtures__/builder.js';
import { fired, run, ruleIds } from './__fixtures__/run.js';
import { esbuildPostinstall, nodeGypBuild, npmrcStealer } from './__fixtures__/scenarios.js';
import { evaluate, MAX_EVIDENCE } from './evaluate.js';

describe('evaluate: legitimate install scripts stay benign', () => {
  it('a node-gyp native build (make/g++/ld, build/ and ~/.cache/node-gyp writes, npm reading ~/.npmrc)', () => {
    const result = run(nodeGypBuild());
    expect(result.verdict).toBe('benign');
    expect(result.findings.every((f) => f.severity === 'low' || f.severity === 'info')).toBe(true);
    // The header download attempt is reported, rated low, and says why.
    const [net] = fired(result, 'network-activity');
    expect(net?.severity).toBe('low');
    expect(net?.explanation).toMatch(/node-gyp/);
    expect(result.score).toBeLessThan(20);
  });

  it('an esbuild-like postinstall (link the platform binary over the shim, run it with --version)', () => {
    const result = run(esbuildPostinstall(), { name: 'esbuild' });
    expect(result.findings).toEqual([]);
    expect(result.verdict).toBe('benign');
    expect(result.score).toBe(0);
    expect(result.summary).toBe('benign: no finding');
  });

  it('a postinstall that only prints a message', () => {
    const b = new BehaviorBuilder();
    const sh = b.lifecycle('echo "Thank you for using core-js!"');
    b.write(sh, '/dev/tty');
    expect(run(b, { name: 'core-js' }).verdict).toBe('benign');
  });
});

describe('evaluate: findings and verdict', () => {
  it('credential read plus exfiltration over HTTP is malicious, with the evidence cited by index', () => {
    const result = run(npmrcStealer());
    expect(result.verdict).toBe('malicious');
    expect(result.score).toBeGreaterThanOrEqual(70);
    expect(ruleIds(result)).toEqual(['credential-store-read', 'network-activity']);
    const read = fired(result, 'credential-store-read')[0]!;
    const behavior = npmrcStealer().build();
    const cited = behavior.files[read.evidence[0]!.index!]!;
    expect(cited.path).toBe(`${HOME}/.npmrc`);
    expect(read.evidence[0]!.summary).toContain('node steal.js');
    expect(result.summary).toMatch(/^malicious: credential-store read together with network activity/);
  });

  it('every finding satisfies the contract schema and carries an evidence hash', () => {
    const result = run(npmrcStealer());
    for (const f of result.findings) {
      expect(Finding.parse(f)).toEqual(f);
      expect(f.evidenceHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
  });

  it('evidence hashes depend on what happened, not on pids, indices, homes or temp names', () => {
    const a = new BehaviorBuilder();
    const shA = a.lifecycle('node x.js');
    a.read(shA, `${HOME}/.ssh/id_rsa`);
    a.write(shA, '/tmp/tmp-3381-Qz8f/x');
    const b = new BehaviorBuilder();
    b.process(['true']); // shifts every pid and index
    const shB = b.lifecycle('node x.js');
    b.write(shB, '/tmp/tmp-9120-Ab1c/x');
    b.read(shB, '/home/vb-k9p1/.ssh/id_rsa');
    const hashA = fired(run(a), 'credential-store-read')[0]!.evidenceHash;
    const hashB = fired(run(b, { sandbox: { home: '/home/vb-k9p1', workdir: '/home/vb-k9p1/project', packageDirs: ['/home/vb-k9p1/project/node_modules/demo-pkg'] } }), 'credential-store-read')[0]!.evidenceHash;
    expect(hashA).toBe(hashB);
    const c = new BehaviorBuilder();
    c.read(c.lifecycle('node x.js'), `${HOME}/.aws/credentials`);
    expect(fired(run(c), 'credential-store-read')[0]!.evidenceHash).not.toBe(hashA);
  });

  it('the credential-exfiltration hash does not depend on the randomized home the canary was planted in', () => {
    const leak = (home: string) => {
      const b = new BehaviorBuilder();
      b.http('collect.attacker.example', 'POST', '/', 'token', b.lifecycle('node x.js'));
      const canaries = [
        {
          kind: 'npmrc',
          planted: `${home}/.npmrc`,
          read: true,
          leaked: true,
          evidence: [{ encoding: 'base64', channel: 'http' as const, destination: 'collect.attacker.example', phase: 'install' as const, index: 0 }],
        },
      ];
      return fired(run(b, { canaries, sandbox: { home, workdir: `${home}/project`, packageDirs: [`${home}/project/node_modules/demo-pkg`] } }), 'credential-exfiltration')[0]!
        .evidenceHash;
    };
    expect(leak('/home/priya-dev')).toBe(leak('/home/anna'));
  });

  it('is deterministic and orders findings by severity', () => {
    const input = evaluateInput(npmrcStealer().build());
    const first = evaluate(input);
    expect(evaluate(input)).toEqual(first);
    const order = first.findings.map((f) => f.severity);
    expect(order).toEqual([...order].sort((x, y) => ['critical', 'high', 'medium', 'low', 'info'].indexOf(x) - ['critical', 'high', 'medium', 'low', 'info'].indexOf(y)));
  });

  it('reports the look-alike target for Report.lookalikeOf', () => {
    expect(run(new BehaviorBuilder(), { name: 'lodahs' }).lookalikeOf).toBe('lodash');
    expect(run(new BehaviorBuilder(), { name: 'lodash' }).lookalikeOf).toBeUndefined();
  });

  it("cites a pipeline once, not once per forked subshell that kept the shell's argv", () => {
    const b = new BehaviorBuilder();
    const sh = b.lifecycle('echo ZWNobyBoaQ== | base64 -d | sh');
    b.child(sh, ['sh', '-c', 'echo ZWNobyBoaQ== | base64 -d | sh']);
    b.child(sh, ['sh', '-c', 'echo ZWNobyBoaQ== | base64 -d | sh']);
    const [f] = fired(run(b), 'shell-execution');
    expect(f?.evidence).toHaveLength(1);
  });

  it('caps cited evidence (high, so floods keep every row) and says how many more there are', () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node x.js');
    for (let i = 0; i < MAX_EVIDENCE + 10; i++) b.write(node, `${HOME}/Documents/file-${i}.txt`);
    const [f] = fired(run(b), 'write-outside-package');
    expect(f?.evidence).toHaveLength(MAX_EVIDENCE + 1);
    expect(f?.evidence[MAX_EVIDENCE]).toEqual({ kind: 'file', summary: '… and 10 more' });
  });
});


describe('evaluate: a payload the later phases run again', () => {
  /** The npmrc stealer's postinstall, then (optionally) the idle window's second install doing `again`. */
  const twice = (again: (b: BehaviorBuilder, node: number) => void) => {
    const b = npmrcStealer().inPhase('idle');
    const node = b.child(b.lifecycle('node steal.js'), ['node', 'steal.js']);
    again(b, node);
    return run(b);
  };
  const sameAgain = (b: BehaviorBuilder, node: number) => {
    b.read(node, `${HOME}/.npmrc`);
    b.dns('collect.attacker.example', node);
    b.connect(node, '203.0.113.7', 80, { hostname: 'collect.attacker.example', sentBytes: 240 });
    b.http('collect.attacker.example', 'POST', '/u', '//registry.npmjs.org/:_authToken=npm_FAKE', node);
  };

  it('is one finding per rule, in the phase it first fired, saying it recurred (same evidence, hash and verdict)', () => {
    const once = run(npmrcStealer());
    const result = twice(sameAgain);
    expect(result.findings.map((f) => [f.rule, f.phase])).toEqual(once.findings.map((f) => [f.rule, f.phase]));
    expect(result.findings.map((f) => f.evidenceHash)).toEqual(once.findings.map((f) => f.evidenceHash));
    expect(result.verdict).toBe(once.verdict);
    // Network findings group per domain over every phase already (#21); the read was a second finding.
    expect(fired(result, 'credential-store-read')[0]!.explanation).toMatch(/It did the same again a year ahead, in the idle window/);
  });

  it('keeps a later finding that says something new: another credential file read a year ahead is its own finding', () => {
    const result = twice((b, node) => {
      b.read(node, `${HOME}/.npmrc`);
      b.read(node, `${HOME}/.aws/credentials`);
    });
    const reads = fired(result, 'credential-store-read');
    expect(reads.map((f) => f.phase).sort()).toEqual(['idle', 'install']);
    expect(reads.find((f) => f.phase === 'idle')!.evidence.some((e) => e.summary.includes('.aws/credentials'))).toBe(true);
    expect(reads.find((f) => f.phase === 'install')!.explanation).not.toMatch(/again/);
  });
});
