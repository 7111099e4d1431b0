import { describe, expect, it } from 'vitest';
import type { CanaryReport } from '@vetbox/contracts';
import { BehaviorBuilder, HOME, PKG_DIR } from '../__fixtures__/builder.js';
import { fired, run } from '../__fixtures__/run.js';

function canary(overrides: Partial<CanaryReport> = {}): CanaryReport {
  return { kind: 'npmrc', planted: '~/.npmrc', read: true, leaked: false, evidence: [], ...overrides };
}

describe('credential-exfiltration', () => {
  it('fires critical when a canary leaked, citing the canary and the carrying request', () => {
    const b = new BehaviorBuilder();
    const sh = b.lifecycle('node x.js');
    b.http('collect.attacker.example', 'POST', '/', 'token', sh);
    const result = run(b, {
      canaries: [
        canary({ leaked: true, evidence: [{ encoding: 'base64', channel: 'http', destination: 'collect.attacker.example', phase: 'install', index: 0 }] }),
      ],
    });
    const [f] = fired(result, 'credential-exfiltration');
    expect(f?.severity).toBe('critical');
    expect(f?.evidence.map((e) => [e.kind, e.index])).toEqual([['canary', 0], ['http', 0]]);
    expect(f?.evidence[1]?.summary).toContain('base64');
    expect(result.verdict).toBe('malicious');
  });

  it('stays silent for canaries that were read (npm reads ~/.npmrc) but never left', () => {
    const result = run(new BehaviorBuilder(), { canaries: [canary(), canary({ kind: 'env-aws', planted: 'AWS_SECRET_ACCESS_KEY', read: null })] });
    expect(fired(result, 'credential-exfiltration')).toEqual([]);
    expect(fired(result, 'credential-store-read')).toEqual([]);
  });
});

describe('credential-store-read', () => {
  const stores = [
    `${HOME}/.ssh/id_rsa`,
    `${HOME}/.aws/credentials`,
    `${HOME}/.pypirc`,
    `${HOME}/.git-credentials`,
    `${HOME}/.config/gh/hosts.yml`,
    `${HOME}/.config/google-chrome/Default/Login Data`,
    `${HOME}/.config/chromium/Default/Cookies`,
    `${HOME}/.mozilla/firefox/abcd.default-release/logins.json`,
    `${HOME}/.bitcoin/wallet.dat`,
    `${HOME}/.ethereum/keystore/UTC--2020`,
    `${HOME}/.config/Exodus/exodus.wallet/seed.seco`,
    `${HOME}/.electrum/wallets/default_wallet`,
    `${HOME}/.config/google-chrome/Default/Local Extension Settings/nkbihfbeogaeaoehlefnkodbefgpgknn/000003.log`,
    '/etc/shadow',
    '/root/.ssh/id_ed25519',
    '/home/someone-else/.aws/config',
  ];
  for (const path of stores) {
    it(`fires high when a lifecycle script's process reads ${path}`, () => {
      const b = new BehaviorBuilder();
      const node = b.child(b.lifecycle('node index.js'), ['node', 'index.js']);
      b.read(node, path);
      const [f] = fired(run(b), 'credential-store-read');
      expect(f?.severity).toBe('high');
      expect(f?.evidence[0]?.summary).toContain('node index.js');
    });
  }

  it('counts a refused attempt, reporting the errno', () => {
    const b = new BehaviorBuilder();
    b.read(b.lifecycle('cat /etc/shadow'), '/etc/shadow', { result: 'EACCES' });
    expect(fired(run(b), 'credential-store-read')[0]?.evidence[0]?.summary).toContain('EACCES');
  });

  it('counts existence checks (stat) of wallets, which mostly do not exist in the sandbox', () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node x.js');
    b.file(node, 'stat', `${HOME}/.config/Exodus`, { result: 'ENOENT' });
    b.file(node, 'stat', `${HOME}/.electrum`, { result: 'ENOENT' });
    const [f] = fired(run(b), 'credential-store-read');
    expect(f?.evidence.map((e) => e.summary)).toEqual([
      'sh -c node x.js checked for ~/.config/Exodus: crypto wallet (ENOENT)',
      'sh -c node x.js checked for ~/.electrum: crypto wallet (ENOENT)',
    ]);
  });

  it("resolves relative paths against the process's cwd", () => {
    const b = new BehaviorBuilder();
    const sh = b.lifecycle('cat ../../../.ssh/id_rsa');
    b.read(sh, '../../../.ssh/id_rsa');
    expect(fired(run(b), 'credential-store-read')).toHaveLength(1);
  });

  it("fires when a script reads another process's environment", () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node scrape.js');
    b.read(node, '/proc/4242/environ');
    expect(fired(run(b), 'credential-store-read')).toHaveLength(1);
  });

  it('fires when a script asks npm for the auth token', () => {
    const b = new BehaviorBuilder();
    b.child(b.lifecycle('npm config get //registry.npmjs.org/:_authToken'), ['npm', 'config', 'get', '//registry.npmjs.org/:_authToken']);
    expect(fired(run(b), 'credential-store-read')).toHaveLength(1);
  });

  it('weighs a configuration read of ~/.npmrc against everything else: low alone, high once the package talks to an unknown host or a canary leaks', () => {
    const quiet = new BehaviorBuilder();
    const tool = quiet.child(quiet.lifecycle('node install.js'), ['node', 'install.js']);
    quiet.read(tool, `${HOME}/.npmrc`);
    const [low] = fired(run(quiet), 'credential-store-read');
    expect(low?.severity).toBe('low');
    expect(run(quiet).verdict).toBe('benign');

    const sends = new BehaviorBuilder();
    const t2 = sends.child(sends.lifecycle('node install.js'), ['node', 'install.js']);
    sends.read(t2, `${HOME}/.npmrc`);
    sends.dns('collector.example', t2);
    expect(fired(run(sends), 'credential-store-read')[0]?.severity).toBe('high');

    const leaked = run(quiet, { canaries: [canary({ leaked: true })] });
    expect(fired(leaked, 'credential-store-read')[0]?.severity).toBe('high');

    const both = new BehaviorBuilder();
    const t3 = both.child(both.lifecycle('node install.js'), ['node', 'install.js']);
    both.read(t3, `${HOME}/.npmrc`);
    both.read(t3, `${HOME}/.ssh/id_rsa`);
    expect(fired(run(both), 'credential-store-read')[0]?.severity).toBe('high');
  });

  it("keeps a configuration read low when the only traffic fetched release artifacts from a binary host (prisma's engines), not when it sent data there", () => {
    const fetches = (method: string, path: string, body = '') => {
      const b = new BehaviorBuilder();
      const cli = b.child(b.lifecycle('node scripts/postinstall.js'), ['node', 'scripts/postinstall.js']);
      b.read(cli, `${HOME}/.npmrc`);
      b.dns('binaries.prisma.sh', cli);
      b.http('binaries.prisma.sh', method, path, body, cli);
      return fired(run(b), 'credential-store-read')[0]?.severity;
    };
    expect(fetches('GET', '/all_commits/d1b3f37/debian-openssl-3.0.x/schema-engine.gz.sha256')).toBe('low');
    expect(fetches('POST', '/all_commits/d1b3f37/debian-openssl-3.0.x/schema-engine.gz.sha256', 'token=abc')).toBe('high');
    expect(fetches('GET', '/collect?npmrc=abc')).toBe('high');

    // A host the package declares (cypress.io's download.cypress.io) is the package's own: any request counts as known.
    const own = new BehaviorBuilder();
    const cli = own.child(own.lifecycle('node index.js --exec install'), ['node', 'index.js', '--exec', 'install']);
    own.read(cli, `${HOME}/.npmrc`);
    own.http('download.cypress.io', 'GET', '/desktop.json?platform=linux&arch=x64', '', cli);
    expect(fired(run(own, { declaredHosts: ['cypress.io'] }), 'credential-store-read')[0]?.severity).toBe('low');
  });

  it('ignores package-manager housekeeping reading ~/.npmrc', () => {
    const b = new BehaviorBuilder();
    const npm = b.npm();
    b.read(npm, `${HOME}/.npmrc`);
    expect(fired(run(b), 'credential-store-read')).toEqual([]);
  });

  it('ignores npm started by a script (`npm run build`) reading its own ~/.npmrc', () => {
    const b = new BehaviorBuilder();
    const npm = b.child(b.lifecycle('npm run build'), ['node', '/usr/lib/node_modules/npm/bin/npm-cli.js', 'run', 'build']);
    b.read(npm, `${HOME}/.npmrc`);
    expect(fired(run(b), 'credential-store-read')).toEqual([]);
  });

  it('ignores near misses: /etc/passwd, ~/.ssh-like names, own files, /proc/self/environ, public key dirs', () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node index.js');
    b.read(node, '/etc/passwd');
    b.read(node, `${HOME}/.sshrc-notes`);
    b.read(node, `${PKG_DIR}/.npmrc`);
    b.read(node, `${PKG_DIR}/test/fixtures/id_rsa.txt`);
    b.read(node, '/proc/self/environ');
    b.read(node, '/etc/ssl/certs/ca-certificates.crt');
    b.read(node, `${HOME}/.config/git/config`);
    expect(fired(run(b), 'credential-store-read')).toEqual([]);
  });
});
