import { z } from 'zod';
import { SandboxInfo } from './sinkhole.js';
import { CallRecord, CapturedContent } from './phases.js';
import { IncompletePhase, StaticAnalysis } from './static.js';
import {
  ArtifactSource,
  CanaryEncoding,
  CanaryKind,
  Ecosystem,
  FileChangeKind,
  FileOp,
  PhaseName,
  PhaseStatus,
  Severity,
  Verdict,
} from './enums.js';

/** Bumped when a field is renamed or removed; adding fields keeps the version. */
export const REPORT_SCHEMA_VERSION = 1;

/**
 * Something in a package an installer accepts but that misleads whoever reads it:
 * `duplicate-entry`, a path twice in the archive; `manifest-confusion`, registry metadata that
 * hides the install scripts the tarball's own package.json runs.
 */
export const ArchiveQuirk = z.object({
  kind: z.enum(['duplicate-entry', 'manifest-confusion']),
  path: z.string(),
  detail: z.string(),
});
export type ArchiveQuirk = z.infer<typeof ArchiveQuirk>;

export const PackageRef = z.object({
  ecosystem: Ecosystem,
  name: z.string(),
  version: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  source: ArtifactSource,
  size: z.number().int().nonnegative().optional(),
  /**
   * Hosts the package's own metadata names as its home (npm repository, homepage, bugs,
   * node-pre-gyp binary.host; PyPI Home-page, Download-URL, Project-URL). A download of a
   * release artifact from one of them is rated low; the package declared them itself, so they
   * never excuse an upload, and a baseline comparison does not trust them.
   */
  declaredHosts: z.array(z.string()).optional(),
  /** Archive quirks the installer accepts (duplicate entries, ...): analyzed as installed, named in a finding. */
  archiveQuirks: z.array(ArchiveQuirk).optional(),
  /**
   * When the name first appeared in its registry and when this version did (ISO times), looked
   * up when the name resembles a popular one: a name long established when this version came
   * out is not squatting on anything.
   */
  firstPublished: z.string().optional(),
  versionPublished: z.string().optional(),
});
export type PackageRef = z.infer<typeof PackageRef>;

export const ProcessExit = z.object({
  code: z.number().int().nullable(),
  signal: z.string().nullable(),
});
export type ProcessExit = z.infer<typeof ProcessExit>;

export const ProcessEntry = z.object({
  pid: z.number().int(),
  ppid: z.number().int().nullable(),
  phase: PhaseName,
  argv: z.array(z.string()),
  /** Executable path from execve, when the process exec'd. */
  exe: z.string().optional(),
  cwd: z.string().nullable(),
  startMs: z.number(),
  endMs: z.number().nullable(),
  exit: ProcessExit.nullable(),
  /** Still running when the phase's package manager exited (detached or daemonized). */
  outlived: z.boolean().optional(),
  /**
   * What set it off when it was not the phase's own command: a timer that fired in the idle
   * window (`after 15 min (fast clock)`), the next login (`login shell: ~/.bashrc`).
   */
  trigger: z.string().optional(),
  /** Part of the package manager's own housekeeping rather than the package's code. */
  housekeeping: z.boolean().optional(),
  /**
   * At execve, fd 0, 1 or 2 was a network (inet/inet6) socket, e.g. after dup2(sock, 0..2):
   * the reverse-shell shape. A Unix socketpair (how Node pipes a child's stdio) does not count.
   */
  stdioSocket: z.boolean().optional(),
  /**
   * The declared dependency whose code this is, not the analyzed package's: a dependency's sdist
   * built by pip or its npm lifecycle script, started by the package manager (children inherit).
   */
  dependency: z.string().optional(),
});
export type ProcessEntry = z.infer<typeof ProcessEntry>;

export const FileAccess = z.object({
  phase: PhaseName,
  pid: z.number().int(),
  path: z.string(),
  op: FileOp,
  /** `ok` or the errno name (ENOENT, EACCES, ...). */
  result: z.string(),
  /** Same (pid, path, op, result) seen this many times; collapsed to one entry. */
  count: z.number().int().positive().optional(),
  /** For rename: the destination path. */
  target: z.string().optional(),
  /** For chmod: the new mode, octal. */
  mode: z.string().optional(),
  tMs: z.number().optional(),
});
export type FileAccess = z.infer<typeof FileAccess>;

export const FileChange = z.object({
  phase: PhaseName,
  path: z.string(),
  kind: FileChangeKind,
  sha256: z.string().optional(),
  executable: z.boolean().optional(),
  size: z.number().int().optional(),
});
export type FileChange = z.infer<typeof FileChange>;

export const DnsQuery = z.object({
  phase: PhaseName,
  name: z.string(),
  type: z.string(),
  pid: z.number().int().optional(),
  tMs: z.number().optional(),
  /**
   * The address the sinkhole answered with: a sandbox-internal address, never an indicator (a
   * connection to it is a connection to this name).
   */
  answer: z.string().optional(),
});
export type DnsQuery = z.infer<typeof DnsQuery>;

export const Connection = z.object({
  phase: PhaseName,
  pid: z.number().int(),
  protocol: z.enum(['tcp', 'udp', 'unix', 'raw', 'other']),
  family: z.enum(['inet', 'inet6', 'unix', 'netlink', 'packet', 'other']).optional(),
  /** `connect`, `sendto`, `sendmsg`, `bind` or `listen`. */
  syscall: z.string().optional(),
  address: z.string(),
  port: z.number().int().nullable(),
  hostname: z.string().optional(),
  /** `ok`, `EINPROGRESS` or another errno. */
  result: z.string(),
  /** What the sinkhole received on this connection: a printable preview (escaped). */
  sent: z.string().optional(),
  sentBytes: z.number().int().optional(),
  sourcePort: z.number().int().optional(),
  tMs: z.number().optional(),
});
export type Connection = z.infer<typeof Connection>;

export const HttpRequest = z.object({
  phase: PhaseName,
  method: z.string(),
  host: z.string(),
  path: z.string(),
  headers: z.record(z.string(), z.string()),
  bodyPreview: z.string(),
  bodyBytes: z.number().int().optional(),
  /** Decrypted from TLS by the sinkhole's per-analysis CA. */
  tls: z.boolean().optional(),
  pid: z.number().int().optional(),
  destination: z.object({ address: z.string(), port: z.number().int() }).optional(),
});
export type HttpRequest = z.infer<typeof HttpRequest>;

export const TlsHandshake = z.object({
  phase: PhaseName,
  sni: z.string(),
  pid: z.number().int().optional(),
  destination: z.object({ address: z.string(), port: z.number().int() }).optional(),
});
export type TlsHandshake = z.infer<typeof TlsHandshake>;

/** Noise folded out of the lists above; counts are kept so nothing silently disappears. */
export const HousekeepingSummary = z.object({
  phase: PhaseName,
  category: z.string(),
  count: z.number().int(),
  examples: z.array(z.string()),
});
export type HousekeepingSummary = z.infer<typeof HousekeepingSummary>;

/**
 * A flood: a process made so many calls of one kind that the tracer stopped recording them one
 * by one past its budget (`suppressed` more were only counted). The phase's record is incomplete.
 */
export const TraceFlood = z.object({
  phase: PhaseName,
  pid: z.number().int(),
  syscall: z.string(),
  recorded: z.number().int().nonnegative(),
  suppressed: z.number().int().nonnegative(),
  tMs: z.number().optional(),
});
export type TraceFlood = z.infer<typeof TraceFlood>;

export const Behavior = z.object({
  processes: z.array(ProcessEntry),
  files: z.array(FileAccess),
  fileChanges: z.array(FileChange),
  network: z.object({
    dns: z.array(DnsQuery),
    connections: z.array(Connection),
    http: z.array(HttpRequest),
    tls: z.array(TlsHandshake),
  }),
  /** Per phase, per syscall name: how many calls the trace holds (housekeeping included). */
  syscallCounts: z.record(z.string(), z.record(z.string(), z.number().int())),
  housekeeping: z.array(HousekeepingSummary).optional(),
  /** Trace lines the parser could not read; counted, never fatal. */
  malformedLines: z.number().int().optional(),
  /** What the execute and next-login harnesses ran (calls, bins, planted entries). */
  calls: z.array(CallRecord).optional(),
  /** Content of files written to persistence locations and of dropped scripts and executables. */
  contents: z.array(CapturedContent).optional(),
  /** Calls the tracer only counted past its per-process budgets (see TraceFlood). */
  floods: z.array(TraceFlood).optional(),
});
export type Behavior = z.infer<typeof Behavior>;

export const EvidenceRef = z.object({
  /** Which behavior list the entry lives in. */
  kind: z.enum([
    'process',
    'file',
    'fileChange',
    'dns',
    'connection',
    'http',
    'tls',
    'canary',
    'package',
    'diff',
    'content',
    /** An entry of `report.static.signals` (file, line, snippet). */
    'static',
    'intel',
  ]),
  /** Index into that list of the report's behavior (or canaries), when it points at one entry. */
  index: z.number().int().optional(),
  /** A human-readable one-liner: what this evidence shows. */
  summary: z.string(),
});
export type EvidenceRef = z.infer<typeof EvidenceRef>;

export const Finding = z.object({
  rule: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/),
  severity: Severity,
  title: z.string(),
  explanation: z.string(),
  phase: PhaseName.nullable(),
  evidence: z.array(EvidenceRef),
  /** Stable hash of the evidence, for policy exceptions keyed by evidence. */
  evidenceHash: z.string().optional(),
  /**
   * Every piece of behavior evidence comes from this declared dependency's code (ProcessEntry
   * .dependency), not from the analyzed package's own. Installing the package still runs it.
   */
  dependency: z.string().optional(),
});
export type Finding = z.infer<typeof Finding>;

export const PhaseReport = z.object({
  name: PhaseName,
  status: PhaseStatus,
  exitCode: z.number().int().nullable(),
  durationMs: z.number(),
  stdoutTail: z.string(),
  stderrTail: z.string(),
  /** Why the phase ended early, when it did (timeout, memory, pids, disk). */
  reason: z.string().optional(),
});
export type PhaseReport = z.infer<typeof PhaseReport>;

export const CanaryLeak = z.object({
  encoding: CanaryEncoding,
  channel: z.enum(['dns', 'http', 'https', 'tcp', 'udp']),
  destination: z.string(),
  phase: PhaseName,
  pid: z.number().int().optional(),
  /** Index into behavior.network.{dns|http|connections} of the carrying record. */
  index: z.number().int().optional(),
  /** Every transform peeled to find the value, outermost first (e.g. ['gzip', 'base64']). */
  layers: z.array(CanaryEncoding).optional(),
  /** Where in the sinkhole capture the value was found. */
  capture: z
    .object({
      list: z.enum(['dns', 'streams']),
      index: z.number().int(),
      /** Index into the stream's http list. */
      http: z.number().int().optional(),
      part: z.enum(['name', 'path', 'headers', 'body', 'data']),
    })
    .optional(),
  tMs: z.number().optional(),
});
export type CanaryLeak = z.infer<typeof CanaryLeak>;

export const CanaryReport = z.object({
  kind: CanaryKind,
  /** Where it was planted: an env var name or a path in the sandbox user's home. */
  planted: z.string(),
  /** The file holding it was opened for reading (env canaries: null, not observable). */
  read: z.boolean().nullable(),
  leaked: z.boolean(),
  evidence: z.array(CanaryLeak),
  /** First characters of the fake value, so a reviewer can recognise it in captures. */
  valuePreview: z.string().optional(),
});
export type CanaryReport = z.infer<typeof CanaryReport>;

/** One behavior item that a version added or dropped relative to its baseline (see @vetbox/diff). */
export const BaselineDiffEntry = z.object({
  category: z.enum(['hosts', 'processes', 'files', 'canaries', 'findings']),
  key: z.string(),
  summary: z.string(),
  phases: z.array(PhaseName),
  detail: z.record(z.string(), z.unknown()),
});
export type BaselineDiffEntry = z.infer<typeof BaselineDiffEntry>;

const BaselineDiffSide = z.object({
  hosts: z.array(BaselineDiffEntry),
  processes: z.array(BaselineDiffEntry),
  files: z.array(BaselineDiffEntry),
  canaries: z.array(BaselineDiffEntry),
  findings: z.array(BaselineDiffEntry),
});

/** The earlier version this analysis was compared with, and what changed. Kept so a rescore can re-judge it. */
export const BaselineComparison = z.object({
  analysisId: z.string().optional(),
  version: z.string(),
  added: BaselineDiffSide,
  removed: BaselineDiffSide,
  /** Phases only one of the two analyses ran: what they saw is not compared. */
  uncompared: z.array(PhaseName).optional(),
});
export type BaselineComparison = z.infer<typeof BaselineComparison>;

/**
 * A published record (an OSV `MAL-` entry, `vetbox intel import`) that lists this exact package
 * version as malicious; the `known-malicious` finding cites it by index.
 */
export const KnownMaliciousRef = z.object({
  /** The record's OSV id, e.g. MAL-2024-1234. */
  id: z.string(),
  summary: z.string().optional(),
  /** Where the record was imported from (a list name) and how current that list was. */
  source: z.string(),
  sourceDate: z.string(),
  /** The record's own `modified` time. */
  modified: z.string(),
  aliases: z.array(z.string()).optional(),
});
export type KnownMaliciousRef = z.infer<typeof KnownMaliciousRef>;

export const Report = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  analyzer: z.object({ version: z.string() }),
  analysisId: z.string().optional(),
  createdAt: z.string().optional(),
  package: PackageRef,
  verdict: Verdict,
  score: z.number().int().min(0).max(100),
  /** One line saying why the verdict is what it is. */
  summary: z.string().optional(),
  /**
   * A phase failed before the package's code could act (an import error, a missing module, a
   * platform check, a timeout, lost trace events): the behavior seen is not all the package does.
   */
  incomplete: z.boolean().optional(),
  /** Which phases, and why; set whenever `incomplete` is true. */
  incompletePhases: z.array(IncompletePhase).optional(),
  findings: z.array(Finding),
  phases: z.array(PhaseReport),
  behavior: Behavior,
  canaries: z.array(CanaryReport),
  /** What the static pass read in the package's own files (absent in reports made before it). */
  static: StaticAnalysis.optional(),
  sandbox: SandboxInfo.optional(),
  /** Typosquatting and other static facts about the name. */
  lookalikeOf: z.string().optional(),
  /** Set when the analysis ran with a baseline (`--baseline previous`, `baseline: previous`). */
  baseline: BaselineComparison.optional(),
  /** Records of known-malicious lists naming this version (cited by the `known-malicious` finding). */
  knownMalicious: z.array(KnownMaliciousRef).optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type Report = z.infer<typeof Report>;

export function emptyBehavior(): Behavior {
  return {
    processes: [],
    files: [],
    fileChanges: [],
    network: { dns: [], connections: [], http: [], tls: [] },
    syscallCounts: {},
  };
}
