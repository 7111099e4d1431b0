import { z } from 'zod';
import { ArtifactSource, AnalysisStatus, DEFAULT_PHASES, Ecosystem, PhaseName, Stage, Verdict } from './enums.js';

// npm's rules (validate-npm-package-name): url-safe, optional scope, <= 214 chars. New names
// must be lowercase, but the registry still serves pre-2017 packages with capitals (JSONStream,
// Base64) that lockfiles pin, so capitals are accepted; a name that does not exist is a 404 at fetch.
export const NPM_NAME_RE = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9~][a-z0-9._~-]*$/i;
// PEP 508 project names.
export const PYPI_NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
// Permissive version charset covering semver and PEP 440; real validation happens at fetch.
export const VERSION_RE = /^[0-9A-Za-z][0-9A-Za-z.+!_-]*$/;

export const PackageName = z.string().min(1).max(214);
export const PackageVersion = z.string().min(1).max(128).regex(VERSION_RE, 'not a valid version string');

export const PackageSpec = z
  .object({
    ecosystem: Ecosystem,
    name: PackageName,
    version: PackageVersion,
  })
  .superRefine((v, ctx) => {
    const re = v.ecosystem === 'npm' ? NPM_NAME_RE : PYPI_NAME_RE;
    if (!re.test(v.name)) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: `not a valid ${v.ecosystem} package name` });
    }
  });
export type PackageSpec = z.infer<typeof PackageSpec>;

export const SubmitAnalysisBody = z
  .object({
    ecosystem: Ecosystem,
    name: PackageName,
    version: PackageVersion,
    force: z.boolean().optional(),
    baseline: z.enum(['previous']).optional(),
  })
  .superRefine((v, ctx) => {
    const re = v.ecosystem === 'npm' ? NPM_NAME_RE : PYPI_NAME_RE;
    if (!re.test(v.name)) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: `not a valid ${v.ecosystem} package name` });
    }
  });
export type SubmitAnalysisBody = z.infer<typeof SubmitAnalysisBody>;

/** What the queue carries: validated by the producer and again by the worker. */
export const AnalysisJob = z.object({
  analysisId: z.string().min(1),
  artifact: z.object({
    ecosystem: Ecosystem,
    name: z.string(),
    version: z.string(),
    source: ArtifactSource,
    /** Uploads: where the validated archive sits in the artifact store. */
    storedPath: z.string().optional(),
    sha256: z.string().optional(),
  }),
  phases: z.array(PhaseName).default([...DEFAULT_PHASES]),
  force: z.boolean().default(false),
  baselineAnalysisId: z.string().optional(),
  /**
   * Compare with the previous version, to be found by the worker (batches with
   * `baseline: previous`, where thousands of registry lookups cannot happen at submission).
   * Ignored once `baselineAnalysisId` is set.
   */
  baseline: z.enum(['previous']).optional(),
});
export type AnalysisJob = z.infer<typeof AnalysisJob>;

export const ProgressEvent = z.object({
  analysisId: z.string(),
  status: AnalysisStatus,
  stage: Stage,
  percent: z.number().min(0).max(100),
  verdict: Verdict.optional(),
  message: z.string().optional(),
});
export type ProgressEvent = z.infer<typeof ProgressEvent>;
