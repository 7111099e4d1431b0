/** Lexical path normalisation: `.`/`..` segments and repeated slashes (no symlink resolution). */
export function normalizePath(p: string): string {
  if (p.indexOf('/.') < 0 && p.indexOf('//') < 0 && (p.length < 2 || !p.endsWith('/'))) return p;
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const joined = out.join('/');
  return abs ? `/${joined}` : joined === '' ? '.' : joined;
}

/** `path` resolved against `base` (a directory); relative when base is unknown. */
export function resolvePath(base: string | null, path: string): string {
  if (path.startsWith('/')) return normalizePath(path);
  if (base === null) return normalizePath(path);
  if (path === '') return normalizePath(base);
  return normalizePath(`${base}/${path}`);
}
