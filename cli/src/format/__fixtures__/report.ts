/**
 * A report in the shape the pipeline writes for the imitation stealer of
 * test/integration/cli-analyze.test.ts (postinstall reads env and ~/.npmrc, POSTs them base64 to
 * collector.example), a few entries per list. Hosts are `.example` and reserved addresses only.
 */
import type { Report } from '@vetbox/contracts';

const pkgDir = '/home/vbx-7f3a/project/node_modules/imitation-stealer';

export const maliciousReport: Report = {
  schemaVersion: 1,
  analyzer: { version: '1.0.0' },
  analysisId: 'local-5b1f0c52-2f7e-4a51-9a43-0d9a3c1f7e21',
  createdAt: '2026-11-27T03:41:07.512Z',
  package: {
    ecosystem: 'npm',
    name: 'imitation-stealer',
    version: '1.0.1',
    sha256: '3f2a9c1d7e5b8a6f4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b',
    source: 'upload',
    size: 612,
  },
  verdict: 'malicious',
  score: 97,
  summary: 'malicious: credential-exfiltration (critical), credential-store-read (high), network-activity (high)',
  findings: [
    {
      rule: 'credential-exfiltration',
      severity: 'critical',
      title: 'A planted credential left the sandbox',
      explanation: 'A planted credential left the sandbox.',
      phase: 'install',
      evidence: [
        { kind: 'canary', index: 0, summary: 'env-npm canary (NPM_TOKEN) leaked via http to collector.example (base64)' },
        { kind: 'http', index: 0, summary: 'HTTP to collector.example carried the env-npm value (base64)' },
      ],
      evidenceHash: 'sha256:9d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4',
    },
    {
      rule: 'credential-store-read',
      severity: 'high',
      title: 'Package code read a credential store',
      explanation: 'The package opened a file where tools keep secrets.',
      phase: 'install',
      evidence: [{ kind: 'file', index: 1, summary: 'node collect.js read ~/.npmrc' }],
    },
    {
      rule: 'network-activity',
      severity: 'high',
      title: 'Contacts collector.example during install',
      explanation: 'The package looked up or contacted a host other than the package registry. Data was sent to collector.example.',
      phase: 'install',
      evidence: [
        { kind: 'dns', index: 0, summary: 'DNS A lookup of collector.example' },
        { kind: 'connection', index: 1, summary: 'node collect.js: TCP connect to collector.example (198.18.0.7):80 → EINPROGRESS, sent 2310 bytes' },
      ],
    },
  ],
  phases: [
    { name: 'install', status: 'completed', exitCode: 0, durationMs: 2412, stdoutTail: 'added 1 package in 2s\n', stderrTail: '' },
    { name: 'import', status: 'completed', exitCode: 0, durationMs: 388, stdoutTail: '', stderrTail: '' },
  ],
  behavior: {
    processes: [
      { pid: 101, ppid: null, phase: 'install', argv: ['npm', 'rebuild', '--foreground-scripts'], exe: '/usr/bin/npm', cwd: '/home/vbx-7f3a/project', startMs: 0, endMs: 2400, exit: { code: 0, signal: null }, housekeeping: true },
      { pid: 118, ppid: 101, phase: 'install', argv: ['sh', '-c', 'node collect.js'], exe: '/bin/sh', cwd: pkgDir, startMs: 900, endMs: 1900, exit: { code: 0, signal: null } },
      { pid: 119, ppid: 118, phase: 'install', argv: ['node', 'collect.js'], exe: '/usr/bin/node', cwd: pkgDir, startMs: 910, endMs: 1890, exit: { code: 0, signal: null } },
      // A hostile argv: escape sequences must not reach the reader's terminal.
      { pid: 120, ppid: 119, phase: 'install', argv: ['sh', '-c', 'echo \u001b[2Jcleared'], exe: '/bin/sh', cwd: pkgDir, startMs: 1200, endMs: null, exit: null, outlived: true },
      { pid: 140, ppid: null, phase: 'import', argv: ['node', '-e', "require('imitation-stealer')"], exe: '/usr/bin/node', cwd: '/home/vbx-7f3a/project', startMs: 3000, endMs: 3380, exit: { code: 0, signal: null } },
    ],
    files: [
      { phase: 'install', pid: 119, path: `${pkgDir}/collect.js`, op: 'read', result: 'ok' },
      { phase: 'install', pid: 119, path: '/home/vbx-7f3a/.npmrc', op: 'read', result: 'ok' },
    ],
    fileChanges: [],
    network: {
      dns: [{ phase: 'install', name: 'collector.example', type: 'A', pid: 119 }],
      connections: [
        { phase: 'install', pid: 119, protocol: 'udp', family: 'inet', syscall: 'connect', address: '10.255.255.53', port: 53, result: 'ok', sourcePort: 45571 },
        { phase: 'install', pid: 119, protocol: 'tcp', family: 'inet', syscall: 'connect', address: '198.18.0.7', port: 80, hostname: 'collector.example', result: 'EINPROGRESS', sentBytes: 2310, sourcePort: 54068 },
      ],
      http: [
        {
          phase: 'install',
          method: 'POST',
          host: 'collector.example',
          path: '/c',
          headers: { host: 'collector.example', connection: 'keep-alive', 'content-length': '2150' },
          bodyPreview: 'TlBNX1RPS0VOPW5wbV9jYW5hcnk=',
          bodyBytes: 2150,
          pid: 119,
          destination: { address: '198.18.0.7', port: 80 },
        },
      ],
      tls: [],
    },
    syscallCounts: { install: { openat: 412, connect: 1, execve: 3 }, import: { openat: 57 } },
  },
  canaries: [
    {
      kind: 'env-npm',
      planted: 'NPM_TOKEN',
      read: null,
      leaked: true,
      evidence: [
        { encoding: 'base64', channel: 'http', destination: 'collector.example', phase: 'install', pid: 119, index: 0, layers: ['base64'], capture: { list: 'streams', index: 0, http: 0, part: 'body' } },
      ],
      valuePreview: 'npm_7Hc1…',
    },
    { kind: 'npmrc', planted: '~/.npmrc', read: true, leaked: false, evidence: [] },
    { kind: 'ssh-key', planted: '~/.ssh/id_ed25519', read: false, leaked: false, evidence: [] },
  ],
  sandbox: {
    image: 'vetbox-sandbox:3c9e1a',
    hostname: 'vbx-7f3a',
    user: 'vbx-7f3a',
    home: '/home/vbx-7f3a',
    workdir: '/home/vbx-7f3a/project',
    packageDirs: [pkgDir],
    network: 'sinkhole',
  },
};

export const benignReport: Report = {
  ...maliciousReport,
  analysisId: 'local-0c7d4f8e-8b4a-4c5e-9d61-5a2e7b3c9f10',
  package: { ...maliciousReport.package, name: 'tiny-benign', version: '1.0.0' },
  verdict: 'benign',
  score: 0,
  summary: 'Nothing beyond installing and loading the package.',
  findings: [],
  behavior: {
    processes: [maliciousReport.behavior.processes[0]!],
    files: [],
    fileChanges: [],
    network: { dns: [], connections: [], http: [], tls: [] },
    syscallCounts: {},
  },
  canaries: maliciousReport.canaries.map((c) => ({ ...c, read: c.read === null ? null : false, leaked: false, evidence: [] })),
};
