// Reports in the shape the pipeline writes, for the indicator and OSV tests. Hosts are `.example`
// names and documentation addresses; 198.18.x.y and 10.x.y.z stand for the sinkhole's answers.
import type { Report } from '@vetbox/contracts';

const home = '/home/dana-okafor';
const persona = {
  user: 'dana-okafor',
  fullName: 'Dana Okafor',
  email: 'dana.okafor@example.com',
  hostname: 'dana-thinkpad-x1',
  home,
  workdir: `${home}/src/webapp`,
  machineId: 'f'.repeat(32),
  timezone: 'Europe/Berlin',
  lan: { interface: 'wlp3s0', address: '192.168.178.23', prefix: 24, gateway: '192.168.178.1', mac: '3c:22:fb:00:00:01' },
  publicAddress: '203.0.113.200',
  geo: { country: 'DE', region: 'Berlin', city: 'Berlin', isp: 'Example Telecom' },
};

/**
 * postinstall POSTs the environment to collector.example (the sinkhole answered 198.18.0.7),
 * opens a raw socket to the hard-coded 203.0.113.9:4444, writes a ~/.bashrc line and drops an
 * executable; it also downloads a release from its own declared host (low, not an indicator)
 * and asks "what is my IP" (the persona's public address must not appear).
 */
export function stealerReport(): Report {
  return {
    schemaVersion: 1,
    analyzer: { version: '1.0.0' },
    analysisId: '5b1f0c52-2f7e-4a51-9a43-0d9a3c1f7e21',
    createdAt: '2026-11-27T03:41:07.512Z',
    package: { ecosystem: 'npm', name: 'vbx-stealer', version: '2.0.1', sha256: 'c'.repeat(64), source: 'registry' },
    verdict: 'malicious',
    score: 97,
    summary: 'malicious: credential-exfiltration (critical), network-activity (high)',
    findings: [
      {
        rule: 'credential-exfiltration',
        severity: 'critical',
        title: 'A planted credential left the sandbox',
        explanation: 'x',
        phase: 'install',
        evidence: [{ kind: 'canary', index: 0, summary: 'env-npm canary (NPM_TOKEN) leaked via http to collector.example (base64)' }],
      },
      {
        rule: 'network-activity',
        severity: 'high',
        title: 'Contacts collector.example during install',
        explanation: 'x',
        phase: 'install',
        evidence: [
          { kind: 'dns', index: 0, summary: 'DNS A lookup of collector.example' },
          { kind: 'connection', index: 1, summary: 'node s.js: TCP connect to collector.example (198.18.0.7):80' },
          { kind: 'connection', index: 2, summary: 'node s.js: TCP connect to 203.0.113.9:4444' },
          { kind: 'http', index: 1, summary: 'GET http://203.0.113.200/ip' },
          { kind: 'dns', index: 2, summary: 'DNS lookup of the machine itself' },
        ],
      },
      {
        rule: 'persistence',
        severity: 'high',
        title: 'Writes a shell startup file',
        explanation: 'x',
        phase: 'install',
        evidence: [{ kind: 'fileChange', index: 0, summary: '~/.bashrc changed' }],
      },
      {
        rule: 'dropped-executable-run',
        severity: 'high',
        title: 'Runs a file it dropped',
        explanation: 'x',
        phase: 'import',
        evidence: [{ kind: 'process', index: 1, summary: '/tmp/.cache/upd ran' }],
      },
      {
        rule: 'network-activity',
        severity: 'low',
        title: 'Downloads a release from its declared host',
        explanation: 'x',
        phase: 'install',
        evidence: [{ kind: 'dns', index: 1, summary: 'DNS A lookup of releases.vbx-stealer.example' }],
      },
      { rule: 'typosquatting', severity: 'medium', title: 'Name looks like a popular package', explanation: 'x', phase: null, evidence: [{ kind: 'package', summary: 'vbx-stealer looks like vbx-stealr' }] },
    ],
    phases: [
      { name: 'install', status: 'completed', exitCode: 0, durationMs: 2000, stdoutTail: '', stderrTail: '' },
      { name: 'import', status: 'completed', exitCode: 0, durationMs: 300, stdoutTail: '', stderrTail: '' },
    ],
    behavior: {
      processes: [
        { pid: 119, ppid: null, phase: 'install', argv: ['node', 's.js'], exe: '/usr/bin/node', cwd: null, startMs: 0, endMs: 10, exit: null },
        { pid: 150, ppid: null, phase: 'import', argv: ['/tmp/.cache/upd'], exe: '/tmp/.cache/upd', cwd: null, startMs: 20, endMs: 30, exit: null },
      ],
      files: [],
      fileChanges: [
        { phase: 'install', path: `${home}/.bashrc`, kind: 'changed', sha256: 'b'.repeat(64), size: 300 },
        { phase: 'install', path: '/tmp/.cache/upd', kind: 'added', sha256: 'a'.repeat(64), executable: true, size: 9000 },
      ],
      network: {
        dns: [
          { phase: 'install', name: 'collector.example', type: 'A', answer: '198.18.0.7' },
          { phase: 'install', name: 'releases.vbx-stealer.example', type: 'A', answer: '198.18.0.8' },
          { phase: 'install', name: 'dana-thinkpad-x1', type: 'A' },
        ],
        connections: [
          { phase: 'install', pid: 119, protocol: 'udp', family: 'inet', syscall: 'connect', address: '192.168.178.1', port: 53, result: 'ok' },
          { phase: 'install', pid: 119, protocol: 'tcp', family: 'inet', syscall: 'connect', address: '198.18.0.7', port: 80, hostname: 'collector.example', result: 'ok' },
          { phase: 'install', pid: 119, protocol: 'tcp', family: 'inet', syscall: 'connect', address: '203.0.113.9', port: 4444, result: 'ok', sent: 'hello' },
        ],
        http: [
          { phase: 'install', method: 'POST', host: 'collector.example', path: '/c', headers: {}, bodyPreview: 'x', pid: 119, destination: { address: '198.18.0.7', port: 80 } },
          { phase: 'install', method: 'GET', host: '203.0.113.200', path: '/ip', headers: {}, bodyPreview: '', pid: 119, destination: { address: '203.0.113.200', port: 80 } },
        ],
        tls: [],
      },
      syscallCounts: {},
    },
    canaries: [
      {
        kind: 'env-npm',
        planted: 'NPM_TOKEN',
        read: null,
        leaked: true,
        evidence: [{ encoding: 'base64', channel: 'http', destination: 'collector.example', phase: 'install', index: 0 }],
      },
    ],
    sandbox: { image: 'i', hostname: persona.hostname, user: persona.user, home, workdir: persona.workdir, packageDirs: [], network: 'sinkhole', persona },
  };
}
