import path from 'node:path';
import type { CanaryKind } from '@vetbox/contracts';
import {
  awsAccessKeyId,
  awsAccountId,
  awsSecretAccessKey,
  githubToken,
  npmToken,
  password,
  pypiToken,
  sessionCookie,
  sshKeyPair,
  stripeSecretKey,
} from './formats.js';
import { sqliteDatabase, type SqlValue } from './sqlite.js';

/** A file to plant: `path` is relative to the home, or absolute when outside it. */
export interface CanaryFile {
  path: string;
  /** Text, or bytes for binary stores (the cookie database). */
  content: string | Buffer;
  mode: number;
}

/** One planted secret and what to search captures for. */
export interface PlantedCanary {
  kind: CanaryKind;
  /** Env var name, or the absolute path of the file holding it. */
  planted: string;
  /** Unique values whose presence in a capture proves the canary left (any one suffices). */
  values: string[];
  /** Absolute path of the file, for read detection (absent for env canaries). */
  file?: string;
  /** First characters of the value, for reviewers. */
  preview: string;
}

/**
 * The planted credentials by service, for the sinkhole's token-validation answers: a stealer
 * that checks a token before sending it (GitHub `/user`, npm whoami, STS GetCallerIdentity)
 * gets a live account for these and `401` for anything else, as from the real service.
 */
export interface ValidCredentials {
  github: string[];
  npm: string[];
  pypi: string[];
  stripe: string[];
  aws: { accessKeyId: string; account: string }[];
}

export interface Canaries {
  env: Record<string, string>;
  files: CanaryFile[];
  canaries: PlantedCanary[];
  credentials: ValidCredentials;
}

export interface GenerateCanariesOptions {
  /** The sandbox user's home (absolute). */
  home: string;
  /** The project directory (absolute); its `.env` is planted too. */
  workdir: string;
  /** Used in the SSH key comment and git identity (default: the home's last segment). */
  user?: string;
  /** The machine's name, for the SSH key comment (`user@host`, as ssh-keygen writes it). */
  hostname?: string;
}

/** Chrome's microseconds since 1601-01-01. */
function chromeTime(ms: number): bigint {
  return (BigInt(ms) + 11_644_473_600_000n) * 1000n;
}

const COOKIES_SQL =
  'CREATE TABLE cookies(creation_utc INTEGER NOT NULL,host_key TEXT NOT NULL,top_frame_site_key TEXT NOT NULL,' +
  'name TEXT NOT NULL,value TEXT NOT NULL,encrypted_value BLOB NOT NULL,path TEXT NOT NULL,expires_utc INTEGER NOT NULL,' +
  'is_secure INTEGER NOT NULL,is_httponly INTEGER NOT NULL,last_access_utc INTEGER NOT NULL,has_expires INTEGER NOT NULL,' +
  'is_persistent INTEGER NOT NULL,priority INTEGER NOT NULL,samesite INTEGER NOT NULL,source_scheme INTEGER NOT NULL,' +
  'source_port INTEGER NOT NULL,last_update_utc INTEGER NOT NULL)';

function chromeCookies(session: string): Buffer {
  const now = Date.now();
  const row = (host: string, name: string, value: string, ageDays: number): SqlValue[] => [
    chromeTime(now - ageDays * 86_400_000),
    host,
    '',
    name,
    value,
    Buffer.alloc(0),
    '/',
    chromeTime(now + 14 * 86_400_000),
    1,
    1,
    chromeTime(now - 3_600_000),
    1,
    1,
    1,
    0,
    2,
    443,
    chromeTime(now - 3_600_000),
  ];
  return sqliteDatabase([
    { name: 'meta', sql: 'CREATE TABLE meta(key LONGVARCHAR NOT NULL, value LONGVARCHAR)', rows: [['version', '21'], ['last_compatible_version', '18']] },
    {
      name: 'cookies',
      sql: COOKIES_SQL,
      rows: [
        row('.github.com', 'user_session', session, 9),
        row('.github.com', 'logged_in', 'yes', 9),
        row('.npmjs.com', '_ga', `GA1.2.${1_000_000_000 + (now % 1_000_000_000)}.${Math.floor(now / 1000) - 86_400 * 40}`, 40),
      ],
    },
  ]);
}

function preview(value: string): string {
  return value.length > 12 ? `${value.slice(0, 8)}…` : value;
}

/**
 * Distinctive pieces of a long secret (an SSH key): a leak usually carries the whole file, and
 * a piece survives re-wrapping or partial sends better than the whole.
 */
function keyPieces(pem: string): string[] {
  const lines = pem.split('\n').filter((l) => l && !l.startsWith('-----'));
  return [lines[3], lines[Math.floor(lines.length / 2)]].filter((l): l is string => !!l).map((l) => l.slice(0, 48));
}

/**
 * Fresh fake credentials for one analysis, planted where developers keep real ones. Every value
 * is random, so a value seen in the sinkhole's capture can only have come from this sandbox.
 */
export function generateCanaries(opts: GenerateCanariesOptions): Canaries {
  const home = opts.home.replace(/\/+$/, '');
  const user = opts.user ?? path.posix.basename(home);
  const abs = (rel: string) => (path.posix.isAbsolute(rel) ? rel : path.posix.join(home, rel));
  const inHome = (p: string) => (p.startsWith(`${home}/`) ? p.slice(home.length + 1) : p);
  const files: CanaryFile[] = [];
  const canaries: PlantedCanary[] = [];
  const plantBinary = (kind: CanaryKind, rel: string, content: Buffer, values: string[]) => {
    files.push({ path: rel, content, mode: 0o600 });
    canaries.push({ kind, planted: abs(rel), file: abs(rel), values, preview: preview(values[0]!) });
  };
  const plantFile = (kind: CanaryKind, rel: string, content: string, values: string[], mode = 0o600) => {
    files.push({ path: rel, content, mode });
    canaries.push({ kind, planted: abs(rel), file: abs(rel), values, preview: preview(values[0]!) });
  };

  // One developer, one AWS account: the environment's and the credentials file's keys agree.
  const account = awsAccountId();
  // Environment variables
  const env: Record<string, string> = {
    AWS_ACCESS_KEY_ID: awsAccessKeyId(account),
    AWS_SECRET_ACCESS_KEY: awsSecretAccessKey(),
    NPM_TOKEN: npmToken(),
    GITHUB_TOKEN: githubToken('ghp'),
    PYPI_TOKEN: pypiToken(),
  };
  const envKinds: Record<string, CanaryKind> = {
    AWS_ACCESS_KEY_ID: 'env-aws',
    AWS_SECRET_ACCESS_KEY: 'env-aws',
    NPM_TOKEN: 'env-npm',
    GITHUB_TOKEN: 'env-github',
    PYPI_TOKEN: 'env-pypi',
  };
  for (const [name, value] of Object.entries(env)) {
    canaries.push({ kind: envKinds[name]!, planted: name, values: [value], preview: preview(value) });
  }

  const npm = npmToken();
  plantFile('npmrc', '.npmrc', `//registry.npmjs.org/:_authToken=${npm}\nfund=false\n`, [npm]);

  const pypi = pypiToken();
  plantFile(
    'pypirc',
    '.pypirc',
    `[distutils]\nindex-servers =\n    pypi\n\n[pypi]\nusername = __token__\npassword = ${pypi}\n`,
    [pypi],
  );

  const awsId = awsAccessKeyId(account);
  const awsSecret = awsSecretAccessKey();
  plantFile(
    'aws-credentials',
    '.aws/credentials',
    `[default]\naws_access_key_id = ${awsId}\naws_secret_access_key = ${awsSecret}\n`,
    [awsId, awsSecret],
  );

  const ssh = sshKeyPair(`${user}@${opts.hostname ?? 'localhost'}`);
  plantFile('ssh-key', '.ssh/id_rsa', ssh.privatePem, keyPieces(ssh.privatePem));
  files.push({ path: '.ssh/id_rsa.pub', content: ssh.publicLine, mode: 0o644 });

  const gitToken = githubToken('ghp');
  plantFile('git-credentials', '.git-credentials', `https://${user}:${gitToken}@github.com\n`, [gitToken]);

  const ghToken = githubToken('gho');
  plantFile(
    'gh-hosts',
    '.config/gh/hosts.yml',
    `github.com:\n    users:\n        ${user}:\n            oauth_token: ${ghToken}\n    git_protocol: https\n    oauth_token: ${ghToken}\n    user: ${user}\n`,
    [ghToken],
  );

  const stripe = stripeSecretKey();
  const dbPassword = password(24);
  plantFile(
    'dotenv',
    inHome(path.posix.join(opts.workdir, '.env')),
    `NODE_ENV=development\nDATABASE_URL=postgres://app:${dbPassword}@db.internal:5432/app\nSTRIPE_SECRET_KEY=${stripe}\n`,
    [stripe, dbPassword],
  );

  // A browser profile's cookie store: a real SQLite database at Chrome's path on Linux.
  const cookie = sessionCookie();
  plantBinary('browser-cookies', '.config/google-chrome/Default/Cookies', chromeCookies(cookie), [cookie]);

  const credentials: ValidCredentials = {
    github: [env.GITHUB_TOKEN!, gitToken, ghToken],
    npm: [env.NPM_TOKEN!, npm],
    pypi: [env.PYPI_TOKEN!, pypi],
    stripe: [stripe],
    aws: [env.AWS_ACCESS_KEY_ID!, awsId].map((accessKeyId) => ({ accessKeyId, account })),
  };
  return { env, files, canaries, credentials };
}
