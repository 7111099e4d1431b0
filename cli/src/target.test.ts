import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VetboxError } from '@vetbox/contracts';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { describeTarget, parsePhases, parseTarget } from './target.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vetbox-target-'));
const archive = path.join(dir, 'pkg-1.0.0.tgz');
fs.writeFileSync(archive, 'not checked here');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function failure(spec: string): VetboxError {
  try {
    parseTarget(spec, dir);
  } catch (err) {
    expect(err).toBeInstanceOf(VetboxError);
    expect((err as VetboxError).code).toBe('INVALID_INPUT');
    return err as VetboxError;
  }
  throw new Error(`${spec} parsed`);
}

describe('parseTarget', () => {
  it.each([
    ['npm:left-pad@1.3.0', { kind: 'registry', ecosystem: 'npm', name: 'left-pad', version: '1.3.0' }],
    ['npm:@scope/x@1.0.0', { kind: 'registry', ecosystem: 'npm', name: '@scope/x', version: '1.0.0' }],
    ['npm:@types/node@20.19.0-beta.1', { kind: 'registry', ecosystem: 'npm', name: '@types/node', version: '20.19.0-beta.1' }],
    ['pypi:requests==2.32.3', { kind: 'registry', ecosystem: 'pypi', name: 'requests', version: '2.32.3' }],
    ['pypi:Django==5.1rc1', { kind: 'registry', ecosystem: 'pypi', name: 'Django', version: '5.1rc1' }],
    [' npm:a@1.0.0 ', { kind: 'registry', ecosystem: 'npm', name: 'a', version: '1.0.0' }],
    // Pre-2017 names with capitals are still on the registry and in lockfiles.
    ['npm:JSONStream@1.3.5', { kind: 'registry', ecosystem: 'npm', name: 'JSONStream', version: '1.3.5' }],
  ])('%s', (spec, expected) => {
    expect(parseTarget(spec, dir)).toEqual(expected);
  });

  it('resolves an existing archive path against cwd', () => {
    expect(parseTarget('pkg-1.0.0.tgz', dir)).toEqual({ kind: 'archive', path: archive });
    expect(parseTarget(archive, '/')).toEqual({ kind: 'archive', path: archive });
  });

  it.each([
    ['', /empty target/],
    ['npm:left-pad', /has no version/],
    ['npm:@scope/x', /has no version/],
    ['npm:left-pad@', /has no version/],
    ['npm:Left_Pad!@1.0.0', /not a valid npm package name/],
    ['npm:a@1.0.0 && rm -rf /', /not a valid version/],
    ['pypi:requests@2.32.3', /PyPI pins use ==/],
    ['pypi:requests==', /has no version/],
    ['pypi:-bad==1.0', /not a valid PyPI project name/],
    ['left-pad@1.3.0', /npm: or pypi: prefix/],
    ['missing.tgz', /no such file exists/],
  ])('rejects %j', (spec, message) => {
    const err = failure(spec);
    expect(err.message).toMatch(message);
    expect(err.message).toContain('expected npm:<name>@<version>');
  });

  it('rejects a directory', () => {
    expect(failure('.').message).toMatch(/not a regular file/);
  });

  it('describes targets the way they are written', () => {
    expect(describeTarget(parseTarget('npm:@scope/x@1.0.0'))).toBe('npm:@scope/x@1.0.0');
    expect(describeTarget(parseTarget('pypi:requests==2.32.3'))).toBe('pypi:requests==2.32.3');
  });
});

describe('parsePhases', () => {
  it('keeps run order and drops duplicates', () => {
    expect(parsePhases('import,install,import')).toEqual(['install', 'import']);
    expect(parsePhases('next-login,execute,idle')).toEqual(['execute', 'idle', 'next-login']);
    expect(parsePhases('install')).toEqual(['install']);
  });
  it('rejects unknown and empty lists', () => {
    expect(() => parsePhases('install,detonate')).toThrow(/unknown phase "detonate"/);
    expect(() => parsePhases(' , ')).toThrow(/at least one/);
  });
});

describe('exitCodeFor', () => {
  it('maps verdicts to 0/1/2/3', () => {
    expect(exitCodeFor('benign')).toBe(0);
    expect(exitCodeFor('suspicious')).toBe(1);
    expect(exitCodeFor('malicious')).toBe(2);
    expect(exitCodeFor('error')).toBe(3);
    expect(EXIT.error).toBe(3);
  });
});
