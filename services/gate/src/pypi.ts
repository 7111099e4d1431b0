import { explain as explainPep440 } from '@renovatebot/pep440';
import { normalizePypiName } from '@vetbox/lockfiles';
import type { GateDecision, ListedVersion } from './decide.js';

/** One file of a PEP 691 project page (with the PEP 700 and PEP 714 fields). */
export interface SimpleFile {
  filename: string;
  url: string;
  hashes: Record<string, string>;
  'requires-python'?: string | null;
  'core-metadata'?: boolean | Record<string, string>;
  'dist-info-metadata'?: boolean | Record<string, string>;
  'gpg-sig'?: boolean;
  yanked?: boolean | string;
  size?: number;
  'upload-time'?: string;
  [field: string]: unknown;
}

export interface SimpleProject {
  meta?: { 'api-version'?: string; [k: string]: unknown };
  name: string;
  files: SimpleFile[];
  versions?: string[];
  [field: string]: unknown;
}

export const SIMPLE_JSON = 'application/vnd.pypi.simple.v1+json';
export const SIMPLE_HTML = 'application/vnd.pypi.simple.v1+html';

/** Validates what an upstream index answered (PEP 691 JSON); null when it is not a project page. */
export function parseSimpleProject(value: unknown): SimpleProject | null {
  if (!value || typeof value !== 'object') return null;
  const doc = value as Record<string, unknown>;
  if (typeof doc.name !== 'string' || !Array.isArray(doc.files)) return null;
  const files = doc.files.filter(
    (f): f is SimpleFile => !!f && typeof f === 'object' && typeof (f as SimpleFile).filename === 'string' && typeof (f as SimpleFile).url === 'string' && typeof (f as SimpleFile).hashes === 'object' && (f as SimpleFile).hashes !== null,
  );
  return { ...doc, name: doc.name, files } as SimpleProject;
}

/**
 * PEP 691 content negotiation: the JSON or HTML form, by q-value (JSON wins ties); no Accept or
 * `*\/*` gets HTML, as PEP 503 clients expect; null when nothing offered is acceptable (406).
 */
export function negotiateSimple(accept: string | undefined): { format: 'json' | 'html'; contentType: string } | null {
  if (!accept || !accept.trim()) return { format: 'html', contentType: 'text/html; charset=utf-8' };
  const offers: Record<string, { format: 'json' | 'html'; contentType: string; rank: number }> = {
    'application/vnd.pypi.simple.v1+json': { format: 'json', contentType: SIMPLE_JSON, rank: 3 },
    'application/vnd.pypi.simple.latest+json': { format: 'json', contentType: SIMPLE_JSON, rank: 3 },
    'application/vnd.pypi.simple.v1+html': { format: 'html', contentType: SIMPLE_HTML, rank: 2 },
    'application/vnd.pypi.simple.latest+html': { format: 'html', contentType: SIMPLE_HTML, rank: 2 },
    'text/html': { format: 'html', contentType: 'text/html; charset=utf-8', rank: 1 },
    '*/*': { format: 'html', contentType: 'text/html; charset=utf-8', rank: 0 },
    'text/*': { format: 'html', contentType: 'text/html; charset=utf-8', rank: 0 },
  };
  let best: { format: 'json' | 'html'; contentType: string; q: number; rank: number } | null = null;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().split(';').map((s) => s.trim());
    const offer = offers[(type ?? '').toLowerCase()];
    if (!offer) continue;
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!(q > 0)) continue;
    if (!best || q > best.q || (q === best.q && offer.rank > best.rank)) best = { ...offer, q };
  }
  return best ? { format: best.format, contentType: best.contentType } : null;
}

const ARCHIVE_EXT = /\.(tar\.gz|tar\.bz2|tar\.xz|tgz|zip|tar|egg)$/i;

/**
 * A file's version: wheels spell it `{name}-{version}-…`; sdists `{name}-{version}.tar.gz`,
 * where old ones kept the project's own spelling of the name (`Foo.Bar-1.0.tar.gz`).
 */
export function fileVersion(filename: string, project: string): string | null {
  const wanted = normalizePypiName(project);
  if (filename.endsWith('.whl')) {
    const parts = filename.slice(0, -4).split('-');
    return parts.length >= 5 && normalizePypiName(parts[0]!) === wanted ? (parts[1] ?? null) : null;
  }
  const stem = filename.replace(ARCHIVE_EXT, '');
  if (stem === filename) return null;
  for (let i = stem.indexOf('-'); i > 0; i = stem.indexOf('-', i + 1)) {
    if (normalizePypiName(stem.slice(0, i)) === wanted) return stem.slice(i + 1) || null;
  }
  return null;
}

const isPrerelease = (version: string): boolean => {
  try {
    return explainPep440(version)?.is_prerelease ?? false;
  } catch {
    return false;
  }
};

/** Files grouped by version, in the page's order. */
export function filesByVersion(page: SimpleProject): Map<string, SimpleFile[]> {
  const out = new Map<string, SimpleFile[]>();
  for (const file of page.files) {
    const version = fileVersion(file.filename, page.name);
    if (!version) continue;
    out.set(version, [...(out.get(version) ?? []), file]);
  }
  return out;
}

/** A release's time is its first upload (a file added later to an old release does not make it young). */
export function listPypiVersions(page: SimpleProject): ListedVersion[] {
  return [...filesByVersion(page)].map(([version, files]) => {
    const times = files.map((f) => (typeof f['upload-time'] === 'string' ? Date.parse(f['upload-time']) : NaN)).filter((t) => Number.isFinite(t));
    return { version, publishedAt: times.length ? new Date(Math.min(...times)) : null, prerelease: isPrerelease(version) };
  });
}

export interface RenderSimpleOptions {
  /** A decision for every version `filesByVersion` finds. */
  decisions: ReadonlyMap<string, GateDecision>;
  /** The gate's URL of a file. */
  fileUrl: (version: string, filename: string) => string;
  /** For a served version without an analyzed sha256 (approved after a failed analysis): the file to serve. */
  chooseFile: (files: SimpleFile[]) => SimpleFile | undefined;
}

/** The files a served version lists: exactly the analyzed archive (matched by sha256). */
export function servedFiles(files: SimpleFile[], decision: GateDecision, chooseFile: RenderSimpleOptions['chooseFile']): SimpleFile[] {
  if (decision.sha256) return files.filter((f) => f.hashes.sha256?.toLowerCase() === decision.sha256);
  const chosen = chooseFile(files);
  return chosen ? [chosen] : [];
}

/**
 * The project page a client sees (PEP 691 JSON; `simpleHtml` renders it as PEP 503 HTML):
 * a served version lists only the file that was analyzed; a held version lists its files as
 * yanked with the reason (pip and uv skip yanked files unless pinned with `==`, and a pinned
 * install prints the reason, then gets the download's 403); malicious versions are removed; a
 * project whose every version is malicious is quarantined (PEP 792) with no files. Hashes,
 * requires-python, sizes, upload times and metadata (PEP 658/714) are kept; URLs point at the gate.
 */
export function renderSimpleProject(page: SimpleProject, opts: RenderSimpleOptions): Record<string, unknown> {
  const files: Array<Record<string, unknown>> = [];
  const versions: string[] = [];
  const grouped = filesByVersion(page);
  let malicious = 0;
  for (const [version, group] of grouped) {
    const decision = opts.decisions.get(version);
    if (!decision || decision.state === 'malicious') {
      malicious += decision ? 1 : 0;
      continue;
    }
    const listed = decision.served ? servedFiles(group, decision, opts.chooseFile) : group;
    if (listed.length === 0) continue;
    versions.push(version);
    for (const file of listed) {
      const { url: _url, provenance: _provenance, ...kept } = file;
      const yanked = decision.served ? (file.yanked ?? false) : `vetbox: ${decision.reason}`;
      files.push({ ...kept, url: opts.fileUrl(version, file.filename), yanked });
    }
  }
  const quarantined = grouped.size > 0 && malicious === grouped.size;
  return {
    meta: { 'api-version': quarantined ? '1.4' : '1.1' },
    name: normalizePypiName(page.name),
    ...(quarantined ? { 'project-status': { status: 'quarantined', reason: 'vetbox found every release of this project malicious' } } : {}),
    files,
    versions,
  };
}

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function hashAttr(value: unknown): string | null {
  if (value === true) return 'true';
  if (value && typeof value === 'object') {
    const [algo, digest] = Object.entries(value as Record<string, string>).find(([a]) => a === 'sha256') ?? Object.entries(value as Record<string, string>)[0] ?? [];
    return algo && digest ? `${algo}=${digest}` : 'true';
  }
  return null;
}

/** PEP 503 HTML of a rendered project page (the same facts as the JSON form). */
export function simpleHtml(project: Record<string, unknown>): string {
  const name = String(project.name);
  const files = (project.files ?? []) as SimpleFile[];
  const status = (project['project-status'] as { status?: string } | undefined)?.status;
  const links = files.map((f) => {
    const [algo, digest] = Object.entries(f.hashes).find(([a]) => a === 'sha256') ?? Object.entries(f.hashes)[0] ?? [];
    const attrs = [`href="${escapeHtml(f.url)}${algo && digest ? `#${algo}=${digest}` : ''}"`];
    if (f['requires-python']) attrs.push(`data-requires-python="${escapeHtml(f['requires-python'])}"`);
    const metadata = hashAttr(f['core-metadata'] ?? f['dist-info-metadata']);
    if (metadata) attrs.push(`data-dist-info-metadata="${escapeHtml(metadata)}"`, `data-core-metadata="${escapeHtml(metadata)}"`);
    if (f.yanked) attrs.push(`data-yanked="${escapeHtml(typeof f.yanked === 'string' ? f.yanked : '')}"`);
    return `    <a ${attrs.join(' ')}>${escapeHtml(f.filename)}</a><br />`;
  });
  return [
    '<!DOCTYPE html>',
    '<html>',
    '  <head>',
    `    <meta name="pypi:repository-version" content="${status ? '1.4' : '1.1'}">`,
    ...(status ? [`    <meta name="pypi:project-status" content="${escapeHtml(status)}">`] : []),
    `    <title>Links for ${escapeHtml(name)}</title>`,
    '  </head>',
    '  <body>',
    `    <h1>Links for ${escapeHtml(name)}</h1>`,
    ...links,
    '  </body>',
    '</html>',
    '',
  ].join('\n');
}

/** The index root: the projects this gate knows. */
export function simpleIndex(projects: readonly string[], format: 'json' | 'html', projectUrl: (name: string) => string): string {
  if (format === 'json') return JSON.stringify({ meta: { 'api-version': '1.1' }, projects: projects.map((name) => ({ name })) });
  const links = projects.map((p) => `    <a href="${escapeHtml(projectUrl(p))}">${escapeHtml(p)}</a><br />`);
  return ['<!DOCTYPE html>', '<html>', '  <head>', '    <meta name="pypi:repository-version" content="1.1">', '    <title>Simple index</title>', '  </head>', '  <body>', ...links, '  </body>', '</html>', ''].join('\n');
}
