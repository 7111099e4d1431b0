import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StagedPackage } from '@vetbox/contracts';
import { STEPS_RUNNER } from '@vetbox/contracts';
import { packageDirs, phaseCommand, stepLine } from './commands.js';

const npm: StagedPackage = { ecosystem: 'npm', name: 'left-pad', version: '1.3.0', source: 'registry', sha256: '', size: 0, dir: '/nope', archiveFile: 'left-pad-1.3.0.tgz', importNames: ['left-pad'], entryPoints: [] };

describe('phase commands', () => {
  it('npm: a plain `npm install` in the project (npm_command=install, not rebuild); import is `node -e "import(\'pkg\')"`', () => {
    expect(phaseCommand('install', npm)).toEqual(['npm', 'install']);
    const load = (n: string) => `import('${n}').catch((e) => e.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' ? require('${n}') : Promise.reject(e))`;
    expect(phaseCommand('import', npm)).toEqual(['node', '-e', load('left-pad')]);
    expect(phaseCommand('import', { ...npm, importNames: ['a', '@s/b'] })).toEqual(['node', '-e', `${load('a')}.then(() => ${load('@s/b')})`]);
    expect(packageDirs(npm, '/home/u', '/home/u/projects/x')).toEqual(['/home/u/projects/x/node_modules/left-pad']);
  });

  it('pypi: offline pip from dist/, --no-deps only when no dependency archives were staged', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vetbox-cmd-'));
    await mkdir(path.join(dir, 'dist'));
    await writeFile(path.join(dir, 'dist', 'foo-1.0.tar.gz'), '');
    const py: StagedPackage = { ...npm, ecosystem: 'pypi', name: 'foo', version: '1.0', dir, archiveFile: 'dist/foo-1.0.tar.gz', importNames: [] };
    const install = phaseCommand('install', py);
    expect(install.slice(0, 4)).toEqual(['python3', '-m', 'pip', 'install']);
    expect(install).toEqual(expect.arrayContaining(['--no-index', '--find-links', 'dist', '--no-build-isolation', '--no-deps', '--user', 'dist/foo-1.0.tar.gz']));
    await writeFile(path.join(dir, 'dist', 'bar-2.0-py3-none-any.whl'), '');
    expect(phaseCommand('install', py)).not.toContain('--no-deps');
    const [bash, c, runner, argv0, script] = phaseCommand('import', py);
    expect([bash, c, runner, argv0]).toEqual(['/bin/bash', '-c', STEPS_RUNNER, 'bash']);
    expect(script!.split('\n')).toEqual([
      '{ exec 0<&3 3<&-',
      `exec python3 <<< 'exec(compile(open("/usr/local/libexec/import-py.py").read(), "<stdin>", "exec"), {"__name__": "__main__", "__builtins__": __builtins__, "argv": ["","foo"]})'`,
      'exit',
      '}',
    ]);
  });

  it('pypi: staged dependencies are resolved by pip when complete, installed as given when some are missing', () => {
    const py: StagedPackage = { ...npm, ecosystem: 'pypi', name: 'foo', version: '1.0', archiveFile: 'dist/foo-1.0.tar.gz', importNames: [] };
    const archives = ['dist/bar-2.0-py3-none-any.whl', 'dist/baz-1.0.tar.gz'];
    const complete = phaseCommand('install', { ...py, dependencies: { archives, complete: true, notes: [] } });
    expect(complete).not.toContain('--no-deps');
    expect(complete.at(-1)).toBe('dist/foo-1.0.tar.gz');
    const partial = phaseCommand('install', { ...py, dependencies: { archives, complete: false, notes: ['qux: not found'] } });
    expect(partial).toContain('--no-deps');
    expect(partial.slice(-3)).toEqual(['dist/foo-1.0.tar.gz', ...archives]);
    expect(phaseCommand('install', { ...py, dependencies: { archives: [], complete: true, notes: [] } })).toContain('--no-deps');
  });

  it("the steps runner's script quotes every word for bash", () => {
    expect(stepLine(['npm', 'install'])).toBe("'npm' 'install'");
    expect(stepLine(["it's", 'a b', '$HOME'])).toBe(`'it'\\''s' 'a b' '$HOME'`);
  });
});
