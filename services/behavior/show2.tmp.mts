import { buildBehavior } from '@vetbox/behavior';
const b = await buildBehavior({
  phases: [{ name: 'install', tracePath: process.argv[2] }],
  sandbox: { image: 'x', hostname: 'h', user: 'root', home: '/root', workdir: '/tmp/vetbox-work', packageDirs: [], network: 'none' },
});
for (const f of b.files) console.log(f.pid, f.op, f.path, f.result, f.target ?? '', f.mode ?? '', f.count);
console.log(JSON.stringify(b.network));
console.log(b.processes.map(p => `${p.pid}<${p.ppid} ${p.argv.join(' ')} ${JSON.stringify(p.exit)} ${p.outlived ?? ''}`).join('\n'));
console.log(b.housekeeping!.map(h => `${h.category}:${h.count}`).join(' '));
