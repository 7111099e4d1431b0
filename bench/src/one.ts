import path from 'node:path';
import { staticPass } from '@vetbox/static';
const root = '/work/main/node_modules';
const name = process.env.PKG ?? 'effect';
for (let r = 0; r < 30; r++) {
  const t0 = performance.now();
  const res = await staticPass({ ecosystem: 'npm', name, packageDir: path.join(root, name) });
  if (r % 10 === 9) console.log(name, (performance.now() - t0).toFixed(1), 'ms', res.filesAnalyzed, res.filesInPackage, (res.bytesAnalyzed / 1e6).toFixed(2), 'MB', res.limits);
}
