import { z } from 'zod';
import { AnalysisStatus, ApiRole, ArtifactSource, Ecosystem, PhaseName, Severity, Verdict } from './enums.js';
import { VERSION_RE } from './requests.js';

/** Response shapes of the REST API (`/v1`), shared by the API, the CLI and the web UI. */

export const TopFinding = z.object({ rule: z.string(), severity: Severity, title: z.string() });
export type TopFinding = z.infer<typeof TopFinding>;

export const AnalysisSummary = z.object({
  id: z.string(),
  status: AnalysisStatus,
  stage: z.string(),
  progress: z.number().int().min(0).max(100),
  verdict: Verdict.nullable(),
  score: z.number().int().nullable(),
  summary: z.string().nullable(),
  analyzerVersion: z.string(),
  package: z.object({
    ecosystem: Ecosystem,
    name: z.string(),
    version: z.string(),
    source: ArtifactSource,
    sha256: z.string().nullable(),
  }),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** Per-stage durations and totals in milliseconds, once known. */
  timings: z.record(z.string(), z.number()).nullable(),
  attempts: z.number().int(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  topFindings: z.array(TopFinding),
  links: z.record(z.string(), z.string()),
  /**
   * Queued or running, and a service it needs is down (an outage the workers report): it runs,
   * or resumes from the start, once `docker` / `postgres` answer again. Never a failure.
   */
  waitingFor: z.array(z.string()).optional(),
});
export type AnalysisSummary = z.infer<typeof AnalysisSummary>;

export const AnalysisList = z.object({
  items: z.array(AnalysisSummary),
  nextCursor: z.string().nullable(),
});
export type AnalysisList = z.infer<typeof AnalysisList>;

/** The analysis a `baseline: "previous"` submission is compared with (submitted or reused first). */
export const BaselineRef = z.object({
  id: z.string(),
  version: z.string(),
  status: AnalysisStatus,
  deduplicated: z.boolean(),
});
export type BaselineRef = z.infer<typeof BaselineRef>;

export const SubmitAnalysisResponse = z.object({
  id: z.string(),
  status: AnalysisStatus,
  deduplicated: z.boolean(),
  links: z.record(z.string(), z.string()),
  /**
   * `baseline: "previous"` only: the baseline analysis, or null when there is no earlier version
   * (a first release; an upload with no analyzed version below it).
   */
  baseline: BaselineRef.nullable().optional(),
});
export type SubmitAnalysisResponse = z.infer<typeof SubmitAnalysisResponse>;

export const ListAnalysesQuery = z.object({
  ecosystem: Ecosystem.optional(),
  name: z.string().min(1).max(214).regex(/^[^\u0000-\u001f\u007f]+$/, 'control characters are not allowed').optional(),
  /** Search: package names containing this, any case (the UI's search box); `name` is exact. */
  q: z.string().min(1).max(214).regex(/^[^\u0000-\u001f\u007f]+$/, 'control characters are not allowed').optional(),
  version: z.string().min(1).max(128).regex(VERSION_RE, 'not a valid version string').optional(),
  verdict: Verdict.optional(),
  status: AnalysisStatus.optional(),
  rule: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'not a rule id').max(100).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListAnalysesQuery = z.infer<typeof ListAnalysesQuery>;

export const PackageVersionEntry = z.object({
  version: z.string(),
  analysisId: z.string(),
  status: AnalysisStatus,
  verdict: Verdict.nullable(),
  score: z.number().int().nullable(),
  createdAt: z.string(),
});
export const PackageVersions = z.object({
  ecosystem: Ecosystem,
  name: z.string(),
  versions: z.array(PackageVersionEntry),
});
export type PackageVersions = z.infer<typeof PackageVersions>;

/** `GET /v1/analyses/{id}/diff?against=<analysisId>|previous`. */
export const DiffQuery = z.object({
  against: z
    .string()
    .regex(/^(previous|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i, 'expected an analysis id or "previous"')
    .meta({ description: 'The analysis to compare with, or `previous`: the completed analysis of the highest lower version of the same package' }),
});
export type DiffQuery = z.infer<typeof DiffQuery>;

export const DiffCategory = z.enum(['hosts', 'processes', 'files', 'canaries', 'findings']);
export type DiffCategory = z.infer<typeof DiffCategory>;

/** One behavior present on one side only (the shape @vetbox/diff produces). */
export const DiffEntry = z.object({
  category: DiffCategory,
  /** Normalized identity: temp names, random ids, pids and timestamps are masked. */
  key: z.string(),
  summary: z.string(),
  phases: z.array(PhaseName),
  /** Per category: op and path, method and host, rule and severity, canary kind, ... */
  detail: z.record(z.string(), z.unknown()),
});
export type DiffEntry = z.infer<typeof DiffEntry>;

export const DiffSide = z.object({
  hosts: z.array(DiffEntry),
  processes: z.array(DiffEntry),
  files: z.array(DiffEntry),
  canaries: z.array(DiffEntry),
  findings: z.array(DiffEntry),
});
export type DiffSide = z.infer<typeof DiffSide>;

export const DiffAnalysisRef = z.object({ id: z.string(), version: z.string(), verdict: Verdict.nullable() });

export const AnalysisDiff = z.object({
  package: z.object({ ecosystem: Ecosystem, name: z.string() }),
  /** The older analysis (`against`). */
  base: DiffAnalysisRef,
  /** The analysis named in the path. */
  target: DiffAnalysisRef,
  /** What the target does that the base did not. */
  added: DiffSide,
  /** What the base did that the target no longer does. */
  removed: DiffSide,
  /** Every change in one list, added ones first. */
  changes: z.array(DiffEntry.extend({ change: z.enum(['added', 'removed']) })),
  empty: z.boolean(),
});
export type AnalysisDiff = z.infer<typeof AnalysisDiff>;

export const RawArtifactInfo = z.object({
  id: z.string(),
  kind: z.string(),
  phase: z.string().nullable(),
  size: z.number().int(),
  compressedSize: z.number().int(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  links: z.record(z.string(), z.string()),
});
export type RawArtifactInfo = z.infer<typeof RawArtifactInfo>;

/** RFC 9457 problem details; `code` is our VetboxError code (or an HTTP-level one). */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string().optional(),
  code: z.string().optional(),
  /** Request validation failures: one entry per offending field. */
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type Problem = z.infer<typeof Problem>;

export const CreateApiKeyBody = z.object({
  name: z.string().min(1).max(100),
  role: ApiRole,
  webhookUrl: z.url({ protocol: /^https?$/ }).optional(),
});
export type CreateApiKeyBody = z.infer<typeof CreateApiKeyBody>;
