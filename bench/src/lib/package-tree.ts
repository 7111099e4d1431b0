// The packages of a node_modules tree, as bench:static and its output check read them.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** Package names under `dir` (scoped ones as `@scope/name`), those with a package.json. */
export function packagesIn(dir: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync(dir)) {
    if (d.startsWith('.')) continue;
    if (d.startsWith('@')) for (const s of readdirSync(path.join(dir, d))) out.push(`${d}/${s}`);
    else out.push(d);
  }
  return out.filter((n) => existsSync(path.join(dir, n, 'package.json')));
}
