import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CanaryKind } from '@vetbox/contracts';
import { generateCanaries } from './generate.js';

const home = '/home/alice';
const workdir = '/home/alice/projects/billing';

describe('generateCanaries', () => {
  const c = generateCanaries({ home, workdir, hostname: 'alice-thinkpad' });

  it('plants realistic environment variables', () => {
    expect(c.env.AWS_ACCESS_KEY_ID).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(c.env.AWS_SECRET_ACCESS_KEY).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(c.env.NPM_TOKEN).toMatch(/^npm_[A-Za-z0-9]{36}$/);
    expect(c.env.GITHUB_TOKEN).toMatch(/^ghp_[A-Za-z0-9]{36}$/);
    expect(c.env.PYPI_TOKEN).toMatch(/^pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{80,}$/);
  });

  it('plants every credential file with its unique value, private modes', () => {
    const byPath = new Map(c.files.map((f) => [f.path, f]));
    for (const p of ['.npmrc', '.pypirc', '.aws/credentials', '.ssh/id_rsa', '.ssh/id_rsa.pub', '.git-credentials', '.config/gh/hosts.yml', 'projects/billing/.env', '.config/google-chrome/Default/Cookies']) {
      expect(byPath.has(p), p).toBe(true);
    }
    expect(byPath.get('.npmrc')!.content).toMatch(/^\/\/registry\.npmjs\.org\/:_authToken=npm_[A-Za-z0-9]{36}\n/);
    expect(byPath.get('.ssh/id_rsa')!.mode).toBe(0o600);
    for (const canary of c.canaries) {
      expect(CanaryKind.options).toContain(canary.kind);
      if (canary.file) {
        const file = byPath.get(canary.file.slice(home.length + 1))!;
        for (const v of canary.values) expect(Buffer.from(file.content).includes(v), canary.kind).toBe(true);
      } else {
        expect(c.env[canary.planted]).toBe(canary.values[0]);
      }
    }
    expect(new Set(c.canaries.map((x) => x.kind))).toEqual(new Set(CanaryKind.options.filter((k) => k !== 'identity' && k !== 'environment')));
  });

  it('writes a real RSA key and a matching OpenSSH public key', () => {
    const priv = c.files.find((f) => f.path === '.ssh/id_rsa')!.content;
    const pub = c.files.find((f) => f.path === '.ssh/id_rsa.pub')!.content;
    const key = crypto.createPrivateKey(priv);
    expect(key.asymmetricKeyType).toBe('rsa');
    const blob = Buffer.from(pub.split(' ')[1]!, 'base64');
    const n = Buffer.from(crypto.createPublicKey(key).export({ format: 'jwk' }).n!, 'base64url');
    expect(blob.includes(n)).toBe(true);
    expect(pub).toMatch(/^ssh-rsa AAAAB3NzaC1yc2E[A-Za-z0-9+/=]+ alice@alice-thinkpad\n$/);
  });

  it('never repeats a value between analyses', () => {
    const other = generateCanaries({ home, workdir });
    const values = (x: typeof c) => x.canaries.flatMap((k) => k.values);
    const mine = new Set(values(c));
    for (const v of values(other)) expect(mine.has(v)).toBe(false);
  });

  it('keeps a workdir outside the home absolute', () => {
    const outside = generateCanaries({ home, workdir: '/srv/app' });
    expect(outside.files.some((f) => f.path === '/srv/app/.env')).toBe(true);
    expect(outside.canaries.find((k) => k.kind === 'dotenv')!.planted).toBe('/srv/app/.env');
  });

  it('writes the browser cookie store as a real SQLite database (read back with sqlite3)', () => {
    const file = c.files.find((f) => f.path === '.config/google-chrome/Default/Cookies')!;
    const session = c.canaries.find((k) => k.kind === 'browser-cookies')!.values[0]!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cookies-'));
    fs.writeFileSync(path.join(dir, 'Cookies'), file.content);
    const out = execFileSync('python3', [
      '-c',
      'import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); print(db.execute("pragma integrity_check").fetchone()[0]); ' +
        'print("\\n".join("%s|%s|%s" % r for r in db.execute("select host_key,name,value from cookies order by rowid")))',
      path.join(dir, 'Cookies'),
    ]).toString();
    expect(out.split('\n').slice(0, 3)).toEqual(['ok', `.github.com|user_session|${session}`, '.github.com|logged_in|yes']);
  });
});

// #15 bait tells: a stealer that greps what it found for giveaway words, or compares keys with the
// documentation's examples, must find a developer's real-looking secrets.
describe('planted credentials carry no giveaway', () => {
  // Random token bodies are masked first: a 40-character random value may spell `test` by chance.
  const mask = (text: string) => text.replace(/[A-Za-z0-9+/=_-]{16,}/g, '#');
  const TELL_WORDS = /fake|honey|canary|dummy|test|sample|example|sinkhole|sandbox|vetbox|decoy|trap/i;
  const DOCUMENTED_KEYS = ['AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'AKIAI44QH8DHBEXAMPLE', 'je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY'];

  it('no file, variable name or value holds a tell word, a test-mode prefix or a documented example key', () => {
    for (let i = 0; i < 25; i++) {
      const c = generateCanaries({ home: '/home/maya.okafor', workdir: '/home/maya.okafor/code/invoices', hostname: 'maya-xps13' });
      const texts = [
        ...Object.entries(c.env).map(([k, v]) => `${k}=${v}`),
        ...c.files.map((f) => `${f.path}\n${typeof f.content === 'string' ? f.content : f.content.toString('latin1')}`),
      ];
      for (const text of texts) {
        expect(mask(text), text.slice(0, 80)).not.toMatch(TELL_WORDS);
        expect(text).not.toMatch(/\b[spr]k_test_|\bnpm_test|example|canary|honey/i);
        for (const key of DOCUMENTED_KEYS) expect(text).not.toContain(key);
      }
    }
  });
});
