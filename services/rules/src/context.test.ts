import { describe, expect, it } from 'vitest';
import { BehaviorBuilder, evaluateInput, HOME, PKG_DIR, WORKDIR } from './__fixtures__/builder.js';
import { normalizePath, RuleContext, shortArgv } from './context.js';

describe('RuleContext paths', () => {
  const b = new BehaviorBuilder();
  const pid = b.process(['node', 'x.js'], { cwd: `${PKG_DIR}/lib` });
  const ctx = new RuleContext(evaluateInput(b.build()));

  it('normalizes absolute paths and resolves relative ones against the process cwd', () => {
    expect(ctx.absolute('/a//b/./c/../d/')).toBe('/a/b/d');
    expect(ctx.absolute('/plain/path')).toBe('/plain/path');
    expect(ctx.absolute('../../../.ssh/id_rsa', pid)).toBe(`${HOME}/project/.ssh/id_rsa`);
    expect(ctx.absolute('notes.txt')).toBe(`${WORKDIR}/notes.txt`);
    expect(normalizePath('/../..')).toBe('/');
  });

  it('shows home paths as ~ for this sandbox, /root and any /home user', () => {
    expect(ctx.displayPath(`${HOME}/.aws/credentials`)).toBe('~/.aws/credentials');
    expect(ctx.displayPath('/root/.npmrc')).toBe('~/.npmrc');
    expect(ctx.displayPath('/home/other/.ssh')).toBe('~/.ssh');
    expect(ctx.displayPath('/etc/shadow')).toBe('/etc/shadow');
  });

  it('knows the package area, scratch areas and what lies outside both', () => {
    expect(ctx.inPackageArea(`${PKG_DIR}/build/x.o`)).toBe(true);
    expect(ctx.inPackageArea(`${WORKDIR}/node_modules/.bin/x`)).toBe(true);
    expect(ctx.inPackageArea(`${WORKDIR}/node_modulesX/x`)).toBe(false);
    expect(ctx.inPackageArea(`${WORKDIR}/src/index.js`)).toBe(false);
    expect(ctx.inScratchArea(`${HOME}/.cache/node-gyp/x`)).toBe(true);
    expect(ctx.inScratchArea('/tmp/x')).toBe(true);
    expect(ctx.inScratchArea(`${HOME}/.config/x`)).toBe(false);
    expect(ctx.inScratchArea('/tmpfoo/x')).toBe(false);
  });

  it('keeps summaries on one line', () => {
    expect(shortArgv(['python3', '-c', '\nimport os\nprint(1)\n'])).toBe('python3 -c import os print(1)');
    expect(shortArgv(['x'.repeat(300)]).length).toBe(120);
    // The sandbox's import step reads as what it is.
    expect(shortArgv(['node', '/opt/vetbox/bin/import-npm.cjs', 'left-pad'])).toBe('import of left-pad');
    expect(shortArgv(['python3', '/opt/vetbox/bin/import-py.py', 'qa2-whevil', 'qa2_whevil'])).toBe('import of qa2-whevil qa2_whevil');
  });
});
