import { describe, expect, it } from 'vitest';
import { BehaviorBuilder } from './__fixtures__/builder.js';
import { fired, run } from './__fixtures__/run.js';
import { evaluateInput } from './__fixtures__/builder.js';
import { evaluate } from './evaluate.js';
import { buildPopularIndex, checkTyposquat, checkTyposquatIn } from './typosquat.js';

describe('checkTyposquat', () => {
  const hits: Array<[string, string, string]> = [
    ['lodahs', 'lodash', 'transposition'],
    ['loadsh', 'lodash', 'transposition'],
    ['expresss', 'express', 'doubled-letter'],
    ['mongose', 'mongoose', 'missing-letter'],
    ['crossenv', 'cross-env', 'separators'],
    ['cross_env', 'cross-env', 'separators'],
    ['types-node', '@types/node', 'scope'],
    ['babel_core', '@babel/core', 'scope'],
    ['lodash-js', 'lodash', 'affix'],
    ['axiosjs', 'axios', 'affix'],
    ['node-express', 'express', 'affix'],
    ['express2', 'express', 'affix'],
    ['noderequest', 'request', 'affix'],
    ['@lodash/lodash', 'lodash', 'scope'],
    ['typescriptt', 'typescript', 'doubled-letter'],
    ['webpack-clii', 'webpack-cli', 'doubled-letter'],
    ['raect', 'react', 'transposition'],
  ];
  for (const [name, target, technique] of hits) {
    it(`npm: ${name} looks like ${target} (${technique})`, () => {
      const m = checkTyposquat('npm', name);
      expect(m?.target).toBe(target);
      expect(m?.technique).toBe(technique);
      expect(m?.description).toContain(target);
    });
  }

  const pypiHits: Array<[string, string]> = [
    ['reqeusts', 'requests'],
    ['python-requests', 'requests'],
    ['requests-python', 'requests'],
    ['urlib3', 'urllib3'],
    ['py-numpy', 'numpy'],
    ['colourama', 'colorama'],
    ['beautifulsoup-4', 'beautifulsoup4'],
  ];
  for (const [name, target] of pypiHits) {
    it(`pypi: ${name} looks like ${target}`, () => {
      expect(checkTyposquat('pypi', name)?.target).toBe(target);
    });
  }

  it('does not flag the popular packages themselves, in any PyPI spelling', () => {
    for (const name of ['lodash', 'express', '@types/node', '@babel/core', 'esbuild', 'core-js', '@parcel/watcher', 'protobufjs']) {
      expect(checkTyposquat('npm', name)).toBeNull();
    }
    for (const name of ['requests', 'Requests', 'python_dateutil', 'python-dateutil', 'typing.extensions']) {
      expect(checkTyposquat('pypi', name)).toBeNull();
    }
  });

  it('ignores near misses: unrelated names, short names, @types packages and naming families', () => {
    for (const name of ['my-own-tool', 'vetbox-demo', 'dargs2x', 'reqs', '@types/left-pad-x', '@acme/react', 'xyzzy-lib']) {
      expect(checkTyposquat('npm', name), name).toBeNull();
    }
    const index = buildPopularIndex('npm', ['@aws-sdk/client-sts\t1', 'tree-sitter-c\t1', 'yargs\t1'].join('\n'));
    expect(checkTyposquatIn(index, 'npm', '@aws-sdk/client-sqs')).toBeNull();
    expect(checkTyposquatIn(index, 'npm', 'dargs')).toBeNull();
    expect(checkTyposquatIn(index, 'npm', 'es2016-tree-sitter-c')).toBeNull();
  });

  it('rates weak resemblances low: dropped affixes and two edits in a long name', () => {
    expect(checkTyposquatIn(buildPopularIndex('pypi', 'python-gnupg\t1'), 'pypi', 'gnupg')?.severity).toBe('low');
    expect(checkTyposquat('npm', 'typescirpt-eslint')?.severity).toBe('medium');
    const index = buildPopularIndex('npm', 'eslint-plugin-react\t1');
    expect(checkTyposquatIn(index, 'npm', 'eslint-plugin-reakt2')?.severity).toBe('low');
  });

  it('prefers the more popular target on ties', () => {
    const index = buildPopularIndex('npm', ['colors\t10', 'color\t5'].join('\n'));
    // "colorss" is a doubled letter of "colors" (1 edit) and 2 edits from "color": distance wins.
    expect(checkTyposquatIn(index, 'npm', 'colorss')?.target).toBe('colors');
    const tie = buildPopularIndex('npm', ['abcdefgh\t10', 'abcdefgj\t5'].join('\n'));
    expect(checkTyposquatIn(tie, 'npm', 'abcdefgk')?.target).toBe('abcdefgh');
  });
});

describe('typosquatting rule', () => {
  it('fires with the target named, phase null, evidence of kind package', () => {
    const [f] = fired(run(new BehaviorBuilder(), { name: 'lodahs' }), 'typosquatting');
    expect(f?.title).toBe('Name looks like "lodash"');
    expect(f?.severity).toBe('medium');
    expect(f?.phase).toBeNull();
    expect(f?.evidence[0]?.kind).toBe('package');
  });

  it('makes an otherwise quiet look-alike suspicious, and a look-alike with high behavior malicious', () => {
    expect(run(new BehaviorBuilder(), { name: 'lodahs' }).verdict).toBe('suspicious');
    const b = new BehaviorBuilder();
    b.connect(b.lifecycle('node x.js'), '203.0.113.7', 443);
    expect(run(b, { name: 'lodahs' }).verdict).toBe('malicious');
    expect(run(b, { name: 'left-pad-plus-x' }).verdict).toBe('suspicious');
  });

  it('a name long established when the version came out is rated info, and stays benign', () => {
    const input = evaluateInput(new BehaviorBuilder().build(), { name: 'lodahs' });
    const old = { ...input.package, firstPublished: '2013-02-01T00:00:00.000Z', versionPublished: '2026-09-01T00:00:00.000Z' };
    const result = evaluate({ ...input, package: old });
    const [f] = fired(result, 'typosquatting');
    expect(f?.severity).toBe('info');
    expect(f?.explanation).toContain('published in 2013, 13 years before this version');
    expect(result.verdict).toBe('benign');
    // A young name (or one with no history) keeps its severity.
    const young = { ...input.package, firstPublished: '2026-08-01T00:00:00.000Z', versionPublished: '2026-09-01T00:00:00.000Z' };
    expect(fired(evaluate({ ...input, package: young }), 'typosquatting')[0]?.severity).toBe('medium');
  });

  it('does not fire for a popular package', () => {
    expect(fired(run(new BehaviorBuilder(), { name: 'esbuild' }), 'typosquatting')).toEqual([]);
  });
});

describe('archive-quirk', () => {
  it('names each path an installer reads differently from a reviewer, once per package', () => {
    const input = evaluateInput(new BehaviorBuilder().build());
    const quirk = { kind: 'duplicate-entry' as const, path: 'package/index.js', detail: '"package/index.js" appears more than once in the archive; npm and pip install the last copy' };
    const result = evaluate({ ...input, package: { ...input.package, archiveQuirks: [quirk] } });
    const [f] = fired(result, 'archive-quirk');
    expect(f).toMatchObject({ severity: 'medium', title: 'The archive holds package/index.js twice', phase: null });
    expect(f.evidence).toEqual([expect.objectContaining({ kind: 'package', summary: quirk.detail })]);
    expect(result.verdict).toBe('suspicious');
    expect(fired(run(new BehaviorBuilder()), 'archive-quirk')).toEqual([]);
  });

  it('manifest confusion is its own high finding (hidden install code), not a duplicate-entry one', () => {
    const input = evaluateInput(new BehaviorBuilder().build());
    const quirk = {
      kind: 'manifest-confusion' as const,
      path: 'package.json#scripts',
      detail: "the registry's metadata for x@1.0.0 declares no install script, so npm would skip them; the tarball's package.json runs postinstall: \"node i.js\"",
    };
    const result = evaluate({ ...input, package: { ...input.package, archiveQuirks: [quirk] } });
    expect(fired(result, 'archive-quirk')).toEqual([]);
    const [f] = fired(result, 'manifest-confusion');
    expect(f).toMatchObject({ severity: 'high', phase: null, explanation: expect.stringMatching(/cannot produce either\. The registry's metadata for x@1\.0\.0/) });
    expect(f.evidence).toEqual([expect.objectContaining({ kind: 'package', summary: quirk.detail })]);
    expect(result.verdict).toBe('suspicious');
    expect(fired(run(new BehaviorBuilder()), 'manifest-confusion')).toEqual([]);
    // A hidden dependency too: one finding per mismatch, titled by what it hides.
    const deps = { kind: 'manifest-confusion' as const, path: 'package.json#dependencies', detail: "the registry's metadata for x@1.0.0 lists dependencies its tarball's package.json does not: y" };
    const both = fired(evaluate({ ...input, package: { ...input.package, archiveQuirks: [quirk, deps] } }), 'manifest-confusion');
    expect(both.map((x) => x.title)).toEqual(['The registry metadata hides the install scripts the tarball runs', 'The registry metadata adds dependencies the package does not declare']);
  });
});
