/**
 * Rules benchmark: how long `evaluate()` takes on large behaviors, and how long a typosquatting
 * check takes (cold: loading the top-5000 lists; warm: per name). Prints figures only.
 *
 *   npm run bench:rules
 *
 * Goals: a typosquat check well under 5 ms warm; evaluate() on a 100k-record behavior in well
 * under a second (it runs once per analysis, after the sandbox, which takes seconds).
 */
import { emptyBehavior, type Behavior, type SandboxInfo } from '@vetbox/contracts';
import { readFileSync } from 'node:fs';
import { buildPopularIndex, checkTyposquat, checkTyposquatIn, evaluate } from '@vetbox/rules';
import { measure, report, type Sample } from './harness.js';

const home = '/home/bench';
const sandbox: SandboxInfo = {
  image: 'bench',
  hostname: 'bench',
  user: 'bench',
  home,
  workdir: `${home}/projects/app`,
  packageDirs: [`${home}/projects/app/node_modules/bench-pkg`],
  network: 'sinkhole',
};

/** A behavior shaped like a big native build: many processes, mostly file records, some network. */
function syntheticBehavior(records: number): Behavior {
  const b = emptyBehavior();
  const processes = Math.max(10, Math.floor(records / 50));
  for (let pid = 100; pid < 100 + processes; pid++) {
    b.processes.push({
      pid,
      ppid: pid === 100 ? null : 100 + ((pid - 101) % 10),
      phase: 'install',
      argv: pid % 3 === 0 ? ['g++', '-c', `src/file${pid}.cc`, '-o', `build/file${pid}.o`] : ['sh', '-c', `make -C build target${pid}`],
      exe: pid % 3 === 0 ? '/usr/bin/g++' : '/bin/sh',
      cwd: sandbox.packageDirs[0]!,
      startMs: pid,
      endMs: pid + 100,
      exit: { code: 0, signal: null },
    });
  }
  const paths = [
    `${sandbox.packageDirs[0]}/build/obj/x.o`,
    '/tmp/ccAbc123.s',
    `${home}/.cache/node-gyp/20.20.0/include/node/v8.h`,
    `${sandbox.workdir}/README.md`,
    `${home}/.ssh/id_rsa`,
    '/etc/hostname',
  ];
  const ops = ['read', 'write', 'create', 'read', 'stat', 'read'] as const;
  for (let i = 0; i < records; i++) {
    b.files.push({ phase: 'install', pid: 100 + (i % processes), path: `${paths[i % paths.length]}${i}`, op: ops[i % ops.length]!, result: 'ok', tMs: i });
  }
  for (let i = 0; i < Math.floor(records / 100); i++) {
    b.network.dns.push({ phase: 'install', name: `host${i % 50}.example`, type: 'A' });
    b.network.connections.push({ phase: 'install', pid: 100, protocol: 'tcp', address: `192.0.2.${i % 250}`, port: 443, result: 'EINPROGRESS' });
  }
  return b;
}

const pkg = { ecosystem: 'npm' as const, name: 'bench-pkg', version: '1.0.0', sha256: '0'.repeat(64), source: 'upload' as const };
const samples: Sample[] = [];

const coldStart = performance.now();
checkTyposquat('npm', 'lodahs');
checkTyposquat('pypi', 'reqeusts');
samples.push({ ...(await measure('typosquat cold load (both lists)', () => undefined, { runs: 1, warmup: 0 })), meanMs: Math.round((performance.now() - coldStart) * 100) / 100 });

const names = ['lodahs', 'expresss', 'my-internal-tool', '@acme/widgets', 'reactt-dom', 'totally-unrelated-name-here', 'crossenv', 'left-pad'];
let n = 0;
samples.push(await measure('typosquat npm, per name (warm)', () => checkTyposquat('npm', names[n++ % names.length]!), { runs: 2000, warmup: 50 }));
samples.push(await measure('typosquat pypi, per name (warm)', () => checkTyposquat('pypi', names[n++ % names.length]!), { runs: 2000, warmup: 50 }));

for (const records of [1_000, 10_000, 100_000]) {
  const behavior = syntheticBehavior(records);
  const input = { package: pkg, behavior, canaries: [], sandbox, phases: [] };
  const s = await measure(`evaluate, ${records} file records`, () => evaluate(input), { runs: records >= 100_000 ? 5 : 20, warmup: 1 });
  samples.push({ ...s, findings: evaluate(input).findings.length });
}

report('rules', samples);

// Precision survey: legitimate names (ranks 2,501–5,000) checked against the top 2,500.
for (const eco of ['npm', 'pypi'] as const) {
  const lines = readFileSync(new URL(`../../services/rules/data/${eco}-top5000.tsv`, import.meta.url), 'utf8').trim().split('\n');
  const index = buildPopularIndex(eco, lines.slice(0, 2500).join('\n'));
  const bySeverity: Record<string, number> = {};
  for (const line of lines.slice(2500)) {
    const hit = checkTyposquatIn(index, eco, line.split('\t')[0]!);
    if (hit) bySeverity[hit.severity] = (bySeverity[hit.severity] ?? 0) + 1;
  }
  console.log(`typosquat survey ${eco}: of ${lines.length - 2500} legitimate names, medium ${bySeverity.medium ?? 0}, low ${bySeverity.low ?? 0}`);
}
const warm = samples.find((s) => s.label.startsWith('typosquat npm'))!;
const big = samples.find((s) => s.label.includes('100000'))!;
console.log(`rules: typosquat ${warm.meanMs} ms/name, evaluate(100k records) ${big.meanMs} ms`);
