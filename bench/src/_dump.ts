import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { staticPass } from '@vetbox/static';
const root = path.resolve('../node_modules');
const names: string[] = [];
for (const d of readdirSync(root)) { if (d.startsWith('.')) continue; if (d.startsWith('@')) for (const s of readdirSync(path.join(root, d))) names.push(`${d}/${s}`); else names.push(d); }
const lines: string[] = [];
const t = Date.now(); let bytes = 0;
for (const name of names.filter((n) => existsSync(path.join(root, n, 'package.json')))) {
  const r = await staticPass({ ecosystem: 'npm', name, packageDir: path.join(root, name) });
  bytes += r.bytesAnalyzed;
  for (const s of r.signals) lines.push(`${name}\t${s.file}:${s.line}\t${s.kind}\t${s.detail.slice(0, 100)}`);
  for (const l of r.limits ?? []) lines.push(`${name}\tLIMIT\t${l.slice(0, 120)}`);
}
writeFileSync(process.argv[2]!, lines.sort().join('\n') + '\n');
console.log(`${lines.length} lines, ${(bytes / 1e6).toFixed(1)} MB in ${Date.now() - t} ms`);
