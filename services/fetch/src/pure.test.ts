import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hostOfUrl, parseRfc822, pypiDeclaredHosts, sdistImportNames, wheelImportNames } from './metadata.js';
import { expectedDigest, packumentUrl } from './npm.js';
import { normalizeEntryPath } from './paths.js';
import { pickPrevious, versionOrders } from './previous.js';
import { choosePypiFile, isPureWheel, isSandboxCompatibleWheel } from './pypi.js';
import { npmInstallArgs, npmInstallError } from './stage.js';

describe('declared hosts', () => {
  it.each([
    ['github:demo/x', 'github.com'],
    ['demo/x', 'github.com'],
    ['gitlab:demo/x', 'gitlab.com'],
    ['git@bitbucket.org:demo/x.git', 'bitbucket.org'],
    ['git+ssh://git@git.acme.example/demo/x.git', 'git.acme.example'],
    ['git+https://git.acme.example/demo/x.git', 'git.acme.example'],
    ['https://Docs.Acme.Example./x', 'docs.acme.example'],
  ])('%s is on %s', (spec, host) => {
    expect(hostOfUrl(spec)).toBe(host);
  });

  it.each(['http://192.0.2.10/x', 'http://[2001:db8::1]/x', 'http://localhost:8080/', 'https://intranet/', 'not a url', '', 42, null])(
    'names no host for %j',
    (spec) => {
      expect(hostOfUrl(spec)).toBeUndefined();
    },
  );

  it('reads Home-page, Download-URL and every Project-URL of PyPI metadata', () => {
    const headers = parseRfc822(
      'Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nHome-page: https://demo.example/\nDownload-URL: UNKNOWN\n' +
        'Project-URL: Source, https://github.com/demo/demo\nProject-URL: Releases, https://dl.demo.example/releases\n',
    );
    expect(pypiDeclaredHosts(headers)).toEqual(['demo.example', 'github.com', 'dl.demo.example']);
  });
});

describe('normalizeEntryPath', () => {
  it('normalizes harmless forms', () => {
    expect(normalizeEntryPath('./package//lib/./a.js')).toBe('package/lib/a.js');
    expect(normalizeEntryPath('package/')).toBe('package');
    expect(normalizeEntryPath('./')).toBe('');
  });
  it.each([
    ['../x', /traversal/],
    ['a/../../x', /traversal/],
    ['/etc/passwd', /absolute/],
    ['C:/Windows/x', /absolute/],
    ['a\\..\\b', /backslash/],
    ['a\u0000b', /control/],
    ['a\nb', /control/],
    ['', /empty/],
  ])('rejects %j', (name, re) => {
    expect(() => normalizeEntryPath(name)).toThrow(re);
  });
});

describe('npm registry helpers', () => {
  it('escapes scoped names the way the registry wants', () => {
    expect(packumentUrl('https://r.example', '@scope/pkg')).toBe('https://r.example/@scope%2Fpkg');
    expect(packumentUrl('https://r.example', 'is-number')).toBe('https://r.example/is-number');
  });

  it('picks the strongest digest from SRI, falls back to shasum, refuses none', () => {
    const data = Buffer.from('tarball');
    const sha512 = createHash('sha512').update(data).digest('base64');
    const sha1 = createHash('sha1').update(data).digest();
    expect(expectedDigest({ integrity: `sha1-${sha1.toString('base64')} sha512-${sha512}` }, 'x').algorithm).toBe('sha512');
    expect(expectedDigest({ shasum: sha1.toString('hex') }, 'x')).toMatchObject({ algorithm: 'sha1', digest: sha1 });
    expect(() => expectedDigest({}, 'x')).toThrow(/no integrity/);
  });

  it('always installs with scripts disabled and git dependencies refused', () => {
    const args = npmInstallArgs('https://r.example');
    expect(args).toContain('--ignore-scripts');
    expect(args).toContain('--allow-git=none');
    expect(args).toContain('--allow-remote=none');
    expect(args).toContain('--allow-file=root');
    expect(args).toContain('--registry=https://r.example');
  });

  it('maps npm error codes', () => {
    expect(npmInstallError('npm error code E404\nnpm error 404 Not Found', 1).code).toBe('PACKAGE_NOT_FOUND');
    expect(npmInstallError('npm error code ETARGET', 1).code).toBe('PACKAGE_NOT_FOUND');
    expect(npmInstallError('npm error code EINTEGRITY', 1).code).toBe('INTEGRITY_MISMATCH');
    expect(npmInstallError('npm error code ECONNREFUSED', 1).code).toBe('REGISTRY_UNAVAILABLE');
    expect(npmInstallError('npm error code E503', 1).code).toBe('REGISTRY_UNAVAILABLE');
    expect(npmInstallError('npm error code EALLOWGIT', 1).code).toBe('INVALID_INPUT');
    expect(npmInstallError('something else', 1).code).toBe('INTERNAL');
  });
});

describe('PyPI file choice', () => {
  const f = (filename: string, extra = {}) => ({ filename, url: `http://x.invalid/${filename}`, ...extra });
  it('recognizes pure and sandbox-compatible wheels', () => {
    expect(isPureWheel('a-1.0-py3-none-any.whl')).toBe(true);
    expect(isPureWheel('a-1.0-py2.py3-none-any.whl')).toBe(true);
    expect(isPureWheel('a-1.0-py2-none-any.whl')).toBe(false);
    expect(isSandboxCompatibleWheel('a-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl')).toBe(true);
    expect(isSandboxCompatibleWheel('a-1.0-cp38-abi3-manylinux_2_28_x86_64.whl')).toBe(true);
    expect(isSandboxCompatibleWheel('a-1.0-cp312-cp312-manylinux_2_17_x86_64.whl')).toBe(false);
    expect(isSandboxCompatibleWheel('a-1.0-cp311-cp311-manylinux_2_39_x86_64.whl')).toBe(false);
    expect(isSandboxCompatibleWheel('a-1.0-cp311-cp311-macosx_11_0_arm64.whl')).toBe(false);
  });
  it('prefers pure wheel, then sdist, then binary wheel; non-yanked first', () => {
    const sdist = f('a-1.0.tar.gz');
    const pure = f('a-1.0-py3-none-any.whl');
    const bin = f('a-1.0-cp311-cp311-manylinux2014_x86_64.whl');
    expect(choosePypiFile([sdist, bin, pure])).toBe(pure);
    expect(choosePypiFile([bin, sdist, f('a-1.0.zip')])).toBe(sdist);
    expect(choosePypiFile([bin, f('a-1.0-cp311-cp311-win_amd64.whl')])).toBe(bin);
    expect(choosePypiFile([{ ...pure, yanked: true }, sdist])).toBe(sdist);
    expect(choosePypiFile([f('a-1.0.tar.bz2'), f('a-1.0.egg')])).toBeUndefined();
  });
});

describe('pickPrevious', () => {
  const npm = versionOrders.npm;
  it('takes the highest lower version, stable for a stable target', () => {
    const versions = ['1.0.0', '1.2.5', '2.0.0-rc.1', '2.0.0', '1.2.6', '2.1.0'];
    expect(pickPrevious(versions, '2.0.0', npm)).toBe('1.2.6');
    expect(pickPrevious(versions, '1.2.6', npm)).toBe('1.2.5'); // a backport is compared with its own line
    expect(pickPrevious(versions, '2.0.0-rc.1', npm)).toBe('1.2.6');
    expect(pickPrevious(['2.0.0-rc.1', '2.0.0'], '2.0.0', npm)).toBe('2.0.0-rc.1'); // no stable one: use what exists
    expect(pickPrevious(versions, '1.0.0', npm)).toBeNull();
  });
  it('orders PEP 440 versions', () => {
    expect(pickPrevious(['1.0', '1.0.post1', '1.1a1', '1.1', '1.10'], '1.10', versionOrders.pypi)).toBe('1.1');
    expect(pickPrevious(['1.0', '1.0.post1', '1.1a1', '1.1'], '1.1', versionOrders.pypi)).toBe('1.0.post1');
  });
});

describe('metadata parsing', () => {
  it('reads RFC 822 headers up to the body only', () => {
    const h = parseRfc822('Name: a\nVersion: 1\nClassifier: x\nClassifier: y\nDescription: long\n  continued\n\nName: body');
    expect(h.get('name')).toEqual(['a']);
    expect(h.get('classifier')).toEqual(['x', 'y']);
    expect(h.get('description')).toEqual(['long\ncontinued']);
  });
  it('derives import names from wheel files and sdist layout', () => {
    expect(wheelImportNames(['pkg/__init__.py', 'ext.cpython-311-x86_64-linux-gnu.so', 'pkg-1.dist-info/RECORD', 'pkg-1.data/scripts/x', 'README'])).toEqual(['ext', 'pkg']);
    expect(sdistImportNames(['p-1/setup.py', 'p-1/src/core/__init__.py', 'p-1/tests/__init__.py', 'p-1/tool.py', 'p-1/docs/conf.py'], 'p-1')).toEqual(['core', 'tool']);
  });
});
