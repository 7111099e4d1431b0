import { z } from 'zod';
import { AnalysisStatus, ApiRole, ArtifactSource, Ecosystem, Severity, Verdict } from './enums.js';
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
});
export type AnalysisSummary = z.infer<typeof AnalysisSummary>;

export const AnalysisList = z.object({
  items: z.array(AnalysisSummary),
  nextCursor: z.string().nullable(),
});
export type AnalysisList = z.infer<typeof AnalysisList>;

export const SubmitAnalysisResponse = z.object({
  id: z.string(),
  status: AnalysisStatus,
  deduplicated: z.boolean(),
  links: z.record(z.string(), z.string()),
});
export type SubmitAnalysisResponse = z.infer<typeof SubmitAnalysisResponse>;

export const ListAnalysesQuery = z.object({
  ecosystem: Ecosystem.optional(),
  name: z.string().min(1).max(214).regex(/^[^\u0000-\u001f\u007f]+$/, 'control characters are not allowed').optional(),
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
