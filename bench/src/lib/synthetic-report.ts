import { createHash } from 'node:crypto';
import { REPORT_SCHEMA_VERSION, emptyBehavior, type Report } from '@vetbox/contracts';

/**
 * A report of realistic size for benchmarks (about the size of a real package's install +
 * import: dozens of processes, hundreds of file accesses, some network), so reads measure JSON
 * that is not trivially small.
 */
export function syntheticReport(name: string, version: string, analyzerVersion: string): Report {
  const behavior = emptyBehavior();
  for (let pid = 100; pid < 140; pid++) {
    behavior.processes.push({ pid, ppid: pid - 1, phase: 'install', argv: ['node', `/pkg/scripts/step-${pid}.js`, '--flag'], cwd: '/pkg', startMs: pid * 3, endMs: pid * 3 + 40, exit: { code: 0, signal: null } });
  }
  for (let i = 0; i < 600; i++) {
    behavior.files.push({ phase: i % 2 ? 'install' : 'import', pid: 100 + (i % 40), path: `/usr/lib/node_modules/${name}/lib/file-${i}.js`, op: i % 7 ? 'read' : 'write', result: 'ok', count: 1 + (i % 3) });
  }
  for (let i = 0; i < 20; i++) {
    behavior.network.dns.push({ phase: 'install', name: `cdn${i}.example`, type: 'A' });
    behavior.network.connections.push({ phase: 'install', pid: 120, protocol: 'tcp', address: `203.0.113.${i}`, port: 443, result: 'ok', hostname: `cdn${i}.example` });
  }
  behavior.syscallCounts = { install: { openat: 12_000, read: 40_000, execve: 40 }, import: { openat: 900, read: 3_000 } };
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    analyzer: { version: analyzerVersion },
    package: { ecosystem: 'npm', name, version, sha256: createHash('sha256').update(`${name}@${version}`).digest('hex'), source: 'registry' },
    verdict: 'suspicious',
    score: 55,
    summary: 'contacts hosts other than the registry during install',
    findings: [
      {
        rule: 'install-network',
        severity: 'medium',
        title: 'Outbound connections during install',
        explanation: 'The install script connected to hosts that are not the package registry.',
        phase: 'install',
        evidence: behavior.network.connections.slice(0, 5).map((c, index) => ({ kind: 'connection' as const, index, summary: `${c.address}:${c.port}` })),
      },
    ],
    phases: [
      { name: 'install', status: 'completed', exitCode: 0, durationMs: 4_200, stdoutTail: 'added 1 package\n'.repeat(20), stderrTail: '' },
      { name: 'import', status: 'completed', exitCode: 0, durationMs: 800, stdoutTail: '', stderrTail: '' },
    ],
    behavior,
    canaries: [],
  };
}
