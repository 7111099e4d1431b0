import { describe, expect, it } from 'vitest';
import type { GateDecision } from './decide.js';
import { fileVersion, listPypiVersions, negotiateSimple, parseSimpleProject, renderSimpleProject, simpleHtml, type SimpleFile, type SimpleProject } from './pypi.js';

const sha = (c: string) => c.repeat(64);

// Shaped like https://pypi.org/simple/<project>/ with Accept: application/vnd.pypi.simple.v1+json.
const file = (filename: string, digest: string, extra: Partial<SimpleFile> = {}): SimpleFile => ({
  filename,
  url: `https://files.pythonhosted.org/packages/ab/cd/${filename}`,
  hashes: { sha256: digest },
  'requires-python': '>=3.8',
  'core-metadata': { sha256: sha('f') },
  'data-dist-info-metadata': { sha256: sha('f') },
  'gpg-sig': false,
  yanked: false,
  size: 1234,
  'upload-time': '2026-01-01T00:00:00.000000Z',
  provenance: 'https://pypi.org/integrity/x/1.0.0/file/provenance',
  ...extra,
});

const PAGE = parseSimpleProject({
  meta: { 'api-version': '1.3', '_last-serial': 1 },
  name: 'Tidy.Helper',
  files: [
    file('tidy_helper-1.0.0-py3-none-any.whl', sha('1')),
    file('Tidy.Helper-1.0.0.tar.gz', sha('2')),
    file('tidy_helper-1.1.0-py3-none-any.whl', sha('3')),
    file('tidy_helper-1.2.0-py3-none-any.whl', sha('4'), { 'upload-time': '2026-11-30T00:00:00Z' }),
    file('tidy_helper-1.2.0.tar.gz', sha('5'), { 'upload-time': '2026-12-01T00:00:00Z' }),
  ],
  versions: ['1.0.0', '1.1.0', '1.2.0'],
}) as SimpleProject;

const d = (state: GateDecision['state'], extra: Partial<GateDecision> = {}): GateDecision => ({
  state,
  served: state === 'allowed' || state === 'approved',
  reason: `${state}: because`,
  shouldQueue: false,
  ...extra,
});

const render = (decisions: Record<string, GateDecision>) =>
  renderSimpleProject(PAGE, {
    decisions: new Map(Object.entries(decisions)),
    fileUrl: (version, filename) => `http://gate.test/registry/pypi/files/tidy-helper/${version}/${filename}`,
    chooseFile: (files) => files[0],
  }) as { name: string; files: Array<Record<string, unknown>>; versions: string[]; meta: Record<string, string>; 'project-status'?: { status: string } };

describe('renderSimpleProject', () => {
  it('a served version lists only the analyzed file; held ones are yanked with the reason; malicious ones are gone', () => {
    const page = render({ '1.0.0': d('allowed', { sha256: sha('2') }), '1.1.0': d('malicious'), '1.2.0': d('cooldown', { reason: 'held: released 2 h ago' }) });
    expect(page.name).toBe('tidy-helper');
    expect(page.files.map((f) => [f.filename, f.yanked])).toEqual([
      ['Tidy.Helper-1.0.0.tar.gz', false],
      ['tidy_helper-1.2.0-py3-none-any.whl', 'vetbox: held: released 2 h ago'],
      ['tidy_helper-1.2.0.tar.gz', 'vetbox: held: released 2 h ago'],
    ]);
    expect(page.versions).toEqual(['1.0.0', '1.2.0']);
    const served = page.files[0]!;
    expect(served.url).toBe('http://gate.test/registry/pypi/files/tidy-helper/1.0.0/Tidy.Helper-1.0.0.tar.gz');
    expect(served.hashes).toEqual({ sha256: sha('2') });
    expect(served['requires-python']).toBe('>=3.8');
    expect(served['core-metadata']).toEqual({ sha256: sha('f') });
    expect(served.size).toBe(1234);
    expect(served['upload-time']).toBe('2026-01-01T00:00:00.000000Z');
    expect(served).not.toHaveProperty('provenance');
  });

  it('a project whose every release is malicious is quarantined (PEP 792) with no files', () => {
    const page = render({ '1.0.0': d('malicious'), '1.1.0': d('malicious'), '1.2.0': d('malicious') });
    expect(page['project-status']).toMatchObject({ status: 'quarantined' });
    expect(page.meta['api-version']).toBe('1.4');
    expect(page.files).toEqual([]);
    expect(simpleHtml(page)).toContain('<meta name="pypi:project-status" content="quarantined">');
  });

  it('renders PEP 503 HTML with hashes, requires-python, metadata and yanked reasons escaped', () => {
    const page = render({ '1.0.0': d('allowed', { sha256: sha('1') }), '1.1.0': d('queued', { reason: 'held: <queued> & "waiting"' }), '1.2.0': d('malicious') });
    const html = simpleHtml(page);
    expect(html).toContain(
      `<a href="http://gate.test/registry/pypi/files/tidy-helper/1.0.0/tidy_helper-1.0.0-py3-none-any.whl#sha256=${sha('1')}" data-requires-python="&gt;=3.8" data-dist-info-metadata="sha256=${sha('f')}" data-core-metadata="sha256=${sha('f')}">tidy_helper-1.0.0-py3-none-any.whl</a>`,
    );
    expect(html).toContain('data-yanked="vetbox: held: &lt;queued&gt; &amp; &quot;waiting&quot;"');
    expect(html).not.toContain('1.2.0');
  });
});

describe('PyPI names, versions and negotiation', () => {
  it('reads versions from wheel and sdist names, whatever the spelling of the project', () => {
    expect(fileVersion('Tidy.Helper-1.0.0.tar.gz', 'tidy-helper')).toBe('1.0.0');
    expect(fileVersion('tidy_helper-2.0rc1-py3-none-any.whl', 'Tidy_Helper')).toBe('2.0rc1');
    expect(fileVersion('tidy-helper-extra-1.0.tar.gz', 'tidy-helper')).toBe('extra-1.0');
    expect(fileVersion('other-1.0.tar.gz', 'tidy-helper')).toBeNull();
    expect(fileVersion('tidy_helper-1.0.0.exe', 'tidy-helper')).toBeNull();
  });

  it('a release is as old as its first upload', () => {
    expect(listPypiVersions(PAGE).find((v) => v.version === '1.2.0')?.publishedAt?.toISOString()).toBe('2026-11-30T00:00:00.000Z');
  });

  it('negotiates PEP 691 JSON or HTML by q-value, HTML by default, 406 for the rest', () => {
    expect(negotiateSimple('application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01')?.format).toBe('json');
    expect(negotiateSimple('text/html')).toEqual({ format: 'html', contentType: 'text/html; charset=utf-8' });
    expect(negotiateSimple(undefined)?.format).toBe('html');
    expect(negotiateSimple('application/vnd.pypi.simple.v1+html')?.contentType).toBe('application/vnd.pypi.simple.v1+html');
    expect(negotiateSimple('application/vnd.pypi.simple.v1+json;q=0.2, text/html;q=0.5')?.format).toBe('html');
    expect(negotiateSimple('application/pdf')).toBeNull();
  });
});
